"""DV301 env-copied: a ``.env`` file is copied or added into the image.

## Why is this bad?
A dotenv file holds secrets for one environment. Copied into a layer it is readable by
anyone who can pull the image, stays in the layer history even if a later step deletes
it, and pins one environment's settings into an image that should run everywhere.

## Example
```dockerfile
COPY .env /app/.env
ADD .env requirements.txt /app/
```

## Use instead
Pass settings at run time: ``docker run --env-file .env``, compose ``env_file:``, or
your orchestrator's secrets.

## Fix safety
Safe for the image; the app must get its settings at run time instead (the rewrite
of ``load_dotenv()``, DV303, keeps local development working).
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.model import Finding
from dockvenv.project import is_env_file
from dockvenv.rules.base import Context, finding, steps

CODE = "DV301"
NAME = "env-copied"


def env_sources(sources: tuple[str, ...]) -> list[str]:
    """The sources of a COPY/ADD that are dotenv files (``.env``, ``.env.prod``, ``prod.env``)."""
    return [s for s in sources if is_env_file(s.strip("'\"").rstrip("/").rsplit("/", 1)[-1])
            and not s.strip("'\"").endswith((".example", ".sample", ".template", ".dist"))]


def check(ctx: Context) -> Iterator[Finding]:
    for path, _facts, step in steps(ctx, "COPY", "ADD"):
        if step.ins.flag("from") is not None or step.ins.heredocs:
            continue
        for src in env_sources(step.ins.value[:-1]):
            yield finding(CODE, path, step.ins, f"{step.ins.cmd} {src} puts a dotenv file into the image")
