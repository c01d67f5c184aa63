"""Which Python projects a Dockerfile installs, found from its own install steps.

``pip install ./pkg``, ``cd pkg && uv sync``, ``COPY sklearnserver sklearnserver``
then ``pip install -e sklearnserver``: each install names a folder inside the image;
the COPY/ADD instructions (and bind mounts) that filled that folder say which folder
of the build context it is.  Only folders holding packaging (pyproject.toml with a
project, setup.py, setup.cfg metadata) count.  The order is the install order, which
is the dependency order the Dockerfile already relied on.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from dockvenv.analysis import absolute, analyze, expand, expanded, from_mount_install, pip_install
from dockvenv.config import parse_toml
from dockvenv.dockerfile import Dockerfile
from dockvenv.errors import InputError
from dockvenv.project import Project
from dockvenv.rules.dv106_tool_venv import tool_venv


@dataclass(frozen=True)
class Installed:
    folder: str  # relative to the build context; "." is the context itself
    image_path: str  # where the Dockerfile put it inside the image


def installed_projects(project: Project, context: str, df: Dockerfile) -> tuple[Installed, ...]:
    facts = analyze(df)
    copies = _copy_map(facts)
    found: dict[str, Installed] = {}
    for step in facts.steps:
        cwd = step.workdir
        for cmd in (c for c in step.commands if not c.nested):
            full = expanded(cmd, step)
            if full.argv[:1] == ("cd",) and len(full.argv) > 1:
                cwd = absolute(full.argv[1], cwd)
                continue
            pip = pip_install(full)
            dirs: list[str] = []
            if pip is not None and not from_mount_install(step.ins, pip):
                dirs = [absolute(expand(t.split("[", 1)[0].strip("'\""), step.vars), cwd) for t in pip.local_targets]
            elif tool_venv(cmd, step.vars) or _builds_here(full.argv):
                dirs = [cwd]
            for image_dir in dirs:
                folder = _to_context(image_dir, copies)
                if folder is not None and folder not in found and has_packaging(project, _join(context, folder)):
                    found[folder] = Installed(folder, image_dir)
    return tuple(found.values())


def _builds_here(argv: tuple[str, ...]) -> bool:
    """``uv build``, ``poetry build``, ``hatch build``, ``python -m build``: the cwd is a project."""
    prog = posixpath.basename(argv[0]) if argv else ""
    if prog in ("uv", "poetry", "hatch", "pdm") and argv[1:2] == ("build",):
        return not [a for a in argv[2:] if not a.startswith("-")]
    return prog.startswith("python") and argv[1:3] == ("-m", "build")


def has_packaging(project: Project, folder: str) -> bool:
    pyproject = project.text(_join(folder, "pyproject.toml"))
    if pyproject:
        try:
            data = parse_toml(pyproject, _join(folder, "pyproject.toml"))
        except InputError:
            return False
        if "project" in data or "poetry" in data.get("tool", {}) or "build-system" in data:
            return True
    if project.text(_join(folder, "setup.py")) is not None:
        return True
    return "[metadata]" in (project.text(_join(folder, "setup.cfg")) or "")


def _copy_map(facts: object) -> list[tuple[str, str]]:
    """(path in the image, path in the context) for everything copied or bind-mounted from the context."""
    out: list[tuple[str, str]] = []
    for step in facts.steps:  # type: ignore[attr-defined]
        ins = step.ins
        for spec in ins.flag_values("mount"):
            parts = dict(p.split("=", 1) for p in spec.split(",") if "=" in p)
            if parts.get("type", "bind") == "bind" and "from" not in parts and "target" in parts:
                out.append((absolute(expand(parts["target"], step.vars), step.workdir),
                            _clean(parts.get("source", "."))))
        if ins.cmd not in ("COPY", "ADD") or ins.flag("from") is not None or ins.heredocs or len(ins.value) < 2:
            continue
        sources, dest = ins.value[:-1], expand(ins.value[-1], step.vars)
        dest_abs = absolute(dest, step.workdir)
        into_dir = dest.endswith("/") or dest in (".", "..") or len(sources) > 1
        for src in sources:
            clean = _clean(src)
            if clean == ".":
                out.append((dest_abs, "."))
            elif into_dir:
                out.append((posixpath.join(dest_abs, posixpath.basename(clean)), clean))
            else:
                out.append((dest_abs, clean))
    return out


def _to_context(image_dir: str, copies: list[tuple[str, str]]) -> str | None:
    image_dir = posixpath.normpath(image_dir)
    for image_path, src in sorted(copies, key=lambda c: -len(c[0])):
        if image_dir == image_path:
            return src
        if image_dir.startswith(image_path.rstrip("/") + "/"):
            return _join(src, image_dir[len(image_path.rstrip("/")) + 1:])
        if posixpath.dirname(image_path) == image_dir and posixpath.basename(src) in (
                "pyproject.toml", "setup.py", "setup.cfg"):
            return posixpath.dirname(src) or "."
    return None


def _clean(src: str) -> str:
    src = src.strip("'\"").removeprefix("./").strip("/")
    return posixpath.normpath(src) if src else "."


def _join(a: str, b: str) -> str:
    out = posixpath.normpath(posixpath.join(a or ".", b or "."))
    return "" if out == "." else out
