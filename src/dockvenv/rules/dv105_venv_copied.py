"""DV105 venv-copied: a virtualenv is copied from one stage into another.

## Why is this bad?
The copied venv is one layer holding every dependency: any code change rebuilds it and
every pull ships it again (16.3 MB a change, against about 20 KB for a wheel installed
after a cached dependency layer). Its scripts also hard-code the builder's paths.

## Example
```dockerfile
COPY --from=builder /opt/venv /opt/venv
```

## Use instead
Install the locked dependencies in their own layer, then the project's wheel with
``--no-deps``, both from ``RUN --mount=from=builder``.

## Fix safety
Safe: ``dockvenv migrate`` replaces the copy with those two installs. A copied folder
that only holds a venv (``COPY --from=builder /app /app`` with ``/app/.venv`` inside)
is reported but not changed: it may carry other files the image needs.
"""

from __future__ import annotations

from typing import Iterator

from dockvenv.analysis import absolute, expand
from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding, steps

CODE = "DV105"
NAME = "venv-copied"


def check(ctx: Context) -> Iterator[Finding]:
    for path, facts, step in steps(ctx, "COPY"):
        if step.ins.flag("from") is None:
            continue
        stage = step.ins.flag("from")
        sources = step.ins.value[:-1]
        venvs = venv_sources(sources, step.vars, step.workdir, facts.venvs)
        for src in venvs:
            yield finding(CODE, path, step.ins, f"virtualenv {src} copied from stage '{stage}'")
        for src, venv in _holding_venv(sources, step.vars, step.workdir, facts.venvs):
            if src not in venvs:  # the folder may hold more than the venv: not dropped automatically
                yield finding(CODE, path, step.ins, f"{src} copied from stage '{stage}' holds the virtualenv {venv}",
                              fixable=False)


def _holding_venv(sources: tuple[str, ...], values: dict[str, str], workdir: str,
                  venvs: frozenset[str]) -> list[tuple[str, str]]:
    out = []
    for src in sources:
        full = absolute(expand(src, values).rstrip("/") or "/", workdir)
        inside = sorted(v for v in venvs if full != "/" and v.startswith(full + "/"))
        if inside:
            out.append((src, inside[0]))
    return out


def venv_sources(sources: tuple[str, ...], values: dict[str, str], workdir: str,
                 venvs: frozenset[str]) -> list[str]:
    out = []
    for src in sources:
        full = absolute(expand(src, values).rstrip("/") or "/", workdir)
        name = full.rsplit("/", 1)[-1]
        if full in venvs or name in (".venv", "venv", "virtualenv") or "venv" in name.lower():
            out.append(src)
    return out
