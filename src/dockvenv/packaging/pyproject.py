"""Write the packaging a project lacks, as readable TOML (tomlkit), checked by re-reading it.

``generate`` writes a whole ``pyproject.toml`` for a project that has none (or one with
only tool settings, kept below): hatchling, with ``only-include`` naming the app's own
modules, packages and the data they read next to themselves, so the wheel mirrors the
source tree and ``__file__``-relative paths still work.  ``with_build_system`` adds only a
``[build-system]`` table to a project that already builds but does not say with what.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HATCHLING = "hatchling>=1.18"
SETUPTOOLS = "setuptools>=64"
POETRY_CORE = "poetry-core>=1.0.0"


class Refused(Exception):
    """The edit would not mean what it should; ``str()`` says why."""


@dataclass(frozen=True)
class Metadata:
    name: str
    version: str = "0.0.0"
    requires_python: str | None = None
    dependencies: tuple[str, ...] = ()
    dev: tuple[str, ...] = ()
    scripts: tuple[tuple[str, str], ...] = ()
    include: tuple[str, ...] = ()  # only-include: modules, packages and data, relative to the folder
    sources: tuple[str, ...] = field(default=())  # requirement files the dependencies come from


def generate(meta: Metadata, existing: str | None = None) -> str:
    import tomlkit

    doc = tomlkit.document()
    origin = ", ".join(meta.sources) or "nothing: add them here"
    doc.add(tomlkit.comment("Written by dockvenv: the image builds this app as a wheel and installs only that."))
    doc.add(tomlkit.comment(f"Dependencies copied from {origin}; keep the two in step."))
    build = tomlkit.table()
    build.add("requires", [HATCHLING])
    build.add("build-backend", "hatchling.build")
    doc.add("build-system", build)

    project = tomlkit.table()
    project.add("name", meta.name)
    project.add("version", meta.version)
    if meta.requires_python:
        project.add("requires-python", meta.requires_python)
    project.add("dependencies", _array(meta.dependencies, multiline=bool(meta.dependencies)))
    if meta.dev:
        extras = tomlkit.table()
        extras.add("dev", _array(meta.dev, multiline=True))
        project.add("optional-dependencies", extras)
    if meta.scripts:
        scripts = tomlkit.table()
        for name, target in meta.scripts:
            scripts.add(name, target)
        project.add("scripts", scripts)
    doc.add("project", project)

    hatch = tomlkit.table(is_super_table=True)
    if any(" @ " in d for d in (*meta.dependencies, *meta.dev)):
        metadata = tomlkit.table()
        metadata.add("allow-direct-references", True)
        hatch.add("metadata", metadata)
    wheel = tomlkit.table()
    if meta.include:
        wheel.add(tomlkit.comment("The app's modules and packages, and the files they read next to themselves."))
        wheel.add("only-include", _array(meta.include, multiline=len(meta.include) > 3))
    else:
        wheel.add(tomlkit.comment("No module of the app was found: add them to only-include."))
        wheel.add("bypass-selection", True)
    wheel.add("exclude", [".env", ".env.*", "__pycache__"])
    wheel.add(tomlkit.comment("Ship what the Docker build context has, whatever .gitignore says."))
    wheel.add("ignore-vcs", True)
    targets = tomlkit.table(is_super_table=True)
    targets.add("wheel", wheel)
    build_t = tomlkit.table(is_super_table=True)
    build_t.add("targets", targets)
    hatch.add("build", build_t)
    tool = tomlkit.table(is_super_table=True)
    tool.add("hatch", hatch)
    doc.add("tool", tool)
    text = tomlkit.dumps(doc)
    data = tomllib.loads(text)
    if existing and existing.strip():
        text = _prepend(text, existing, data)
    return text


def _array(items: tuple[str, ...], multiline: bool) -> Any:
    import tomlkit

    arr = tomlkit.array()
    arr.extend(items)
    if multiline:
        arr.multiline(True)
    return arr


def _prepend(text: str, existing: str, generated: dict[str, Any]) -> str:
    """The generated tables above a pyproject that only held tool settings, which stay as written."""
    old = tomllib.loads(existing.lstrip("\ufeff"))
    clash = _clash(generated, old)
    if clash:
        raise Refused(f"pyproject.toml already has [{clash}]")
    nl = "\r\n" if "\r\n" in existing else "\n"
    bom = "\ufeff" if existing.startswith("\ufeff") else ""
    joined = bom + text.replace("\n", nl) + nl + existing.lstrip("\ufeff")
    if tomllib.loads(joined.lstrip("\ufeff")) != _merge(generated, old):
        raise Refused("pyproject.toml uses dotted keys that the new tables would change")
    return joined


def _clash(new: dict[str, Any], old: dict[str, Any], prefix: str = "") -> str | None:
    for key, value in new.items():
        if key in old:
            if isinstance(value, dict) and isinstance(old[key], dict):
                found = _clash(value, old[key], f"{prefix}{key}.")
                if found:
                    return found
            else:
                return f"{prefix}{key}"
    return None


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(b)
    for key, value in a.items():
        out[key] = _merge(value, out[key]) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def with_build_system(existing: str | None, requires: list[str], backend: str) -> str:
    """``existing`` (or nothing) with a ``[build-system]`` table first; every other byte kept."""
    import tomlkit

    table = tomlkit.table()
    table.add("requires", requires)
    table.add("build-backend", backend)
    doc = tomlkit.document()
    doc.add(tomlkit.comment("Added by dockvenv: the build backend, so that uv and pip build the same wheel."))
    doc.add("build-system", table)
    text = tomlkit.dumps(doc)
    if not existing or not existing.strip():
        return text
    old = tomllib.loads(existing.lstrip("\ufeff"))
    if "build-system" in old:
        raise Refused("pyproject.toml already has [build-system]")
    return _prepend(text, existing, tomllib.loads(text))
