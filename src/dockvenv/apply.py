"""apply: the only writer of project files.

Each file is written atomically (a temporary file in the same folder, flushed, given
the original's permissions and owner, then renamed over it), only if it still holds
what the plan was made from, and never outside the project.  Files with uncommitted
changes in git are refused unless forced.  All checks run before the first write, so a
refusal leaves every file as it was; and every temporary file is written before the
first rename, so a full disk or an unwritable folder leaves every file as it was too.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

from dockvenv.errors import InputError, WriteError
from dockvenv.model import FileEdit
from dockvenv.project import decode


def write(root: str, edits: Sequence[FileEdit], force: bool = False) -> list[str]:
    """Write every changed edit; return the paths written."""
    staged: list[tuple[Path, str | None, FileEdit]] = []
    try:
        for path, edit in refuse(root, edits, force):
            staged.append((path, _stage(path, edit), edit))
    except BaseException:
        _discard(tmp for _p, tmp, _e in staged)
        raise
    written: list[tuple[Path, FileEdit]] = []
    for k, (path, tmp, edit) in enumerate(staged):
        try:
            if tmp is None:
                path.unlink()
            else:
                os.replace(tmp, path)
        except OSError as exc:
            _discard(t for _p, t, _e in staged[k:])
            left = _undo(written)
            done = f"; left migrated: {', '.join(left)}" if left else "; no file was changed"
            raise WriteError(f"{edit.path}: cannot write: {exc.strerror or exc}{done}") from None
        written.append((path, edit))
    return [edit.path for _path, edit in written]


def _undo(written: list[tuple[Path, FileEdit]]) -> list[str]:
    """Put back what the files held before (a rename failed half-way); the paths that could not be."""
    left = []
    for path, edit in reversed(written):
        try:
            if edit.before is None:
                path.unlink()
            else:
                os.replace(_stage(path, FileEdit(edit.path, None, edit.before)) or "", path)
        except (OSError, WriteError):
            left.append(edit.path)
    return left


def refuse(root: str, edits: Sequence[FileEdit], force: bool = False) -> list[tuple[Path, FileEdit]]:
    """Raise if any changed edit may not be written; else the (path, edit) pairs to write."""
    base = Path(root).resolve()
    todo = [e for e in edits if e.changed]
    targets = [(_target(base, e.path), e) for e in todo]
    if not force:
        dirty = uncommitted(base, [e.path for e in todo])
        if dirty:
            raise InputError(f"{dirty[0]}: has uncommitted changes; commit or stash them, or pass --force")
    for path, edit in targets:
        _check_unchanged(path, edit)
    by_file: dict[Path, FileEdit] = {}
    for path, edit in targets:
        other = by_file.setdefault(path, edit)
        if other.after != edit.after:
            raise InputError(f"{edit.path}: is the same file as {other.path} (a symlink), and the plan changes "
                             "them differently; migrate through one name only")
    return [(path, edit) for path, edit in by_file.items()]


def _target(base: Path, rel: str) -> Path:
    """Where the bytes of ``rel`` live: a symlink inside the project is written through, not replaced."""
    path = base / rel
    parent = path.parent.resolve()
    if not parent.is_relative_to(base) or (path.is_symlink() and not path.resolve().is_relative_to(base)):
        raise InputError(f"{rel}: refusing to write outside the project")
    return path.resolve() if path.is_symlink() else parent / path.name


def _check_unchanged(path: Path, edit: FileEdit) -> None:
    if edit.before is None:
        if path.exists():
            raise InputError(f"{edit.path}: appeared since it was read; run dockvenv again")
        return
    try:
        now = decode(edit.path, path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"{edit.path}: deleted since it was read; nothing was written") from None
    except OSError as exc:
        raise InputError(f"{edit.path}: cannot read: {exc.strerror}") from None
    if now != edit.before:
        raise InputError(f"{edit.path}: changed since it was read; nothing was written, run dockvenv again")


def _stage(path: Path, edit: FileEdit) -> str | None:
    """The new bytes in a temporary file next to ``path``, with its mode and owner (None: a deletion)."""
    if edit.after is None:
        return None
    st = path.stat() if path.exists() else None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".dockvenv", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(edit.after.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777 if st else 0o644)
        if st is not None and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except PermissionError:
                pass  # not root: the file becomes ours, as any editor's save would make it
    except OSError as exc:
        _discard([tmp])
        raise WriteError(f"{edit.path}: cannot write: {exc.strerror or exc}; no file was changed") from None
    return tmp


def _discard(tmps: Iterable[str | None]) -> None:
    for tmp in tmps:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def uncommitted(base: Path, paths: list[str]) -> list[str]:
    """Those of ``paths`` that git reports as modified or untracked (none outside a repo)."""
    if not paths:
        return []
    try:
        proc = subprocess.run(
            ["git", "-C", str(base), "-c", "core.hooksPath=/dev/null", "status", "--porcelain", "-z", "--", *paths],
            capture_output=True, text=True, timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if proc.returncode != 0:
        return []
    prefix = subprocess.run(["git", "-C", str(base), "rev-parse", "--show-prefix"],
                            capture_output=True, text=True).stdout.strip()
    dirty = []
    for entry in proc.stdout.split("\0"):
        if len(entry) > 3:
            rel = entry[3:]
            dirty.append(rel[len(prefix):] if prefix and rel.startswith(prefix) else rel)
    return [p for p in paths if p in dirty]
