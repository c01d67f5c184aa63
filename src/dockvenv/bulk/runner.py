"""``dockvenv bulk``: many repositories at once, each through ``repo.migrate_one``.

The runner knows the repository list, the workspace, concurrency, progress and
Ctrl-C; what happens inside a repository is ``repo``'s, and how a forge is spoken to
is ``forge``'s.  Ctrl-C sets the stop event: repositories not started are reported
``skipped``, running ones stop before their next push or API write, the report is
written and the exit code is 130.  Otherwise the exit code is 1 when any repository
``failed``, else 0.
"""

from __future__ import annotations

import argparse
import email.utils
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

from dockvenv.bulk import report
from dockvenv.bulk.body import TITLE
from dockvenv.bulk.forge import DEFAULTS, Forge, make_forge, token_for
from dockvenv.bulk.git import Git, Identity
from dockvenv.bulk.http import Pacer, Redactor
from dockvenv.bulk.outcome import FAILED, SKIPPED, Outcome
from dockvenv.bulk.repo import Job, migrate_one
from dockvenv.bulk.repos import RepoRef, clone_url, from_spec, parse_list
from dockvenv.config import Settings
from dockvenv.errors import InputError, UsageError
from dockvenv.project import Project

DEFAULT_AUTHOR = "dockvenv <dockvenv@users.noreply.github.com>"


def run(args: argparse.Namespace, load: Callable[[str], tuple[Project, Settings]], *,
        sleep: Callable[[float], None] | None = None, clock: Callable[[], float] | None = None,
        stop: threading.Event | None = None, on_outcome: Callable[[Outcome], None] | None = None) -> int:
    from dockvenv import __version__

    started, t0 = _now(), time.perf_counter()
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.prs_per_minute < 0 or args.timeout <= 0:
        raise UsageError("--prs-per-minute and --timeout must be positive")
    who = _identity(args.author)
    forge_name = args.forge
    defaults = DEFAULTS[forge_name]
    token = token_for(forge_name, required=not args.dry_run)
    redact = Redactor(token)
    forge = None
    if not args.dry_run or args.org:
        forge = make_forge(forge_name, args.api_url or defaults.api_url, token, redact, timeout=args.timeout,
                           sleep=sleep, clock=clock)
    refs, early = _repositories(args, args.git_url or defaults.git_url, forge)
    hooks = tempfile.mkdtemp(prefix="dockvenv-nohooks-")
    workspace = Path(args.workspace or tempfile.mkdtemp(prefix="dockvenv-bulk-")).resolve()
    workspace.mkdir(parents=True, exist_ok=True)
    try:
        job = Job(
            git=Git(hooks, token, defaults.git_user, redact),
            forge=None if args.dry_run else forge,
            load=load,
            workspace=workspace,
            who=who,
            version=__version__,
            branch=args.branch,
            title=args.title or TITLE,
            subject=args.message or args.title or TITLE,
            dry_run=args.dry_run,
            out_dir=Path(args.out) if args.dry_run else None,
            verify=args.verify,
            pacer=Pacer(args.prs_per_minute or 0, sleep=sleep or time.sleep),
            stop=stop or threading.Event(),
            redact=redact,
        )
        with _Progress(len(refs), sys.stderr, on_outcome) as progress:
            outcomes, interrupted = execute(refs, job, args.concurrency, progress.done)
    finally:
        shutil.rmtree(hooks, ignore_errors=True)
        if not args.workspace:
            shutil.rmtree(workspace, ignore_errors=True)
    outcomes = early + outcomes
    info = report.RunInfo(__version__, forge_name, args.branch, args.dry_run, started, _now(), interrupted,
                          round(time.perf_counter() - t0, 3))
    if args.report:
        report.write(Path(args.report), info, outcomes)
    report.table(outcomes, interrupted, sys.stdout, rich=sys.stdout.isatty())
    if interrupted:
        return 130
    return 1 if any(o.status == FAILED for o in outcomes) else 0


def execute(refs: Sequence[RepoRef], job: Job, concurrency: int,
            done: Callable[[Outcome], None] = lambda o: None) -> tuple[list[Outcome], bool]:
    """Every repository's Outcome, in list order, and whether the run was interrupted."""
    results: dict[int, Outcome] = {}
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="dockvenv-bulk")
    futures: dict[Future[Outcome], int] = {pool.submit(migrate_one, ref, job): i for i, ref in enumerate(refs)}

    def collect(waiting: Sequence[Future[Outcome]]) -> None:
        for fut in as_completed(waiting):
            if not fut.cancelled() and futures[fut] not in results:
                results[futures[fut]] = fut.result()
                done(results[futures[fut]])

    try:
        collect(list(futures))
    except KeyboardInterrupt:
        job.stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        try:  # running repositories stop at their next step; wait for them, once
            collect([f for f in futures if not f.cancelled()])
        except KeyboardInterrupt:
            pass
    pool.shutdown(wait=False)
    out = [results.get(i) or Outcome(ref.slug, ref.spec, SKIPPED, "interrupted before it started",
                                     branch=job.branch, dry_run=job.dry_run) for i, ref in enumerate(refs)]
    return out, job.stop.is_set()


def _repositories(args: argparse.Namespace, git_url: str, forge: Forge | None) -> tuple[list[RepoRef], list[Outcome]]:
    if args.org:
        assert forge is not None
        listed = forge.list_org(args.org)
        refs = [RepoRef(r.slug, r.slug, clone_url(git_url, r.slug)) for r in listed if not r.archived]
        early = [Outcome(r.slug, r.slug, SKIPPED, "archived", branch=args.branch, dry_run=args.dry_run)
                 for r in listed if r.archived]
        return refs, early
    if args.only_failed:
        specs = report.failed_specs(Path(args.only_failed))
        return [from_spec(s, git_url, args.forge) for s in specs], []
    path = Path(args.repos)
    try:
        text = sys.stdin.read() if args.repos == "-" else path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{args.repos}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{args.repos}: cannot read: {exc}") from None
    return parse_list(text, args.repos, git_url, args.forge), []


def _identity(author: str) -> Identity:
    name, addr = email.utils.parseaddr(author or DEFAULT_AUTHOR)
    if not name or "@" not in addr:
        raise UsageError(f"--author {author!r}: use 'Name <email>'")
    return Identity(name, addr)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class _Progress:
    """A progress bar on a terminal (rich, imported only then); elsewhere one line per repository."""

    def __init__(self, total: int, stream: TextIO, also: Callable[[Outcome], None] | None) -> None:
        self._total, self._stream, self._also = total, stream, also
        self._n = 0
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> "_Progress":
        if self._stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=Console(file=self._stream), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("bulk", total=self._total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def done(self, outcome: Outcome) -> None:
        with self._lock:
            self._n += 1
            if self._bar is not None:
                self._bar.update(self._task, advance=1, description=f"{outcome.repo}: {outcome.status}")
            else:
                self._stream.write(f"[{self._n}/{self._total}] {outcome.repo}: {report.status_text(outcome)}"
                                   f"{' ' + report.detail(outcome) if report.detail(outcome) else ''}\n")
                self._stream.flush()
        if self._also is not None:
            self._also(outcome)

