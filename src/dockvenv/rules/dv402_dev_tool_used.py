"""DV402 dev-tool-used: a development tool the project uses at run time (kept, reported).

## Why is this bad?
It is not always bad, which is why dockvenv never moves it: locust ships a pytest
plugin, some apps seed data with Faker, a container may run ``alembic`` or even
``coverage run``. But a dev tool in a production image is worth a second look, and a
reviewer should see why it stays.

## Example
```toml
[project]
dependencies = ["pytest>=8"]          # locust: the project is a pytest plugin

[project.entry-points.pytest11]
locust = "locust.pytest"
```
Also kept: a tool runtime code imports (``tests/`` and ``conftest.py`` do not count),
one a Dockerfile ``RUN``/``CMD``/``ENTRYPOINT``, Procfile or compose ``command:``
runs, a dependency of a project that is itself a dev tool, a name listed in
``[tool.dockvenv] runtime-tools``, and one the project deliberately left out of the
dev table it already keeps.

## Use instead
Nothing to do when the use is real. When it is not, remove the use (or list the tool
in ``[tool.dockvenv] dev-tools`` to override "looks deliberate"), and DV401 moves it.

## Fix safety
No fix: dockvenv does not move a package it has evidence of at run time.
"""

from __future__ import annotations

from collections.abc import Iterator

from dockvenv.deps import analyze_dependencies
from dockvenv.model import Finding
from dockvenv.rules.base import Context

CODE = "DV402"
NAME = "dev-tool-used"


def check(ctx: Context) -> Iterator[Finding]:
    for d, why in analyze_dependencies(ctx.project, ctx.settings).kept:
        if why.startswith("listed in [tool.dockvenv]"):
            continue  # the user said so: nothing to report
        yield Finding(
            CODE, d.path, d.line, f"dev tool {d.name} kept in runtime dependencies: {why}", fixable=False
        )
