"""DV401 dev-tool-runtime: a development tool is a runtime dependency.

## Why is this bad?
Everything in ``[project.dependencies]`` (or Poetry's, PDM's and uv's runtime tables,
``setup.py``/``setup.cfg`` ``install_requires``, or the requirements file the image
installs) is installed into every production image. pytest, mypy, ruff, coverage and
their kin add tens of megabytes, extra CVEs to triage and slower builds, and nothing
in production ever runs them.

## Example
```toml
[project]
dependencies = ["flask>=3", "pytest>=8", "mypy"]
```

## Use instead
```toml
[project]
dependencies = ["flask>=3"]

[project.optional-dependencies]
dev = ["pytest>=8", "mypy"]
```
(or ``[dependency-groups]``, ``[tool.poetry.group.dev.dependencies]``,
``extras_require["dev"]``, ``requirements-dev.txt``: whatever the project already uses;
docs/dependencies.md has the list of tools and how to extend it).

## Fix safety
Safe: a tool moves only when nothing shows it is used at run time: runtime code does
not import it, no Dockerfile, Procfile or compose command runs it, and the project is
neither a dev tool nor a plugin of one (those are DV402). Comments, order, quoting and
line endings are kept, and each edit is re-read to prove it means exactly the move.
"""

from __future__ import annotations

from collections.abc import Iterator

from dockvenv.deps import analyze_dependencies, move_label
from dockvenv.model import Finding
from dockvenv.rules.base import Context

CODE = "DV401"
NAME = "dev-tool-runtime"


def check(ctx: Context) -> Iterator[Finding]:
    report = analyze_dependencies(ctx.project, ctx.settings)
    for d in report.moves:
        if d.name == "python-dotenv":
            continue  # reported with its load_dotenv() calls (DV303)
        where = move_label(ctx.project, ctx.settings, d)
        yield Finding(
            CODE, d.path, d.line, f"dev tool {d.name} is a runtime dependency ({d.table}); move it to {where}"
        )
    for d, why in report.unfixable:
        yield Finding(
            CODE,
            d.path,
            d.line,
            f"dev tool {d.name} is a runtime dependency ({d.table}); not moved: {why}",
            fixable=False,
        )
    for path, line, why in report.notes:
        yield Finding(CODE, path, line, f"dependencies not checked for dev tools: {why}", fixable=False)
