"""Which Python projects a Dockerfile installs, found from its own install steps.

``pip install ./pkg``, ``cd pkg && uv sync``, ``COPY sklearnserver sklearnserver``
then ``pip install -e sklearnserver``: each install names a folder inside the image;
the COPY/ADD instructions (and bind mounts) that filled that folder say which folder
of the build context it is.  Only folders holding packaging (pyproject.toml with a
project, setup.py, setup.cfg metadata) count.  The order is the install order, which
is the dependency order the Dockerfile already relied on.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass
from typing import Callable

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
    copies = _copy_map(facts, lambda src: _is_dir(project, _join(context, src)))
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
                here = _tool_dir(full.argv, cwd)
                package = _option(full.argv, ("--package",)) if posixpath.basename(full.argv[0]) == "uv" else None
                member = _workspace_member(project, _join(context, _to_context(here, copies) or "."), package) \
                    if package else None
                dirs = [posixpath.join(here, member) if member else here]
            for image_dir in dirs:
                folder = _to_context(image_dir, copies)
                if folder is not None and folder not in found and has_packaging(project, _join(context, folder)):
                    found[folder] = Installed(folder, image_dir)
    return tuple(found.values())


def _tool_dir(argv: tuple[str, ...], cwd: str) -> str:
    """The folder a uv/poetry/pdm command works on: its ``--directory``/``--project`` option, or the cwd."""
    names = {"uv": ("--directory", "--project"), "poetry": ("-C", "--directory", "-P", "--project"),
             "pdm": ("-p", "--project")}.get(posixpath.basename(argv[0]) if argv else "", ())
    value = _option(argv, names)
    return absolute(value, cwd) if value else cwd


def _option(argv: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    for i, word in enumerate(argv):
        if word in names and i + 1 < len(argv):
            return argv[i + 1]
        for name in names:
            if name.startswith("--") and word.startswith(name + "="):
                return word.split("=", 1)[1]
    return None


def _workspace_member(project: Project, root: str, name: str) -> str | None:
    """``uv sync --package NAME`` at a workspace root: the member called NAME, relative to the root."""
    data = _toml(project, _join(root, "pyproject.toml"))
    workspace = data.get("tool", {}).get("uv", {}).get("workspace", {})
    if _canonical(data.get("project", {}).get("name", "")) == _canonical(name):
        return "."
    members, exclude = workspace.get("members", []), workspace.get("exclude", [])
    prefix = f"{root}/" if root else ""
    for path in sorted(project.files):
        if not path.endswith("/pyproject.toml") or not path.startswith(prefix):
            continue
        rel = posixpath.dirname(path[len(prefix):])
        if _globbed(rel, members) and not _globbed(rel, exclude) and \
                _canonical(_toml(project, path).get("project", {}).get("name", "")) == _canonical(name):
            return rel
    return None


def _globbed(rel: str, patterns: list[str]) -> bool:
    """A uv workspace glob: ``*`` stays within one folder, ``**`` crosses folders."""
    for pat in patterns:
        pat = posixpath.normpath(str(pat))
        if fnmatch.fnmatchcase(rel, pat) and ("**" in pat or rel.count("/") == pat.count("/")):
            return True
    return False


def _canonical(name: object) -> str:
    return re.sub(r"[-_.]+", "-", str(name)).lower()


def _toml(project: Project, path: str) -> dict:
    try:
        return parse_toml(project.text(path) or "", path)
    except InputError:
        return {}


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


def _is_dir(project: Project, path: str) -> bool:
    return path in project.folders


def _copy_map(facts: object, is_dir: Callable[[str], bool]) -> list[tuple[str, str]]:
    """(path in the image, path in the context) for everything copied or bind-mounted from the context.

    A folder's contents land in the destination itself (``COPY libs/core/ ./core/`` fills
    ``./core``); a file goes into a destination that ends in ``/``.
    """
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
            if clean == "." or is_dir(clean):
                out.append((dest_abs, clean))
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
