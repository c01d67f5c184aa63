"""DV503 buildkit-syntax: BuildKit-only syntax without a ``# syntax=`` directive.

## Why is this bad?
``RUN --mount``, heredocs and ``COPY --link``/``--chmod`` need BuildKit. On a legacy
builder (``DOCKER_BUILDKIT=0``, old CI runners) the build fails with an unhelpful
parse error; the directive states the requirement and selects a frontend that has it.

## Example
```dockerfile
FROM python:3.12-slim
RUN --mount=type=cache,target=/root/.cache pip install -r requirements.txt
```

## Use instead
```dockerfile
# syntax=docker/dockerfile:1
```
as the first line.

## Fix safety
Safe: ``dockvenv migrate`` adds the directive (``syntax-directive = false`` for
air-gapped builders).
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding

CODE = "DV503"
NAME = "buildkit-syntax"
_BUILDKIT_FLAGS = ("mount", "link", "chmod", "network", "security", "parents", "exclude")


def check(ctx: Context) -> Iterator[Finding]:
    for path, df, _facts in ctx.dockerfiles:
        if "syntax" in df.directives:
            continue
        for ins in df.instructions:
            used = [f"--{f}" for f in _BUILDKIT_FLAGS if ins.flag(f) is not None]
            if ins.heredocs:
                used.append("heredoc")
            if used:
                yield finding(CODE, path, ins, f"{' and '.join(used)} needs BuildKit but the file has no '# syntax=' line")
                break
