"""DV501 pep668-base: the base image's Python is the distro's, marked externally managed.

## Why is this bad?
Debian, Ubuntu and Alpine mark their ``python3`` as externally managed (PEP 668):
``pip install`` into it fails with ``externally-managed-environment``. A venv was often
the workaround; without one, installs need ``--break-system-packages`` (safe in an
image that nothing else manages with the distro's Python packages).

Releases before PEP 668 (Debian 11, Ubuntu 22.04, Alpine 3.18 and older) are not
reported: their pip would reject ``--break-system-packages``.

## Example
```dockerfile
FROM ubuntu:24.04
RUN apt-get update && apt-get install -y python3 python3-pip
```

## Use instead
An official ``python:`` image, or pass ``--break-system-packages`` (or set
``PIP_BREAK_SYSTEM_PACKAGES=1``) for installs into the distro Python.

## Fix safety
Safe in a container: ``dockvenv migrate`` adds the flag to the runtime stage's installs.
"""

from __future__ import annotations

import re
from typing import Iterator

from dockvenv.model import Finding
from dockvenv.rules.base import Context, finding

CODE = "DV501"
NAME = "pep668-base"
_DISTRO = re.compile(r"^(?:docker\.io/)?(?:library/)?(debian|ubuntu|alpine)(?::|@|$)")
_PY_PKG = re.compile(r"^(python3(\.\d+)?(-pip|-venv|-dev)?|py3-pip|python3-full)$")


def distro_python(base: str, run_args: list[str]) -> bool:
    """Whether a stage on ``base`` gets its Python from the distro's package manager, under PEP 668."""
    m = _DISTRO.match(base.lower())
    if not m or _before_pep668(m.group(1), base.lower()[m.end():]):
        return False
    return any(_PY_PKG.match(a) for a in run_args) or base.lower().startswith(("debian", "ubuntu"))


# The first release of each that marks its python3 EXTERNALLY-MANAGED.
_FIRST = {"debian": (12,), "ubuntu": (23, 4), "alpine": (3, 19)}
_DEBIAN_OLD = ("buster", "stretch", "jessie", "bullseye")
_UBUNTU_OLD = ("xenial", "bionic", "focal", "jammy", "kinetic")


def _before_pep668(distro: str, tag: str) -> bool:
    """Whether the tag names a release older than PEP 668 (an unknown or moving tag is taken as new)."""
    tag = tag.split("@", 1)[0]
    if any(tag.startswith(old) for old in (*_DEBIAN_OLD, *_UBUNTU_OLD)):
        return True
    version = re.match(r"(\d+)(?:\.(\d+))?", tag)
    if not version:
        return False
    numbers = tuple(int(g) for g in version.groups() if g is not None)
    return numbers < _FIRST[distro][: len(numbers)] if distro != "debian" else numbers[0] < 12


def check(ctx: Context) -> Iterator[Finding]:
    for path, df, facts in ctx.dockerfiles:
        for st in df.stages:
            if st.index not in facts.runtime:
                continue
            words = [w for s in facts.steps if s.stage.index == st.index for c in s.commands for w in c.argv]
            if "--break-system-packages" in words or any(
                s.vars.get("PIP_BREAK_SYSTEM_PACKAGES") for s in facts.steps if s.stage.index == st.index
            ):
                continue
            if distro_python(st.base, words) and any(_PY_PKG.match(w) for w in words):
                yield finding(CODE, path, st.from_,
                              f"base {st.base} has a distro Python under PEP 668: installs need --break-system-packages")
