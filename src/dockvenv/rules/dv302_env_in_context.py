"""DV302 env-in-context: ``COPY . .`` ships a ``.env`` that ``.dockerignore`` lets through.

## Why is this bad?
The dotenv file is not named anywhere in the Dockerfile, so nobody reviewing it sees
that the secrets go into the image: the whole-context copy takes them along.

## Example
A project with ``.env`` and no ``.dockerignore``, and:
```dockerfile
COPY . .
```

## Use instead
Exclude ``.env*`` (keeping ``!.env.example``) in ``.dockerignore``.

## Fix safety
Safe: ``dockvenv migrate`` creates or extends ``.dockerignore``; nothing else changes.
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.dockerignore import for_dockerfile, ignored
from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding, steps
from dockvenv.rules.dv202_source_tree_copied import is_whole_context

CODE = "DV302"
NAME = "env-in-context"


def exposed_env_files(ctx: Context, dockerfile: str) -> list[str]:
    """Dotenv files inside this Dockerfile's build context that .dockerignore does not exclude."""
    from dockvenv.contexts import resolve

    df = next(d for p, d, _f in ctx.dockerfiles if p == dockerfile)
    context = resolve(ctx.project, dockerfile, df).folder
    prefix = f"{context}/" if context else ""
    rules = for_dockerfile(ctx.project.text, dockerfile, context)
    out = []
    for env in ctx.project.env_files:
        if not env.startswith(prefix):
            continue
        rel = env[len(prefix):]
        if rel.endswith((".example", ".sample", ".template", ".dist")):
            continue
        if not ignored(rules, rel):
            out.append(rel)
    return out


def check(ctx: Context) -> Iterator[Finding]:
    for path, _facts, step in steps(ctx, "COPY", "ADD"):
        if step.ins.flag("from") is not None:
            continue
        if any(is_whole_context(s) for s in step.ins.value[:-1]):
            exposed = exposed_env_files(ctx, path)
            if exposed:
                yield finding(CODE, path, step.ins,
                              f"{step.ins.cmd} of the whole context ships {', '.join(exposed)}: "
                              f".dockerignore does not exclude {'them' if len(exposed) > 1 else 'it'}")
