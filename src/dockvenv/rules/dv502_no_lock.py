"""DV502 no-lock: nothing pins the runtime dependency set, so the image floats.

## Why is this bad?
Installing a wheel (or ``pip install .``) resolves the declared version ranges at build
time: two builds of the same commit can ship different dependency versions, and a
release of any dependency can break a rebuild.

## Example
A ``pyproject.toml`` with ``dependencies = ["flask>=3"]`` and no ``uv.lock``,
``poetry.lock``, ``pdm.lock``, ``Pipfile.lock`` or fully pinned requirements file
(every requirement ``name==version``, as ``pip-compile`` or ``uv pip compile`` write).

## Use instead
Commit a lock (``uv lock``); the migrated builder exports it and the runtime stage
installs exactly those pins before the wheel.

## Fix safety
Not fixed automatically: creating a lock resolves versions, a decision for the team.
"""

from __future__ import annotations

import posixpath
import re
from typing import Iterator

from dockvenv.model import Finding
from dockvenv.project import Project, is_requirements
from dockvenv.rules.base import Context

CODE = "DV502"
NAME = "no-lock"
LOCKS = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock")
_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*===?\s*[^\s;,*<>=!~]+\s*(;.*)?$")
_DEV_NAME = re.compile(r"dev|test|lint|doc|coverage|typ(e|ing)|pip-tools", re.I)


def pinned_requirements(project: Project) -> tuple[str, ...]:
    """Requirements files (not dev, test or docs ones) in which every requirement is ``==`` pinned."""
    return tuple(p for p in sorted(project.files) if is_requirements(p)
                 and not _DEV_NAME.search(p.rsplit("/", 1)[-1]) and _fully_pinned(project, p, set()))


def _fully_pinned(project: Project, path: str, seen: set[str]) -> bool:
    text = project.text(path)
    if text is None or path in seen:
        return False
    seen.add(path)
    text = re.sub(r"\\\r?\n", " ", text)  # continuation lines (--hash=...)
    count = 0
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        line = re.sub(r"\s--hash[= ]\S+", "", line).strip()
        if not line:
            continue
        if line.startswith(("-r", "--requirement", "-c", "--constraint")):
            included = line.split(None, 1)[-1] if " " in line else line[2:]
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), included.strip()))
            if line.startswith(("-r", "--requirement")) and not _fully_pinned(project, target, seen):
                return False
            continue
        if line.startswith("-"):
            if line.startswith(("-e", "--editable")):
                return False
            continue  # --index-url and other options
        if not _PIN.match(line):
            return False
        count += 1
    return count > 0 or len(seen) > 1


def check(ctx: Context) -> Iterator[Finding]:
    if not ctx.dockerfiles:
        return
    files = ctx.project.files
    if any(f.rsplit("/", 1)[-1] in LOCKS for f in files) or pinned_requirements(ctx.project):
        return
    if "pyproject.toml" in files and "[project]" in files["pyproject.toml"].text:
        yield Finding(CODE, "pyproject.toml", 0, "no lock file: the image resolves dependency ranges at build time",
                      fixable=False)
