"""DV103 venv-env: ``VIRTUAL_ENV`` is set or a venv's ``bin`` is put on ``PATH``.

## Why is this bad?
These variables make a venv the image's Python behind the user's back: programs
resolve from the venv only while ``PATH`` says so, ``docker exec`` shells and
entrypoint scripts that reset ``PATH`` see another interpreter, and the venv must be
kept (and shipped) for the image to work at all.

## Example
```dockerfile
ENV VIRTUAL_ENV=/opt/venv
ENV PATH="/opt/venv/bin:$PATH"
```
Every spelling is found: legacy ``ENV PATH /venv/bin:$PATH``, quoted, ``${PATH}``,
appended rather than prepended, relative (``./venv/bin``).

## Use instead
Nothing: packages installed into the image's Python are on the default ``PATH``.

## Fix safety
Safe: ``dockvenv migrate`` removes only the venv entries; other ``ENV`` keys and other
``PATH`` entries on the same line stay.
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.analysis import env_pairs, path_venvs
from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding, steps

CODE = "DV103"
NAME = "venv-env"


def check(ctx: Context) -> Iterator[Finding]:
    for path, facts, step in steps(ctx, "ENV"):
        for key, val in env_pairs(step.ins):
            if key == "VIRTUAL_ENV":
                yield finding(CODE, path, step.ins, f"VIRTUAL_ENV={val} points the image at a virtualenv")
            elif key == "PATH":
                first = val.strip("'\"").split(":", 1)[0].strip("'\"")
                for entry in path_venvs(val, facts.venvs):
                    where = "first" if entry == first else "on the search path"
                    yield finding(CODE, path, step.ins, f"PATH puts the virtualenv's {entry} {where}")
