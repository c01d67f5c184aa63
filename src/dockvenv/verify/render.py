"""``dockvenv verify --docker`` reports: a table (rich on a TTY, plain otherwise), JSON, markdown.

JSON carries ``"version": 1`` and is documented in docs/verify.md; the markdown is the
summary ``dockvenv bulk --verify`` puts into a pull request.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Sequence
from dataclasses import asdict
from typing import IO, Any, Self

from dockvenv.verify.compare import FAIL, PASS, SKIP, Image, VerifyReport, mb

_MARK = {PASS: "ok", FAIL: "FAIL", SKIP: "skip", "info": "info"}
_STYLE = {PASS: "green", FAIL: "bold red", SKIP: "yellow", "info": "cyan"}
_EMOJI = {PASS: "✅", FAIL: "❌", SKIP: "⏭️", "info": "ℹ️"}


class Progress:
    """Build progress on stderr: a rich status line on a terminal, plain lines elsewhere."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._status: Any = None
        self._console: Any = None

    def __enter__(self) -> Self:
        if self._stream.isatty():
            from rich.console import Console

            self._console = Console(file=self._stream, no_color=bool(os.environ.get("NO_COLOR")))
            self._status = self._console.status("dockvenv verify")
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()

    def __call__(self, kind: str, text: str) -> None:
        if self._status is not None and self._console is not None:
            if kind == "phase":
                self._console.print(f"[dim]dockvenv:[/] {text}", highlight=False, markup=True)
            self._status.update(text)
        else:
            print(f"dockvenv: {text}" if kind == "phase" else f"  {text}", file=self._stream, flush=True)


def table(reports: Sequence[VerifyReport], stream: IO[str]) -> None:
    rich = stream.isatty()
    for report in reports:
        if rich:
            _rich(report, stream)
        else:
            stream.write(plain(report))


def _head(r: VerifyReport) -> list[str]:
    out = [f"dockvenv verify --docker {r.root}: {r.dockerfile} (context {r.context or '.'})",
           f"original: {r.original.source}; migrated: {r.migrated.source}"]
    if r.smoke:
        out.append(f"smoke: {shlex.join(r.smoke)}  [{r.smoke_origin}]")
    if r.smoke_original:
        out.append(f"smoke of the original: {shlex.join(r.smoke_original)}")
    return out


def _tail(r: VerifyReport) -> list[str]:
    out = []
    for image in (r.original, r.migrated):
        if image.largest:
            out.append(f"largest layers of the {image.label} image:")
            out += [f"  {mb(layer.size):>9}  {layer.created_by[:110]}" for layer in image.largest]
    out += [f"note: {n}" for n in r.notes]
    if r.error:
        out.append(f"could not verify: {r.error}")
    failed = r.failed
    out.append(f"{len(failed)} check{'s' * (len(failed) != 1)} failed: {', '.join(c.name for c in failed)}"
               if failed else "no check failed" if not r.error else "")
    return [x for x in out if x]


def plain(r: VerifyReport) -> str:
    rows = [("check", "original", "migrated", "result", "detail")]
    rows += [(c.name, c.original, c.migrated, _MARK[c.status], c.detail) for c in r.checks]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = _head(r) + [""]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4] for row in rows]
    return "\n".join([*lines, "", *_tail(r)]) + "\n\n"


def _rich(r: VerifyReport, stream: IO[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, no_color=bool(os.environ.get("NO_COLOR")), highlight=False)
    for line in _head(r):
        console.print(line, markup=False)
    t = Table(show_edge=False, pad_edge=False)
    for col in ("check", "original", "migrated", "result", "detail"):
        t.add_column(col, overflow="fold")
    for c in r.checks:
        t.add_row(c.name, c.original, c.migrated, f"[{_STYLE[c.status]}]{_MARK[c.status]}[/]", c.detail)
    console.print(t)
    for line in _tail(r):
        console.print(line, markup=False)
    console.print()


def as_json(reports: Sequence[VerifyReport]) -> str:
    return json.dumps({"version": 1, "projects": [to_dict(r) for r in reports]}, indent=2) + "\n"


def to_dict(r: VerifyReport) -> dict:
    return {
        "path": r.root,
        "dockerfile": r.dockerfile,
        "context": r.context or ".",
        "exit_code": r.exit_code,
        "error": r.error or None,
        "smoke": {"argv": list(r.smoke), "origin": r.smoke_origin, "original_argv": list(r.smoke_original or r.smoke)},
        "images": {"original": _image(r.original), "migrated": _image(r.migrated)},
        "checks": [asdict(c) for c in r.checks],
        "notes": list(r.notes),
    }


def _image(i: Image) -> dict:
    return {
        "source": i.source,
        "tag": i.tag,
        "built": i.built,
        "build_seconds": round(i.build_seconds, 2),
        "build_error": i.build_error or None,
        "size_bytes": i.size,
        "layers": i.layers,
        "largest_layers": [{"size_bytes": layer.size, "created_by": layer.created_by} for layer in i.largest],
        "smoke": None if i.smoke is None else {"argv": list(i.smoke.argv), "exit_code": i.smoke.returncode,
                                               "stdout": i.smoke.stdout, "stderr": i.smoke.stderr},
        "http": None if i.http is None else asdict(i.http),
        "rebuild_seconds": None if i.rebuild_seconds is None else round(i.rebuild_seconds, 2),
        "rebuild_error": i.rebuild_error or None,
        "probe": None if i.probe is None else {k: list(v) for k, v in i.probe.sections.items()},
    }


def summary_markdown(r: VerifyReport) -> str:
    """The verification section of a pull request body."""
    o, m = r.original, r.migrated
    lines = []
    if o.size and m.size:
        lines.append(f"Image size **{mb(o.size)} → {mb(m.size)}** ({(m.size - o.size) / o.size:+.0%}), "
                     f"layers {o.layers} → {m.layers} (`{r.dockerfile}`, original from {o.source}).")
    if r.smoke:
        lines.append(f"Smoke command: `{shlex.join(r.smoke)}` ({r.smoke_origin}).")
    lines += ["", "| check | original | migrated | result |", "| --- | --- | --- | --- |"]
    for c in r.checks:
        detail = f" {c.detail}" if c.status in (FAIL, SKIP) or c.name in ("size", "rebuild") else ""
        lines.append(f"| {c.name} | {_md(c.original)} | {_md(c.migrated)} | {_EMOJI[c.status]}{_md(detail)} |")
    if r.error:
        lines += ["", f"**Could not verify:** {_md(r.error)}"]
    lines += ["", "No check failed." if r.exit_code == 0 else
              f"**{len(r.failed)} check(s) failed.**" if r.failed else ""]
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
