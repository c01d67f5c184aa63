"""What happened to one repository: a small frozen value, never an exception."""

from __future__ import annotations

from dataclasses import dataclass, field

OPENED = "opened"  # a new pull request
UPDATED = "updated"  # our branch regenerated and force-pushed (with a lease), the PR text refreshed
UNCHANGED = "unchanged"  # our branch already holds exactly this migration
ALREADY_MIGRATED = "already-migrated"  # the base branch needs no change
UNSUPPORTED = "unsupported"  # Dockerfiles dockvenv cannot migrate, and nothing else to do
SKIPPED = "skipped"  # left alone on purpose: someone else's branch, a closed PR, archived, interrupted
FAILED = "failed"  # could not be done; the reason says why

STATUSES = (OPENED, UPDATED, UNCHANGED, ALREADY_MIGRATED, UNSUPPORTED, SKIPPED, FAILED)


@dataclass(frozen=True)
class FileStat:
    path: str
    added: int
    removed: int


@dataclass(frozen=True)
class Outcome:
    repo: str  # owner/name (GitLab: the full path)
    spec: str  # the repository as the list named it, for --only-failed
    status: str  # one of STATUSES
    reason: str = ""  # one line, for skipped/failed/unsupported (and notes for the others)
    url: str = ""  # the pull request
    number: int = 0
    branch: str = ""
    base: str = ""
    commit: str = ""  # the migration commit (pushed unless dry run)
    files: tuple[FileStat, ...] = ()
    fixed: int = 0  # findings the migration fixes
    patch: str = ""  # --dry-run: the patch file written
    dry_run: bool = False
    timings: tuple[tuple[str, float], ...] = field(default=())  # (step, seconds): clone, plan, commit, push, api

    @property
    def changed(self) -> bool:
        return self.status in (OPENED, UPDATED)

    def timing(self, step: str) -> float:
        return sum(t for s, t in self.timings if s == step)
