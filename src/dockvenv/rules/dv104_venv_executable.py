"""DV104 venv-executable: a program is run by its path inside a virtualenv.

## Why is this bad?
``/opt/venv/bin/gunicorn`` ties the command to the venv's location: move or drop the
venv and ``RUN``, ``CMD``, ``ENTRYPOINT`` or ``HEALTHCHECK`` break, often only at run
time (a failing healthcheck, a container that exits at start).

## Example
```dockerfile
RUN /opt/venv/bin/pip install -r requirements.txt
CMD ["/opt/venv/bin/gunicorn", "app:app"]
```

## Use instead
```dockerfile
CMD ["gunicorn", "app:app"]
```

## Fix safety
Safe: ``dockvenv migrate`` installs the same programs into the image's Python, where
they are on the default ``PATH``; ``.../bin/python`` becomes ``python``.
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.analysis import absolute, expand, venv_of_executable
from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding, steps
from dockvenv.shell import commands, shell_script

CODE = "DV104"
NAME = "venv-executable"


def check(ctx: Context) -> Iterator[Finding]:
    for path, facts, step in steps(ctx, "RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK"):
        ins = step.ins
        if ins.cmd == "RUN":
            words = [w for c in step.commands for w in c.argv[:1]]
        elif ins.json:
            # the program and any path handed to a wrapper (tini --, an entrypoint script); a
            # shell's -c script is split into commands, other arguments are data
            words = [w for w in ins.value if not w.startswith("-") and not any(ch.isspace() for ch in w)]
            script = shell_script(ins.value[1:] if ins.cmd == "HEALTHCHECK" else ins.value)
            words += [w for c in commands(script or "") for w in c.argv[:1]]
        else:
            text = ins.args if ins.cmd != "HEALTHCHECK" else " ".join(ins.value[1:])
            words = [w for c in commands(text) for w in c.argv[:1]]
        seen = set()
        for word in words:
            venv = venv_of_executable(expand(word, step.vars), facts.venvs)
            if venv and not venv.startswith(("/", "$")):
                venv = absolute(venv, step.workdir)  # ./venv/bin/python run from WORKDIR /srv
            if venv and word not in seen:
                seen.add(word)
                yield finding(CODE, path, ins, f"{ins.cmd} runs {word} from the virtualenv {venv}")
