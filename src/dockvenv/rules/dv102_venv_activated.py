"""DV102 venv-activated: a RUN sources a virtualenv's ``activate`` script.

## Why is this bad?
Activation lasts for one ``RUN`` only, so every later instruction must repeat it or
rely on ``PATH`` tricks; a missed ``. venv/bin/activate`` silently installs into, or
runs from, a different Python. With no venv in the image there is nothing to activate.

## Example
```dockerfile
RUN . /opt/venv/bin/activate && pip install -r requirements.txt
```
Also found: ``source .venv/bin/activate``, inside ``bash -c "..."`` and after ``SHELL``.

## Use instead
Install into the image's own Python; run commands by name.

## Fix safety
Safe: ``dockvenv migrate`` drops the activation from the command chain and keeps the
rest of the command.
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.analysis import activated, expanded
from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding, steps

CODE = "DV102"
NAME = "venv-activated"


def check(ctx: Context) -> Iterator[Finding]:
    for path, _facts, step in steps(ctx, "RUN"):
        for cmd in step.commands:
            venv = activated(expanded(cmd, step), step.workdir)
            if venv:
                yield finding(CODE, path, step.ins, f"virtualenv {venv} activated with '{cmd.argv[0]} {cmd.argv[1]}'")
