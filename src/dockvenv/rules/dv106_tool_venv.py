"""DV106 tool-venv: ``uv sync``, ``poetry install`` or ``pipenv install`` makes a project venv.

## Why is this bad?
These tools create ``.venv`` (or a venv in their cache) unless told otherwise, with the
same costs as a hand-made venv, and the tool itself usually stays in the image. A venv
in the tool's cache directory is worse: the installed programs are not on ``PATH``.

## Example
```dockerfile
RUN pip install poetry && poetry install --no-root
RUN uv sync --frozen
```

## Use instead
Let the builder stage export the locked set (``uv export --frozen``) and build the
wheel; install both into the image's Python in the runtime stage.

## Fix safety
Safe when the project has a lock: the export keeps the same pins. Without one the
runtime stage resolves the declared ranges (DV502 says so).
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding, steps
from dockvenv.shell import Command

CODE = "DV106"
NAME = "tool-venv"
_SYSTEM_PREFIXES = ("/usr", "/usr/local")


def tool_venv(cmd: Command, values: dict[str, str]) -> str | None:
    """The tool that will create a project venv with this command, if any."""
    argv = cmd.argv
    if len(argv) < 2:
        return None
    env = {**values, **dict(cmd.env)}
    prog, sub = argv[0].rsplit("/", 1)[-1], argv[1]
    if prog == "uv" and sub == "sync":
        if env.get("UV_PROJECT_ENVIRONMENT", "").rstrip("/") in _SYSTEM_PREFIXES or "--system" in argv:
            return None
        return "uv sync"
    if prog == "poetry" and sub in ("install", "sync"):
        if env.get("POETRY_VIRTUALENVS_CREATE", "").lower() in ("false", "0"):
            return None
        return f"poetry {sub}"
    if prog == "pipenv" and sub in ("install", "sync"):
        if "--system" in argv or env.get("PIPENV_SYSTEM") in ("1", "true"):
            return None
        return f"pipenv {sub}"
    return None


def check(ctx: Context) -> Iterator[Finding]:
    for path, _facts, step in steps(ctx, "RUN"):
        poetry_off = _poetry_config_off(step.commands)
        for cmd in step.commands:
            tool = tool_venv(cmd, step.vars)
            if tool and not (tool.startswith("poetry") and poetry_off):
                yield finding(CODE, path, step.ins, f"'{tool}' installs the project into a virtualenv")


def _poetry_config_off(cmds: tuple[Command, ...]) -> bool:
    return any(c.argv[:4] == ("poetry", "config", "virtualenvs.create", "false") for c in cmds)
