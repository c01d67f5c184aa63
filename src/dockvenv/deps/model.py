"""The values dependency analysis hands to the rules and to the planner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Declared:
    """One runtime requirement as the project declares it.

    ``spec`` is the text as written: the PEP 508 string of a ``dependencies`` array,
    ``setup.py`` or ``setup.cfg`` entry, the requirement part of a requirements line,
    or for Poetry the TOML value (``"^7.0"``, ``{version = "^7", optional = true}``).
    """

    name: str  # canonical (packaging.utils.canonicalize_name)
    spec: str
    path: str  # project-relative, posix separators
    line: int  # 1-based
    table: str  # "project.dependencies", "tool.poetry.dependencies", "install_requires", "requirements"


@dataclass(frozen=True)
class DependencyReport:
    declared: tuple[Declared, ...] = ()
    moves: tuple[Declared, ...] = ()  # dev tools that will move
    kept: tuple[tuple[Declared, str], ...] = ()  # dev tools kept on purpose, with the reason
    dotenv_sites: tuple[tuple[str, int], ...] = ()  # import-time load_dotenv() calls (path, line)
    # dev tools that should move but whose declaration cannot be edited safely, with why
    unfixable: tuple[tuple[Declared, str], ...] = ()
    # import-time load_dotenv() calls the codemod cannot rewrite, with why
    dotenv_unfixable: tuple[tuple[str, int, str], ...] = ()
    # declarations that cannot be read, e.g. a computed install_requires: (path, line, why)
    notes: tuple[tuple[str, int, str], ...] = ()
