"""pre-commit hooks: the files pre-commit passes, mapped to the projects dockvenv works on.

pre-commit runs a hook with the staged files that match its ``files`` pattern
(Dockerfiles, pyproject.toml, requirements, .dockerignore), from the repository root;
dockvenv works on project folders.  A file belongs to the nearest folder above it,
up to the repository root, that holds a ``pyproject.toml``, ``setup.py`` or
``setup.cfg``; a file with no such folder above it, or one that project's ``exclude``
leaves out, is its own folder's project.  A project inside another one that is also
picked, and not excluded by it, is covered by it as with ``dockvenv check .``, so
nothing is reported twice.

``dockvenv hook check FILES`` reports the findings of those projects (exit 1 on any);
``dockvenv hook migrate FILES`` writes their migration and exits 1 when it changed a
file, as ruff's fixer hook does, so the commit stops and the change can be reviewed.
Any option of ``check`` or ``migrate`` may come before the files (pre-commit's ``args``).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Iterable, Sequence

from dockvenv.errors import UsageError

MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")


def project_roots(files: Iterable[str], top: str | os.PathLike[str] = ".") -> list[str]:
    """Distinct project folders for ``files``, in first-seen order, as paths relative to ``top``."""
    roots = _Roots(Path(top).resolve())
    found: list[Path] = []
    for file in files:
        root = roots.of(file)
        if root not in found:
            found.append(root)
    kept = [r for r in found if not any(o != r and roots.covers(o, r) for o in found)]
    return [roots.relative(r) for r in kept]


class _Roots:
    def __init__(self, top: Path) -> None:
        self.top = top
        self._exclude: dict[Path, tuple[str, ...]] = {}

    def of(self, file: str) -> Path:
        """The nearest folder above ``file``, up to the top, with a project marker, else its own.

        A file the found project's ``exclude`` leaves out is its own folder's project: a file
        pre-commit passes is always looked at (pre-commit's own ``exclude:`` decides which).
        """
        path = (self.top / file).resolve()
        own = path if path.is_dir() else path.parent
        for folder in (own, *own.parents):
            if any((folder / marker).is_file() for marker in MARKERS):
                return folder if self.covers(folder, path) else own
            if folder == self.top:
                break
        return own

    def covers(self, root: Path, path: Path) -> bool:
        """Whether ``dockvenv check ROOT`` reads ``path``: it lies under ``root``, not excluded."""
        from dockvenv.project import excluded

        if not path.is_relative_to(root):
            return False
        rel = path.relative_to(root).as_posix()
        return rel == "." or not excluded(rel, self.exclude(root))

    def exclude(self, root: Path) -> tuple[str, ...]:
        from dockvenv.config import load
        from dockvenv.project import read_file

        if root not in self._exclude:
            name = f"{self.relative(root)}/pyproject.toml".removeprefix("./")
            self._exclude[root] = load(read_file(root, "pyproject.toml"), name).exclude
        return self._exclude[root]

    def relative(self, root: Path) -> str:
        return (root.relative_to(self.top).as_posix() or ".") if root.is_relative_to(self.top) else str(root)


def run(argv: Sequence[str]) -> int:
    """``dockvenv hook check|migrate [OPTIONS] FILE...``, parsed as ``check``/``migrate`` would be."""
    from dockvenv.cli import _parser

    if not argv or argv[0] not in ("check", "migrate"):
        raise UsageError("usage: dockvenv hook check|migrate [OPTIONS] FILE...")
    args = _parser().parse_args(list(argv))
    # check/migrate default to ".": without a file named, pre-commit matched nothing.
    files = args.paths if args.paths != ["."] or "." in argv[1:] else []
    if not files:
        return 0  # pre-commit found no matching file: nothing to look at
    args.paths = project_roots(files)
    if argv[0] == "check" or args.dry_run or args.check or args.interactive:
        return int(args.func(args))
    return _fix(args)


def _fix(args: argparse.Namespace) -> int:
    """Write the migration; exit 1 when anything changed, so pre-commit stops the commit."""
    from dockvenv.migrate import run as migrate

    quiet = io.StringIO()
    with redirect_stdout(quiet), redirect_stderr(quiet):
        pending = migrate(argparse.Namespace(**{**vars(args), "check": True}))
    if pending == 0:
        sys.stderr.write(quiet.getvalue())  # notes on what dockvenv cannot migrate, if any
        return 0
    # pre-commit stashed what is not staged, so a staged change is not a reason to refuse.
    migrate(argparse.Namespace(**{**vars(args), "force": True, "yes": True}))
    return 1
