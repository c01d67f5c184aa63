"""DV204 single-stage: one stage both builds and runs the project.

## Why is this bad?
With a single stage, everything needed to build (source tree, build backend, pip
caches, compilers) ends up in the image that ships, and a code change re-runs the whole
install. A builder stage keeps the runtime image to what runs.

## Example
```dockerfile
FROM python:3.12-slim
COPY . .
RUN pip install .
```

## Use instead
A builder stage that builds the wheel, and a runtime stage that installs it (the
target ``dockvenv migrate`` writes).

## Fix safety
Safe: the migrated file keeps the runtime stage's base image and every instruction
that is not part of the build.
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.analysis import pip_install
from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding

CODE = "DV204"
NAME = "single-stage"


def check(ctx: Context) -> Iterator[Finding]:
    for path, df, facts in ctx.dockerfiles:
        stages = df.stages
        if len(stages) != 1:
            continue
        installs = any(pip_install(c) is not None and pip_install(c).local_targets  # type: ignore[union-attr]
                       for s in facts.steps for c in s.commands)
        if installs:
            yield finding(CODE, path, stages[0].from_, "single-stage build installs the project where it runs")
