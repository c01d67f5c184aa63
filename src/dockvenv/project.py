"""Read a project checkout into memory: the only module that reads project files.

Everything the rules and rewrites need is read here once, as text exactly as it is on
disk (BOM, CRLF, no final newline all kept), and handed on as an immutable
``Project``.  Bad files fail here with a one-line ``InputError`` naming the file and
line: binary or non-UTF-8 text, a FIFO, an unreadable file, a symlink out of the tree.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence, TypeVar

from dockvenv.errors import InputError

MAX_BYTES = 16 * 1024 * 1024
_SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".eggs", ".idea", ".vscode"}
)
_KEEP_HIDDEN = frozenset({".devcontainer", ".github", ".gitlab", ".circleci"})
_CONFIG_NAMES = frozenset(
    {"pyproject.toml", "setup.py", "setup.cfg", "Pipfile", ".dockerignore", "uv.lock",
     "poetry.lock", "Pipfile.lock", "pdm.lock", "Procfile", "compose.yaml", "compose.yml",
     "docker-compose.yml", "docker-compose.yaml", "MANIFEST.in", "Makefile", ".gitlab-ci.yml"}
)


def is_dockerfile(name: str) -> bool:
    if name.endswith((".dockerignore", ".py")):  # dockerfile.py is Python (dockvenv's own source)
        return False
    return (
        name in ("Dockerfile", "dockerfile", "Containerfile", "containerfile")
        or name.startswith(("Dockerfile.", "Containerfile.", "dockerfile."))
        or name.endswith((".Dockerfile", ".dockerfile", ".Containerfile"))
    )


def is_env_file(name: str) -> bool:
    return name == ".env" or name.startswith((".env.", ".env_", ".env-")) or (
        name.endswith(".env") and len(name) > 4
    )


def is_requirements(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    parent = rel.rsplit("/", 2)[-2] if "/" in rel else ""
    if fnmatch.fnmatch(name, "requirements*.txt") or fnmatch.fnmatch(name, "*requirements.txt"):
        return True
    if fnmatch.fnmatch(name, "*-requirements.txt"):
        return True
    return parent == "requirements" and name.endswith((".txt", ".in", ".pip"))


def is_compose_file(name: str) -> bool:
    return bool(re.fullmatch(r"(docker-)?compose([.-][\w.-]+)?\.ya?ml", name))


def _wanted(rel: str, name: str) -> bool:
    if is_dockerfile(name) or name in _CONFIG_NAMES or is_requirements(rel) or is_compose_file(name):
        return True
    if rel.startswith(".github/workflows/") and name.endswith((".yml", ".yaml")):
        return True
    return name.endswith(".py") or name.endswith(".dockerignore")


@dataclass(frozen=True)
class TextFile:
    path: str  # relative to the project root, posix separators
    text: str
    mode: int
    mtime_ns: int
    size: int


@dataclass(frozen=True)
class Project:
    root: str  # absolute
    files: Mapping[str, TextFile]
    env_files: tuple[str, ...] = ()
    dirs: frozenset[str] = field(default=frozenset())  # every folder seen, relative

    def text(self, path: str) -> str | None:
        f = self.files.get(path)
        return f.text if f else None

    @functools.cached_property
    def dockerfiles(self) -> tuple[str, ...]:
        # cached: the rules and the dependency scan ask once per Dockerfile (quadratic in a monorepo)
        return tuple(sorted(p for p in self.files if is_dockerfile(p.rsplit("/", 1)[-1])))

    @functools.cached_property
    def python_files(self) -> tuple[str, ...]:
        return tuple(sorted(p for p in self.files if p.endswith(".py")))

    def exists(self, rel: str) -> bool:
        rel = rel.strip("/")
        return rel in ("", ".") or rel in self.files or rel in self.dirs or rel in self.env_files

    @functools.cached_property
    def folders(self) -> frozenset[str]:
        """Every folder above a path the walk saw (``""`` for the root when it saw any)."""
        out: set[str] = set()
        for path in (*self.files, *self.dirs, *self.env_files):
            parts = path.split("/")
            out.add("")
            out.update("/".join(parts[:i]) for i in range(1, len(parts)))
        return frozenset(out)


T = TypeVar("T")


def per_project(fn: Callable[[Project], T]) -> Callable[[Project], T]:
    """``fn(project)`` computed once per ``Project``, kept on it like a cached property: a
    monorepo asks once per Dockerfile, which made whole-project scans quadratic."""
    key = f"_per_project_{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def once(project: Project) -> T:
        memo = project.__dict__
        if key not in memo:
            memo[key] = fn(project)
        return memo[key]  # type: ignore[no-any-return]

    return once


def excluded(rel: str, patterns: Sequence[str]) -> bool:
    """``rel`` (or a folder above it) matches a glob: ``*`` and ``?`` stay in one folder, ``**`` crosses."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(_glob(p).fullmatch(prefix) for p in patterns for prefix in prefixes)


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> "re.Pattern[str]":
    out = []
    for i, piece in enumerate(re.split(r"(\*\*/?|\*|\?)", pattern.strip("/"))):
        if i % 2:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(piece, "(?:.*/)?" if piece.endswith("/") else ".*"))
        else:
            out.append(re.escape(piece))
    return re.compile("".join(out))


def _base(root: str | os.PathLike[str]) -> Path:
    base = Path(root)
    if not base.exists():
        raise InputError(f"{root}: no such directory")
    if not base.is_dir():
        raise InputError(f"{root}: not a directory (dockvenv takes a project folder)")
    return base.resolve()


def read_file(root: str | os.PathLike[str], rel: str) -> str | None:
    """One file of the project (``pyproject.toml``, for the settings the walk needs), or None."""
    f = _read(_base(root), rel)
    return f.text if f else None


def read_project(root: str | os.PathLike[str], exclude: Sequence[str] = ()) -> Project:
    """Walk ``root`` and read every file dockvenv looks at, except the ``exclude`` globs.

    An excluded path is never opened, but still counts as present (a COPY may name it).
    """
    base = _base(root)
    files: dict[str, TextFile] = {}
    env_files: list[str] = []
    dirs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(base):
        rel_dir = Path(dirpath).relative_to(base).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in _SKIP_DIRS and (not d.startswith(".") or d in _KEEP_HIDDEN)
            and not os.path.islink(os.path.join(dirpath, d))
        )
        dirs.update(f"{rel_dir}/{d}" if rel_dir else d for d in dirnames)
        if exclude:
            dirnames[:] = [d for d in dirnames if not excluded(f"{rel_dir}/{d}" if rel_dir else d, exclude)]
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if exclude and excluded(rel, exclude):
                dirs.add(rel)
                continue
            if is_env_file(name):
                env_files.append(rel)
                continue
            if not _wanted(rel, name):
                dirs.add(rel)  # present in the tree: a COPY source may name it
                continue
            f = _read(base, rel)
            if f is not None:
                files[rel] = f
    return Project(str(base), files, tuple(sorted(env_files)), frozenset(dirs))


def _read(base: Path, rel: str) -> TextFile | None:
    path = base / rel
    try:
        lst = os.lstat(path)
        if stat.S_ISLNK(lst.st_mode):
            target = path.resolve()
            if not target.is_relative_to(base):
                raise InputError(f"{rel}: symlink points outside the project ({os.readlink(path)})")
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{rel}: not a regular file")
        if st.st_size > MAX_BYTES:
            raise InputError(f"{rel}: file too large ({st.st_size} bytes; the limit is {MAX_BYTES})")
        data = path.read_bytes()
    except FileNotFoundError:
        return None  # vanished while we walked: a dangling link, or deleted; not ours to read
    except PermissionError:
        raise InputError(f"{rel}: cannot read: permission denied") from None
    except OSError as exc:
        raise InputError(f"{rel}: cannot read: {exc.strerror or exc}") from None
    return TextFile(rel, decode(rel, data), stat.S_IMODE(st.st_mode), st.st_mtime_ns, st.st_size)


def decode(rel: str, data: bytes) -> str:
    """UTF-8 text, or a one-line InputError at the first bad byte's line."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(f"{rel}:{line}: binary file (NUL byte)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{rel}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        ) from None
