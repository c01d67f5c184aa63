"""DV502 no-lock: nothing pins the runtime dependency set, so the image floats.

## Why is this bad?
Installing a wheel (or ``pip install .``) resolves the declared version ranges at build
time: two builds of the same commit can ship different dependency versions, and a
release of any dependency can break a rebuild.

## Example
A ``pyproject.toml`` with ``dependencies = ["flask>=3"]`` and no ``uv.lock``,
``poetry.lock`` or fully pinned requirements file.

## Use instead
Commit a lock (``uv lock``); the migrated builder exports it and the runtime stage
installs exactly those pins before the wheel.

## Fix safety
Not fixed automatically: creating a lock resolves versions, a decision for the team.
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.model import Finding
from dockvenv.rules.base import Context

CODE = "DV502"
NAME = "no-lock"
LOCKS = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock")


def check(ctx: Context) -> Iterator[Finding]:
    if not ctx.dockerfiles:
        return
    files = ctx.project.files
    if not any(f.rsplit("/", 1)[-1] in LOCKS for f in files):
        if "pyproject.toml" in files and "[project]" in files["pyproject.toml"].text:
            yield Finding(CODE, "pyproject.toml", 0, "no lock file: the image resolves dependency ranges at build time",
                          fixable=False)
