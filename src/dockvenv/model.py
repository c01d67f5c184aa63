"""The values that flow through the pipeline: findings, file edits and the plan."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    code: str  # e.g. "DV101"
    path: str  # relative to the project root, posix separators
    line: int  # 1-based; 0 when the finding is about the whole file
    message: str
    col: int = 1
    fixable: bool = True


@dataclass(frozen=True)
class FileEdit:
    """A whole-file change: ``before`` None creates the file, ``after`` None deletes it."""

    path: str
    before: str | None
    after: str | None
    reasons: tuple[str, ...] = ()  # one line each: the rule or reason behind the change

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class Unsupported:
    path: str
    reason: str


@dataclass(frozen=True)
class Plan:
    root: str
    findings: tuple[Finding, ...] = ()
    edits: tuple[FileEdit, ...] = ()
    unsupported: tuple[Unsupported, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def changes(self) -> tuple[FileEdit, ...]:
        return tuple(e for e in self.edits if e.changed)
