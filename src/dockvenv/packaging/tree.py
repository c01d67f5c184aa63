"""The files of one project folder as the packaging planner sees them (pure, from ``Project``).

``Project`` holds the text of the files dockvenv reads and the bare names of every other
file and folder; this view answers "is it there", "is it a folder" and "what is under it"
relative to the folder the wheel is built from.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from functools import cached_property

from dockvenv.project import Project, is_env_file

# Folders that never hold the app's runtime code.
NOT_APP_DIRS = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks",
                          "bench", "build", "dist", "node_modules", "site-packages", "htmlcov"})
NOT_APP_FILES = frozenset({"setup.py", "conftest.py", "noxfile.py", "fabfile.py", "tasks.py", "__init__.py", "test.py",
                           "tests.py"})


@dataclass(frozen=True)
class Tree:
    project: Project
    folder: str  # relative to the project root; "" is the root

    def rel(self, path: str) -> str:
        """``path`` of the project, relative to the folder."""
        return path[len(self.folder) + 1:] if self.folder else path

    def full(self, rel: str) -> str:
        rel = posixpath.normpath(rel) if rel else "."
        if rel == ".":
            return self.folder
        return f"{self.folder}/{rel}" if self.folder else rel

    @cached_property
    def paths(self) -> frozenset[str]:
        """Every file and folder below the folder, relative to it."""
        return self._index[0]

    @cached_property
    def dirs(self) -> frozenset[str]:
        """The folders that hold something."""
        return self._index[1]

    @cached_property
    def _index(self) -> tuple[frozenset[str], frozenset[str]]:
        prefix = f"{self.folder}/" if self.folder else ""
        paths: set[str] = set()
        dirs: set[str] = set()
        p = self.project
        for path in (*p.files, *p.dirs, *p.env_files):
            if path.startswith(prefix):
                parts = path[len(prefix):].split("/")
                paths.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
                dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
        return frozenset(paths), frozenset(dirs)

    def exists(self, rel: str) -> bool:
        rel = posixpath.normpath(rel.removeprefix("./")).rstrip("/")
        return rel in self.paths

    def is_dir(self, rel: str) -> bool:
        rel = posixpath.normpath(rel.removeprefix("./")).rstrip("/")
        return rel in self.dirs

    def text(self, rel: str) -> str | None:
        return self.project.text(self.full(rel))

    def under(self, rel: str) -> list[str]:
        """Files (and empty folders) below ``rel``, relative to the folder."""
        rel = rel.rstrip("/")
        return sorted(p for p in self.paths if p.startswith(rel + "/") and not self.is_dir(p))

    @cached_property
    def top(self) -> tuple[str, ...]:
        return tuple(sorted(p for p in self.paths if "/" not in p))

    def python_files(self, rel: str = "") -> list[str]:
        prefix = f"{rel}/" if rel else ""
        return sorted(p for p in self.paths if p.endswith(".py") and p.startswith(prefix)
                      and self.text(p) is not None)


def is_identifier_path(rel: str) -> bool:
    return all(part.isidentifier() for part in rel.split("/"))


def is_secret(rel: str) -> bool:
    return is_env_file(rel.rsplit("/", 1)[-1])
