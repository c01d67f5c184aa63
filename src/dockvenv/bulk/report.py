"""The run's record: the JSON report (``"version": 1``, docs/bulk.md) and the summary table."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence, TextIO

from dockvenv.bulk.outcome import FAILED, STATUSES, Outcome
from dockvenv.errors import InputError

VERSION = 1


@dataclass(frozen=True)
class RunInfo:
    dockvenv: str
    forge: str
    branch: str
    dry_run: bool
    started: str
    finished: str
    interrupted: bool = False
    seconds: float = 0.0


def counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    return {s: n for s in STATUSES if (n := sum(o.status == s for o in outcomes))}


def to_json(info: RunInfo, outcomes: Sequence[Outcome]) -> dict[str, object]:
    repos = []
    for o in outcomes:
        row = asdict(o)
        row["timings"] = dict(o.timings)
        repos.append(row)
    return {"version": VERSION, **asdict(info), "counts": counts(outcomes), "repos": repos}


def write(path: Path, info: RunInfo, outcomes: Sequence[Outcome]) -> None:
    """Atomically: an interrupted run still leaves a whole report (or the previous one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(to_json(info, outcomes), fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def failed_specs(path: Path) -> list[str]:
    """The repositories a report lists as failed, as their list named them (--only-failed)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such report") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a dockvenv bulk report ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("repos"), list):
        raise InputError(f"{path}: not a dockvenv bulk report of version {VERSION}")
    return [str(r.get("spec") or r["repo"]) for r in data["repos"]
            if isinstance(r, dict) and r.get("status") == FAILED]


def detail(o: Outcome) -> str:
    text = o.url or o.reason
    if o.url and o.reason:
        text = f"{o.url} ({o.reason})"
    if o.patch:
        text = f"{text} {o.patch}".strip()
    return text


def status_text(o: Outcome) -> str:
    return f"{o.status} (dry run)" if o.dry_run and o.status != FAILED else o.status


def summary_line(outcomes: Sequence[Outcome], interrupted: bool) -> str:
    parts = ", ".join(f"{n} {s}" for s, n in counts(outcomes).items())
    return f"{len(outcomes)} repositories: {parts or 'none'}" + ("; interrupted" if interrupted else "")


def table(outcomes: Sequence[Outcome], interrupted: bool, stream: TextIO, rich: bool) -> None:
    if rich:
        from rich.console import Console
        from rich.table import Table

        t = Table(show_edge=False, pad_edge=False)
        for col in ("repository", "status", "files", "detail"):
            t.add_column(col, overflow="fold")
        colours = {"failed": "red", "opened": "green", "updated": "green", "skipped": "yellow"}
        for o in outcomes:
            colour = colours.get(o.status, "")
            t.add_row(o.repo, f"[{colour}]{status_text(o)}[/]" if colour else status_text(o),
                      str(len(o.files) or ""), detail(o))
        console = Console(file=stream, highlight=False)
        console.print(t)
        console.print(summary_line(outcomes, interrupted))
        return
    width = max([len(o.repo) for o in outcomes] + [10])
    swidth = max([len(status_text(o)) for o in outcomes] + [6])
    for o in outcomes:
        stream.write(f"{o.repo:<{width}}  {status_text(o):<{swidth}}  {detail(o)}".rstrip() + "\n")
    stream.write(summary_line(outcomes, interrupted) + "\n")
