"""DV303 dotenv-at-import: runtime code loads a ``.env`` file when it is imported.

## Why is this bad?
``load_dotenv()`` at module level makes python-dotenv a runtime dependency and makes
the app read whatever ``.env`` happens to sit in its working directory, in production
too: a stray or baked-in file silently overrides the environment the orchestrator set.
Containers get their configuration from the environment; ``.env`` files are a
development convenience.

## Example
```python
from dotenv import load_dotenv

load_dotenv()
```

## Use instead
```python
try:
    from dotenv import load_dotenv
except ImportError:  # python-dotenv is a dev dependency: without it no .env file is read
    def load_dotenv(*args: object, **kwargs: object) -> bool:
        return False

load_dotenv()
```
Developers install the dev extra and keep their ``.env``; the image has neither, and
python-dotenv moves to the dev dependencies.

## Fix safety
Safe: without python-dotenv the stand-ins return what python-dotenv returns when there
is no ``.env`` file (``False``, ``""``, ``{}``). Only module-level
``from dotenv import load_dotenv, find_dotenv, dotenv_values`` is rewritten; other
forms are reported without a fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from dockvenv.deps import analyze_dependencies
from dockvenv.model import Finding
from dockvenv.rules.base import Context

CODE = "DV303"
NAME = "dotenv-at-import"


def check(ctx: Context) -> Iterator[Finding]:
    report = analyze_dependencies(ctx.project, ctx.settings)
    why = {(p, line): w for p, line, w in report.dotenv_unfixable}
    for path, line in report.dotenv_sites:
        if (path, line) in why:
            yield Finding(
                CODE,
                path,
                line,
                f"load_dotenv() runs at import time; not rewritten: {why[path, line]}",
                fixable=False,
            )
        else:
            yield Finding(CODE, path, line, "load_dotenv() runs at import time: make python-dotenv optional")
