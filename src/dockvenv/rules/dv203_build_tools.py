"""DV203 build-tools-in-runtime: packaging tools or compilers stay in the runtime image.

## Why is this bad?
uv, poetry, pipenv, build, hatch or a C toolchain are needed to build, not to run.
Left in the final image they add tens of megabytes and attack surface, and often pull
a second copy of dependencies.

## Example
```dockerfile
FROM python:3.12-slim
RUN pip install poetry && poetry install
```

## Use instead
Install build tools in the builder stage only; the runtime stage installs finished
wheels from a ``RUN --mount=from=builder`` mount.

## Fix safety
Safe for packaging tools: ``dockvenv migrate`` moves the build into the builder stage.
Compilers and ``-dev`` packages are reported, not removed: only you know whether the
app builds anything at run time. Packages installed and removed in the same ``RUN``
(``apk add --virtual .build ... && apk del .build``) never reach a layer and are not
reported.
"""

from __future__ import annotations

import re
from typing import Iterator

from dockvenv.analysis import BUILD_TOOLS, pip_install
from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding, steps
from dockvenv.shell import Command

CODE = "DV203"
NAME = "build-tools-in-runtime"
_COMPILERS = frozenset({"build-essential", "gcc", "g++", "python3-dev", "libpq-dev", "musl-dev", "build-base"})
_PACKAGE_MANAGERS = frozenset({"apt-get", "apt", "apk", "dnf", "yum", "microdnf"})


def check(ctx: Context) -> Iterator[Finding]:
    for path, facts, step in steps(ctx, "RUN", "COPY"):
        if not facts.in_runtime(step):
            continue
        ins = step.ins
        if ins.cmd == "COPY":
            src = ins.flag("from") or ""
            if re.search(r"astral-sh/uv|/uv:", src):
                yield finding(CODE, path, ins, f"uv copied into the runtime image from {src}")
            continue
        for cmd in step.commands:
            pip = pip_install(cmd)
            if pip is not None:
                tools = sorted({_name(t) for t in pip.targets} & BUILD_TOOLS)
                if tools:
                    yield finding(CODE, path, ins, f"build tool(s) {', '.join(tools)} installed in the runtime image")
            elif cmd.program in _PACKAGE_MANAGERS and _subcommand(cmd.argv) in ("install", "add"):
                pkgs = sorted(set(cmd.argv) & _COMPILERS)
                if pkgs and not _removed_in_same_run(cmd.argv, step.commands):
                    yield finding(CODE, path, ins, f"compiler toolchain {', '.join(pkgs)} installed in the runtime image",
                                  fixable=False)


def _subcommand(argv: tuple[str, ...]) -> str:
    """``apt-get -y install`` and ``dnf --nodocs install``: the first word that is not an option."""
    return next((a for a in argv[1:] if not a.startswith("-")), "")


def _removed_in_same_run(argv: tuple[str, ...], cmds: tuple[Command, ...]) -> bool:
    """``apk add --virtual .build gcc ... && apk del .build``: gone before the layer is written."""
    name = ""
    for i, arg in enumerate(argv):
        if arg in ("--virtual", "-t") and i + 1 < len(argv):
            name = argv[i + 1]
        elif arg.startswith("--virtual="):
            name = arg.split("=", 1)[1]
    return bool(name) and any(c.program == "apk" and _subcommand(c.argv) == "del" and name in c.argv for c in cmds)


def _name(target: str) -> str:
    return re.split(r"[<>=!~\[ ;]", target.strip("'\""), maxsplit=1)[0].lower()
