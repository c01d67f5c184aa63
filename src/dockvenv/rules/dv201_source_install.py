"""DV201 source-install: the runtime stage installs from the source tree.

## Why is this bad?
``pip install .`` (or ``-e .``, a source folder, ``-r requirements.txt``) in the final
stage needs the whole source tree and the build backend in the image, runs the build
on every code change, and resolves version ranges afresh on each build. An editable
install also leaves the image depending on source files at their copied paths.

## Example
```dockerfile
COPY . .
RUN pip install .
```

## Use instead
Build a wheel in a builder stage (``uv build --wheel``) and install only the wheel in
the runtime stage, after the locked dependencies.

## Fix safety
Safe for the packaging the wheel carries; files that the app reads at run time and
the wheel does not package must still be copied (``dockvenv migrate`` reports them).
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.analysis import expanded, from_mount_install, pip_install
from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding, steps

CODE = "DV201"
NAME = "source-install"


def check(ctx: Context) -> Iterator[Finding]:
    for path, facts, step in steps(ctx, "RUN"):
        if not facts.in_runtime(step):
            continue
        for cmd in step.commands:
            pip = pip_install(expanded(cmd, step))
            if pip is None or from_mount_install(step.ins, pip):
                continue
            for target in pip.local_targets:
                kind = "editable install" if target in pip.editable else "install"
                yield finding(CODE, path, step.ins, f"runtime stage builds an {kind} of the source tree '{target}'"
                              if kind.startswith("e") else
                              f"runtime stage builds and installs the source tree '{target}'")
            for req in pip.requirements:
                yield finding(CODE, path, step.ins, f"runtime stage installs -r {req} from the source tree, not a built wheel")
