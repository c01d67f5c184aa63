"""DV202 source-tree-copied: the whole build context is copied into the runtime image.

## Why is this bad?
``COPY . .`` ships tests, docs, ``.git`` leftovers, local ``.env`` files and caches
into the image, and any change to any file invalidates the layer and everything after
it. The runtime image only needs the installed package.

## Example
```dockerfile
FROM python:3.12-slim
COPY . /app
```

A ``.dockerignore`` that excludes everything (``*``) and lets files through by name
makes the context an allowlist: ``COPY . .`` then copies only those, and is not
reported.

## Use instead
Copy the source into the builder stage only; the runtime stage installs the wheel and
copies, by name, the few files the command needs at run time.

## Fix safety
Unsafe when the app reads non-Python files from the source tree at run time;
``dockvenv migrate`` keeps a copy for files the command names.
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.dockerignore import for_dockerfile, ignored
from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding, steps

CODE = "DV202"
NAME = "source-tree-copied"


def is_whole_context(src: str) -> bool:
    return src.strip("'\"").rstrip("/") in (".", "./", "") or src in ("./*", "*")


def allowlisted(ctx: Context, dockerfile: str) -> bool:
    """Whether the build context's .dockerignore excludes everything not named (``*`` then ``!keep``)."""
    return ignored(for_dockerfile(ctx.project.text, dockerfile), "dockvenv-probe/any-new-file.py")


def check(ctx: Context) -> Iterator[Finding]:
    for path, facts, step in steps(ctx, "COPY", "ADD"):
        if not facts.in_runtime(step) or step.ins.flag("from") is not None:
            continue
        if allowlisted(ctx, path):
            continue  # the context is only the files .dockerignore lets through by name
        if any(is_whole_context(s) for s in step.ins.value[:-1]):
            dest = step.ins.value[-1] if step.ins.value else ""
            yield finding(CODE, path, step.ins, f"whole build context copied into the runtime image at {dest}")
