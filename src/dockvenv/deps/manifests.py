"""Read what each manifest declares: runtime requirements, dev tables, name, plugins.

Readers are pure and fast (tomllib, ``ast``, line scans); nothing here edits.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


from dockvenv.config import parse_toml
from dockvenv.deps import tomlpos
from dockvenv.deps.devtools import canonical
from dockvenv.deps.model import Declared

DEV_EXTRAS = frozenset(
    {
        "dev",
        "develop",
        "development",
        "devel",
        "test",
        "tests",
        "testing",
        "lint",
        "linting",
        "typing",
        "typecheck",
        "types",
        "mypy",
        "docs",
        "doc",
        "style",
        "qa",
        "ci",
        "coverage",
    }
)


@dataclass
class Manifest:
    """One packaging file's facts (a unit may have several: pyproject + requirements)."""

    path: str
    kind: str  # "pyproject", "setup.py", "setup.cfg", "requirements"
    name: str | None = None
    declared: list[Declared] = field(default_factory=list)
    dev_names: set[str] = field(default_factory=set)  # names listed in dev tables
    plugin_groups: set[str] = field(default_factory=set)  # entry-point groups it declares
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, why) not editable


def requirement_name(spec: str) -> str | None:
    # The PEP 508 name is all a check needs: a regex spares `dockvenv check` the
    # ~30 ms that importing packaging.requirements costs at start-up.
    m = _NAME.match(spec)
    return canonical(m.group(1)) if m else None


_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def _names(values: Iterable[Any]) -> set[str]:
    out = set()
    for v in values:
        if isinstance(v, str):
            name = requirement_name(v)
            if name:
                out.add(name)
    return out


def _table(data: Any, *path: str) -> dict[str, Any]:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def read_pyproject(path: str, text: str) -> Manifest:
    data = parse_toml(text, path)
    m = Manifest(path, "pyproject")
    project = _table(data, "project")
    poetry = _table(data, "tool", "poetry")
    name = project.get("name") or poetry.get("name")
    m.name = canonical(name) if isinstance(name, str) else None
    deps = project.get("dependencies")
    if isinstance(deps, list):
        lines = tomlpos.array_lines(text, ("project", "dependencies"))
        for i, spec in enumerate(deps):
            n = requirement_name(spec) if isinstance(spec, str) else None
            if n:
                line = lines[i] if i < len(lines) else 1
                m.declared.append(Declared(n, spec, path, line, "project.dependencies"))
    pdeps = _table(poetry, "dependencies")
    lines_by_key = tomlpos.key_lines(text, ("tool", "poetry", "dependencies")) if pdeps else {}
    for key, val in pdeps.items():
        if key.lower() != "python":
            line = lines_by_key.get(key, 1)
            spec = tomlpos.value_text(text, line) if key in lines_by_key else _poetry_spec(val)
            m.declared.append(Declared(canonical(key), spec, path, line, "tool.poetry.dependencies"))
    for group, val in _table(project, "optional-dependencies").items():
        if canonical(group) in DEV_EXTRAS and isinstance(val, list):
            m.dev_names |= _names(val)
    for val in _table(data, "dependency-groups").values():
        if isinstance(val, list):
            m.dev_names |= _names(val)
    for group in _table(poetry, "group").values():
        m.dev_names |= {canonical(k) for k in _table(group, "dependencies")}
    m.dev_names |= {canonical(k) for k in _table(poetry, "dev-dependencies")}
    for val in _table(data, "tool", "pdm", "dev-dependencies").values():
        if isinstance(val, list):
            m.dev_names |= _names(val)
    uv_dev = _table(data, "tool", "uv").get("dev-dependencies")
    if isinstance(uv_dev, list):
        m.dev_names |= _names(uv_dev)
    m.plugin_groups |= set(_table(project, "entry-points"))
    m.plugin_groups |= set(_table(poetry, "plugins"))
    return m


def _poetry_spec(val: Any) -> str:
    if isinstance(val, str):
        return f'"{val}"'
    if isinstance(val, dict):
        inner = ", ".join(f"{k} = {_toml_value(v)}" for k, v in val.items())
        return "{" + inner + "}"
    if isinstance(val, list):
        return "[" + ", ".join(_poetry_spec(v) for v in val) + "]"
    return str(val)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return str(v)


def read_setup_cfg(path: str, text: str) -> Manifest:
    m = Manifest(path, "setup.cfg")
    sections = ini_sections(text)
    meta = sections.get("metadata", {})
    if "name" in meta and meta["name"][0][1].strip():
        m.name = canonical(meta["name"][0][1].strip())
    opts = sections.get("options", {})
    for line, value in opts.get("install_requires", []):
        n = requirement_name(value) if value.strip() else None
        if n:
            m.declared.append(Declared(n, value.strip(), path, line, "install_requires"))
    for key, values in sections.get("options.extras_require", {}).items():
        if canonical(key) in DEV_EXTRAS:
            m.dev_names |= _names(v for _, v in values)
    m.plugin_groups |= set(sections.get("options.entry_points", {}).keys())
    return m


def ini_sections(text: str) -> dict[str, dict[str, list[tuple[int, str]]]]:
    """setup.cfg as RawConfigParser reads it, with each value line's 1-based number."""
    out: dict[str, dict[str, list[tuple[int, str]]]] = {}
    section: dict[str, list[tuple[int, str]]] | None = None
    key: str | None = None
    for no, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if raw[:1] in " \t" and section is not None and key is not None:
            section[key].append((no, stripped))
            continue
        m = re.match(r"\[([^\]]+)\]", stripped)
        if m:
            section = out.setdefault(m.group(1).strip(), {})
            key = None
            continue
        if section is not None:
            kv = re.match(r"([^=:]+)[=:](.*)$", stripped)
            if not kv:
                continue
            key = kv.group(1).strip().lower()
            value = kv.group(2).strip()
            section[key] = [(no, value)] if value else []
    return out


def read_setup_py(path: str, text: str) -> Manifest:
    m = Manifest(path, "setup.py")
    try:
        tree = ast.parse(text.lstrip("\ufeff"))
    except (SyntaxError, ValueError, RecursionError) as exc:
        m.problems.append((getattr(exc, "lineno", None) or 1, "setup.py does not parse"))
        return m
    call = setup_call(tree)
    if call is None:
        return m
    for kw in call.keywords:
        if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            m.name = canonical(kw.value.value)
        elif kw.arg == "install_requires":
            if isinstance(kw.value, (ast.List, ast.Tuple)) and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in kw.value.elts
            ):
                for e in kw.value.elts:
                    n = requirement_name(e.value)  # type: ignore[attr-defined]
                    if n:
                        m.declared.append(Declared(n, e.value, path, e.lineno, "install_requires"))  # type: ignore[attr-defined]
            else:
                m.problems.append((kw.value.lineno, "install_requires is computed, not a literal list"))
        elif kw.arg == "extras_require":
            if isinstance(kw.value, ast.Dict):
                for k, v in zip(kw.value.keys, kw.value.values, strict=True):
                    if isinstance(k, ast.Constant) and canonical(str(k.value)) in DEV_EXTRAS:
                        if isinstance(v, (ast.List, ast.Tuple)):
                            m.dev_names |= _names(e.value for e in v.elts if isinstance(e, ast.Constant))
            else:
                m.problems.append((kw.value.lineno, "extras_require is computed, not a literal dict"))
        elif kw.arg == "entry_points" and isinstance(kw.value, ast.Dict):
            m.plugin_groups |= {
                k.value for k in kw.value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
        elif kw.arg is None:
            m.problems.append((call.lineno, "setup() takes **kwargs: its arguments are computed"))
    return m


def setup_call(tree: ast.AST) -> ast.Call | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Name) and f.id == "setup") or (
                isinstance(f, ast.Attribute) and f.attr == "setup"
            ):
                return node
    return None


_OPTION = re.compile(r"^\s*(-[a-zA-Z]\b|--[a-z-]+)")


def requirement_lines(text: str) -> list[tuple[int, int, str]]:
    """Logical lines of a requirements file: (first line, last line, text without comment)."""
    out: list[tuple[int, int, str]] = []
    lines = text.lstrip("\ufeff").splitlines()
    i = 0
    while i < len(lines):
        start = i
        parts = []
        while True:
            body = re.sub(r"(^|\s)#.*$", "", lines[i])
            if body.rstrip().endswith("\\") and i + 1 < len(lines):
                parts.append(body.rstrip()[:-1])
                i += 1
                continue
            parts.append(body)
            break
        out.append((start + 1, i + 1, " ".join(p.strip() for p in parts).strip()))
        i += 1
    return out


def read_requirements(path: str, text: str) -> Manifest:
    m = Manifest(path, "requirements")
    for first, _last, body in requirement_lines(text):
        if not body or _OPTION.match(body) or "://" in body or body.startswith((".", "/")):
            continue
        spec = re.split(r"\s+--?[a-z]", " " + body, maxsplit=1)[0].strip()
        n = requirement_name(spec)
        if n:
            m.declared.append(Declared(n, spec, path, first, "requirements"))
    return m


def includes(text: str) -> list[str]:
    """Files a requirements file pulls in with ``-r``/``--requirement``."""
    out = []
    for _first, _last, body in requirement_lines(text):
        mm = re.match(r"^(?:-r|--requirement)(?:\s+|=)?(\S+)", body)
        if mm:
            out.append(mm.group(1))
    return out


def is_compiled(text: str) -> bool:
    """Output of pip-compile / uv pip compile: a lock, regenerated from its source."""
    head = text[:600]
    return "autogenerated by pip-compile" in head or "uv pip compile" in head
