"""One repository, end to end: sync, the single-repo migration, commit, push, pull request.

The migration is exactly ``dockvenv migrate --yes``: the CLI's ``load_project``,
``build_plan``, ``apply.write``.  What follows decides, from the remote branch and the pull request
alone, what the run may do:

- the base is the remote's HEAD until there is something to do; then the forge's
  default branch (an API call only for repositories that need a change), and where
  the two differ the run starts over on the forge's;
- no change on the base branch: ``already-migrated`` (or ``unsupported``, or
  ``skipped`` without a Dockerfile); an existing branch or PR is not touched;
- the branch's tip is not our commit (author, committer and trailer): ``skipped``,
  never force-pushed; the push's lease is the tip we fetched, so a push that races
  ours loses nothing either;
- the branch holds the very tree we made: ``unchanged``, no write call at all;
- a closed or merged PR for a branch that still exists: ``skipped``, not reopened;
- otherwise push (regenerated from the base, never rebased) and open or update the PR.

Every failure comes back as a ``failed`` Outcome; nothing raises out of ``migrate_one``.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

from dockvenv.bulk import git as g
from dockvenv.bulk.body import Change, commit_message, fixed_findings, has_trailer, pr_body
from dockvenv.bulk.forge import OPEN, Forge, ForgeError
from dockvenv.bulk.http import Pacer
from dockvenv.bulk.outcome import (
    ALREADY_MIGRATED,
    FAILED,
    OPENED,
    SKIPPED,
    UNCHANGED,
    UNSUPPORTED,
    UPDATED,
    FileStat,
    Outcome,
)
from dockvenv.bulk.repos import RepoRef, workspace_dir
from dockvenv.config import Settings
from dockvenv.errors import DockvenvError
from dockvenv.model import FileEdit, Plan
from dockvenv.project import Project


@dataclass(frozen=True)
class Job:
    """What every repository's run shares; read-only."""

    git: g.Git
    forge: Forge | None  # None: a dry run without API access
    load: Callable[[str], tuple[Project, Settings]]  # the CLI's: a project folder and its settings
    workspace: Path
    who: g.Identity
    version: str
    branch: str = "dockvenv/migrate"
    title: str = ""
    subject: str = ""
    dry_run: bool = False
    out_dir: Path | None = None
    verify: bool = False
    pacer: Pacer = field(default_factory=lambda: Pacer(0))
    stop: threading.Event = field(default_factory=threading.Event)
    redact: Callable[[str], str] = str


class _Interrupted(Exception):
    pass


class _Steps:
    def __init__(self) -> None:
        self.times: list[tuple[str, float]] = []

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.times.append((step, time.perf_counter() - start))

    def totals(self) -> tuple[tuple[str, float], ...]:
        out: dict[str, float] = {}
        for step, t in self.times:
            out[step] = out.get(step, 0.0) + t
        return tuple((s, round(t, 4)) for s, t in out.items())


def migrate_one(ref: RepoRef, job: Job) -> Outcome:
    steps = _Steps()
    base = Outcome(ref.slug, ref.spec, FAILED, branch=job.branch, dry_run=job.dry_run)
    try:
        out = _run(ref, job, steps, base)
    except _Interrupted as exc:
        out = _with(base, status=SKIPPED, reason=str(exc))
    except (g.GitError, ForgeError, DockvenvError) as exc:
        out = _with(base, reason=job.redact(str(exc)))
        if job.stop.is_set():  # Ctrl-C reached git too: not a failure of the repository
            out = _with(out, status=SKIPPED, reason=f"interrupted: {out.reason}")
    except Exception as exc:  # noqa: BLE001 (one repository's bug must not stop the others)
        out = _with(base, reason=job.redact(f"internal error: {type(exc).__name__}: {exc}"))
    return _with(out, timings=steps.totals())


def _run(ref: RepoRef, job: Job, step: _Steps, out: Outcome, api_base: str | None = None) -> Outcome:
    """``api_base``: the default branch as the forge said it, when already asked."""
    from dockvenv.apply import write
    from dockvenv.check import findings
    from dockvenv.plan import build_plan

    if job.stop.is_set():
        raise _Interrupted("interrupted before it started")
    path = workspace_dir(job.workspace, ref.slug)
    with step("clone"):
        refs = g.remote_refs(job.git, ref.url, [job.branch, *([api_base] if api_base else [])])
    if not (api_base or refs.head) and job.forge is not None:
        with step("api"):
            api_base = job.forge.default_branch(ref.slug)
        return _run(ref, job, step, out, api_base)
    base = api_base or refs.head
    if not base or base not in refs.tips:
        raise g.GitError(f"git ls-remote: the default branch {base or '(HEAD)'} is not on the remote "
                         "(an empty repository?)")
    if base == job.branch:
        raise g.GitError(f"--branch {job.branch} is the repository's default branch")
    with step("clone"):
        tip = g.sync(job.git, path, ref.url, base, job.branch, refs.tips)
    out = _with(out, base=base)
    with step("plan"):
        project, settings = job.load(str(path))
        plan = build_plan(project, settings)
        if not plan.changes:
            return _nothing_to_do(out, plan, bool(project.dockerfiles))
    if job.forge is not None and api_base is None:
        # The remote's HEAD named the base so far: no API call for a repository with nothing to
        # do. A PR's base is the forge's word, though; where they differ (a mirror), start over.
        with step("api"):
            api_base = job.forge.default_branch(ref.slug)
        if api_base != base:
            return _run(ref, job, step, out, api_base)
    with step("plan"):
        edits = plan.changes
        write(str(path), edits, force=True)  # a fresh checkout of the base: nothing of anyone's to keep
        fixed = fixed_findings(plan.findings, findings(*job.load(str(path))))
        remaining = tuple(f for f in plan.findings if f not in fixed)
        files = tuple(_stat(e) for e in edits)
    verify = _verify(path) if job.verify else None
    change = Change(plan, files, fixed, remaining, base, job.branch, job.version, verify)
    with step("commit"):
        g.commit(job.git, path, [e.path for e in edits], commit_message(job.subject, change), job.who)
        ours, *rest = g.metas(job.git, path, ["HEAD", *([tip] if tip else [])])
        theirs = rest[0] if rest else None
    out = _with(out, commit=ours.sha, files=files, fixed=len(fixed))
    if job.dry_run and job.out_dir is not None:
        out = _with(out, patch=_write_patch(job.out_dir, path.name, edits))
    if theirs is not None and not _is_ours(theirs, job.who):
        return _with(out, status=SKIPPED, reason=f"branch {job.branch} ends in a commit dockvenv did not make "
                     f"({theirs.sha[:9]} by {theirs.author_email}); left alone")
    same = theirs is not None and theirs.tree == ours.tree
    if job.forge is None or job.dry_run:  # what would happen, judged by the branch alone
        return _with(out, status=UNCHANGED if same else UPDATED if theirs else OPENED)
    with step("api"):
        pr = job.forge.find_pr(ref.slug, job.branch)
    if pr is not None and pr.state != OPEN and theirs is not None:
        return _with(out, status=SKIPPED, url=pr.url, number=pr.number,
                     reason=f"pull request #{pr.number} was {pr.state}; not reopened "
                            f"(delete the branch {job.branch} to start over)")
    if same and pr is not None and pr.state == OPEN:
        return _with(out, status=UNCHANGED, url=pr.url, number=pr.number)
    if not same:
        if job.stop.is_set():
            raise _Interrupted("interrupted before the push: nothing was pushed")
        with step("push"):
            try:
                g.push(job.git, path, ref.url, job.branch, theirs.sha if theirs else None)
            except g.LeaseError:
                return _with(out, status=SKIPPED, reason=f"someone pushed to {job.branch} while this run "
                                                         "worked; left alone")
    if job.stop.is_set():
        raise _Interrupted(f"interrupted after pushing {job.branch}, before the pull request")
    title, body = job.title, pr_body(change)
    if pr is not None and pr.state == OPEN:
        with step("api"):
            pr = job.forge.update_pr(ref.slug, pr, title, body)
        return _with(out, status=UPDATED, url=pr.url, number=pr.number)
    with step("wait"):
        job.pacer.wait()
    with step("api"):
        pr = job.forge.open_pr(ref.slug, job.branch, base, title, body)
    return _with(out, status=OPENED, url=pr.url, number=pr.number)


def _nothing_to_do(out: Outcome, plan: Plan, has_dockerfile: bool) -> Outcome:
    if plan.unsupported:
        return _with(out, status=UNSUPPORTED, reason="; ".join(f"{u.path}: {u.reason}" for u in plan.unsupported))
    if not has_dockerfile:
        return _with(out, status=SKIPPED, reason="no Dockerfile")
    return _with(out, status=ALREADY_MIGRATED)


def _is_ours(commit: g.CommitMeta, who: g.Identity) -> bool:
    return (commit.author_email == who.email and commit.committer_email == who.email
            and has_trailer(commit.message))


def _stat(edit: FileEdit) -> FileStat:
    from dockvenv.render.diff import stat

    added, removed = stat(edit)
    return FileStat(edit.path, added, removed)


def _write_patch(out_dir: Path, name: str, edits: tuple[FileEdit, ...]) -> str:
    from dockvenv.render.diff import unified

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.patch"
    path.write_text("".join(unified(e) for e in edits), encoding="utf-8", newline="")
    return str(path)


def _verify(path: Path) -> str:
    """The hook for ``dockvenv.verify``: ``bulk_summary(root) -> str`` (markdown) on the migrated tree.

    HEAD is still the original and the working tree the migration, as after
    ``dockvenv migrate --yes``; the summary says what it measured (image sizes before
    and after when Docker is there).
    """
    import importlib

    try:
        summary = importlib.import_module("dockvenv.verify").bulk_summary
    except (ImportError, AttributeError):
        return "verify: not available"
    try:
        return str(summary(str(path)))
    except Exception as exc:  # noqa: BLE001 (a verify problem is reported in the PR, not fatal)
        return f"verify: failed: {type(exc).__name__}: {exc}"


def _with(out: Outcome, **changes: object) -> Outcome:
    return replace(out, **changes)  # type: ignore[arg-type]
