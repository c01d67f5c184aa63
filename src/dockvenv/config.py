"""Settings: ``[tool.dockvenv]`` in the project's pyproject.toml, then command-line flags.

The ``Settings`` fields are the configuration reference: docs/configuration.md is
generated from them (``python -m dockvenv.docs``), so the two cannot drift.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field, fields, replace
from typing import Any

from dockvenv.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()
    """Only report rules whose code starts with one of these prefixes (e.g. ``["DV1", "DV301"]``)."""
    ignore: tuple[str, ...] = ()
    """Never report rules whose code starts with one of these prefixes."""
    dev_tools: tuple[str, ...] = ()
    """Extra distribution names (or ``name*`` patterns) to treat as dev tools."""
    runtime_tools: tuple[str, ...] = ()
    """Distribution names never to move out of runtime dependencies, whatever the list says."""
    dev_target: str = "extra"
    """Where moved dev tools go: ``extra`` (``[project.optional-dependencies].dev``) or ``group`` (PEP 735)."""
    uv_version: str = "0.13.9"
    """The uv release the builder stage pins."""
    uv_source: str = "pip"
    """How the builder gets uv: ``pip`` (``pip install uv==X``) or ``image`` (``COPY --from=ghcr.io/astral-sh/uv``)."""
    syntax_directive: bool = True
    """Emit ``# syntax=docker/dockerfile:1`` at the top of a migrated Dockerfile."""
    compile_bytecode: bool = True
    """Compile ``.pyc`` files at install time in the runtime stage (faster first start, larger image)."""
    builder_base: str = ""
    """Base image of the builder stage; empty means the runtime stage's own base."""
    include_dev: bool = False
    """Also migrate development Dockerfiles (``Dockerfile.dev``, ``.devcontainer/``)."""
    exclude: tuple[str, ...] = ()
    """Paths never read, as globs from the project root (``*`` stays in one folder, ``**`` crosses
    folders); a matching folder is skipped whole, e.g. ``["fixtures/**", "tests/data"]``."""

    def wants(self, code: str) -> bool:
        if self.select and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore)


_CHOICES = {"dev_target": ("extra", "group"), "uv_source": ("pip", "image")}


def load(pyproject_text: str | None, path: str = "pyproject.toml") -> Settings:
    """Settings from a pyproject.toml's ``[tool.dockvenv]`` table (defaults when absent)."""
    if not pyproject_text:
        return Settings()
    data = parse_toml(pyproject_text, path)
    table = data.get("tool", {}).get("dockvenv", {})
    if not isinstance(table, dict):
        raise InputError(f"{path}: [tool.dockvenv] must be a table")
    return apply(Settings(), {k.replace("-", "_"): v for k, v in table.items()}, path)


def apply(settings: Settings, values: dict[str, Any], origin: str) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, val in values.items():
        if val is None:
            continue
        if key not in known:
            raise InputError(f"{origin}: unknown dockvenv setting {key!r}")
        default = getattr(Settings(), key)
        if isinstance(default, tuple):
            if isinstance(val, str):
                val = tuple(v.strip() for v in val.split(",") if v.strip())
            if not isinstance(val, (list, tuple)) or not all(isinstance(v, str) for v in val):
                raise InputError(f"{origin}: {key} must be a list of strings")
            val = tuple(val)
        elif not isinstance(val, type(default)):
            raise InputError(f"{origin}: {key} must be a {type(default).__name__}")
        if key in _CHOICES and val not in _CHOICES[key]:
            raise InputError(f"{origin}: {key} must be one of {', '.join(_CHOICES[key])}")
        changes[key] = val
    return replace(settings, **changes)


def parse_toml(text: str, path: str) -> dict[str, Any]:
    """The parsed document, shared by every caller that parses the same text: do not change it."""
    try:
        return _loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        line = ""
        if "(at line " in msg:
            line = msg.rsplit("(at line ", 1)[1].split(",", 1)[0]
            msg = msg.rsplit(" (at line ", 1)[0]
        raise InputError(f"{path}:{line or 1}: invalid TOML: {msg}") from None


@functools.lru_cache(maxsize=512)
def _loads(text: str) -> dict[str, Any]:
    # a project's pyproject.toml is asked for by the settings, the dependency scan, the build
    # spec and the packaging plan, per Dockerfile: seven parses per file on the corpus, one now
    return tomllib.loads(text.lstrip("\ufeff"))


def documented_fields() -> list[tuple[str, str, str]]:
    """(name, default, doc) for each setting, from the attribute docstrings above."""
    import ast
    import inspect

    src = inspect.getsource(Settings)
    tree = ast.parse(src)
    docs: dict[str, str] = {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    for node, nxt in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
                docs[node.target.id] = str(nxt.value.value)
    out = []
    for f in fields(Settings):
        default = f.default if f.default is not field else None
        out.append((f.name.replace("_", "-"), repr(default), docs.get(f.name, "")))
    return out
