"""DV101 venv-created: a virtualenv is created inside the image.

## Why is this bad?
A container is already an isolated environment. A venv inside it adds its own copy of
pip and setuptools (about 23 MB), hides the interpreter behind ``PATH`` tricks that
every later ``RUN``, ``CMD`` and ``HEALTHCHECK`` must repeat, and tempts a multi-stage
build to copy the whole venv, which re-ships every dependency on each code change
(16.3 MB a change against 20 KB for a wheel in our measurements).

## Example
```dockerfile
RUN python -m venv /opt/venv
```
Also found: ``python3 -mvenv``, ``virtualenv DIR``, ``uv venv``.

## Use instead
Build the project's wheel in a builder stage and install it into the image's own
Python from a ``RUN --mount=from=builder`` mount (what ``dockvenv migrate`` writes).

## Fix safety
Safe: ``dockvenv migrate`` removes the creation and every use of the venv's paths
together, so commands keep resolving to the same programs.
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.analysis import expanded, venv_created
from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding, steps

CODE = "DV101"
NAME = "venv-created"


def check(ctx: Context) -> Iterator[Finding]:
    for path, _facts, step in steps(ctx, "RUN"):
        for cmd in step.commands:
            made = venv_created(expanded(cmd, step), step.workdir)
            if made:
                yield finding(CODE, path, step.ins, f"virtualenv created in the image at {made}")
