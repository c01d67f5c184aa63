"""Which packaging a folder has, what it lacks, and the name and version of what is generated."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from dockvenv.config import parse_toml
from dockvenv.errors import InputError
from dockvenv.model import FileEdit
from dockvenv.packaging import PackagingPlan
from dockvenv.packaging import layout as layouts
from dockvenv.packaging import pyproject as gen
from dockvenv.packaging.tree import Tree
from dockvenv.project import Project


@dataclass(frozen=True)
class State:
    kind: str | None  # "pep621", "poetry", "setup.py", "setup.cfg" or None (no packaging)
    build_system: bool
    text: str | None  # the pyproject.toml, when there is one


def _join(a: str, b: str) -> str:
    out = posixpath.normpath(posixpath.join(a or ".", b or "."))
    return "" if out == "." else out


def state(project: Project, folder: str) -> State | None:
    """What packaging the folder has; None when its pyproject.toml does not parse (reported elsewhere)."""
    text = project.text(_join(folder, "pyproject.toml"))
    data = {}
    if text is not None and text.strip():
        try:
            data = parse_toml(text, _join(folder, "pyproject.toml"))
        except InputError:
            return None
    kind = None
    if "project" in data:
        kind = "pep621"
    elif isinstance(data.get("tool"), dict) and "poetry" in data["tool"]:
        kind = "poetry"
    elif project.text(_join(folder, "setup.py")) is not None:
        kind = "setup.py"
    elif "[metadata]" in (project.text(_join(folder, "setup.cfg")) or ""):
        kind = "setup.cfg"
    return State(kind, "build-system" in data, text)


def build_system(project: Project, folder: str, found: State) -> PackagingPlan:
    path = _join(folder, "pyproject.toml")
    if found.kind == "poetry":
        requires, backend, why = [gen.POETRY_CORE], "poetry.core.masonry.api", "poetry-core, as [tool.poetry] needs"
    else:
        requires = [gen.SETUPTOOLS, *_setup_requires(project.text(_join(folder, "setup.py")))]
        backend, why = "setuptools.build_meta", {"setup.py": "setuptools, which setup.py is written for",
                                                 "setup.cfg": "setuptools, which setup.cfg is written for",
                                                 "pep621": "setuptools, what pip and uv assume without one"}[
            found.kind or "pep621"]
    try:
        after = gen.with_build_system(found.text, requires, backend)
    except gen.Refused as exc:
        return PackagingPlan(reasons=(f"{path}: [build-system] not added: {exc}",))
    kept = {"setup.py": "; setup.py stays as it is", "setup.cfg": "; setup.cfg stays as it is"}.get(found.kind or "", "")
    reason = f"{path}: [build-system] added ({why}){kept}"
    return PackagingPlan(edits=(FileEdit(path, found.text, after, (reason,)),), reasons=(reason,),
                         makes_packageable=True)


def _setup_requires(text: str | None) -> list[str]:
    import ast

    from dockvenv.deps.manifests import setup_call

    if not text:
        return []
    try:
        call = setup_call(ast.parse(text.lstrip("\ufeff")))
    except (SyntaxError, ValueError, RecursionError):
        return []
    for kw in call.keywords if call else ():
        if kw.arg == "setup_requires" and isinstance(kw.value, (ast.List, ast.Tuple)):
            return [e.value for e in kw.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def name(project: Project, folder: str, tree: Tree) -> str:
    from packaging.utils import canonicalize_name

    from dockvenv.deps.manifests import read_setup_cfg

    cfg = project.text(_join(folder, "setup.cfg"))
    if cfg:
        found = read_setup_cfg(_join(folder, "setup.cfg"), cfg).name
        if found:
            return found
    base = posixpath.basename(folder) if folder else posixpath.basename(project.root.rstrip("/"))
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("._-")
    return str(canonicalize_name(name)) if name else "app"


def version(lay: layouts.Layout, tree: Tree) -> str:
    from packaging.version import InvalidVersion, Version

    found = set()
    for path in lay.included.values():
        text = tree.text(path if path.endswith(".py") else f"{path}/__init__.py") or ""
        m = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
        if m:
            found.add(m.group(1))
    if len(found) == 1:
        value = found.pop()
        try:
            Version(value)
            return value
        except InvalidVersion:
            pass
    return "0.0.0"
