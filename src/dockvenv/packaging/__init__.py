"""Make a project packageable so that its image can install only its wheel (docs/packaging.md).

``plan_packaging`` is pure, like the rest of the plan: the project was read before, and
the result says which files to create or change, which CMD words to rewrite and which
files the runtime stage must still copy, each with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockvenv.model import FileEdit

if TYPE_CHECKING:
    from dockvenv.config import Settings
    from dockvenv.dockerfile import Dockerfile
    from dockvenv.project import Project

__all__ = ["PackagingPlan", "plan_packaging", "rewrite_commands"]


@dataclass(frozen=True)
class PackagingPlan:
    edits: tuple[FileEdit, ...] = ()  # a new pyproject.toml, or a [build-system] table added
    # A word the CMD/ENTRYPOINT (or a later RUN) hands to python -> the module it becomes:
    # {"app.py": "app"} turns ``python app.py`` into ``python -m app``.
    cmd_rewrites: Mapping[str, str] = field(default_factory=dict)
    runtime_files: tuple[str, ...] = ()  # context-relative files/folders to COPY into the runtime stage
    package_data: tuple[str, ...] = ()  # non-Python files/folders shipped inside the wheel
    reasons: tuple[str, ...] = ()
    makes_packageable: bool = False  # the folder builds a wheel once ``edits`` are written
    modules: tuple[str, ...] = ()  # top-level modules and packages the wheel carries
    requirement_files: tuple[str, ...] = ()  # where the dependencies were copied from

    def merged_runtime_files(self, base: tuple[str, ...]) -> tuple[str, ...]:
        """``base`` (plan.runtime_files) without the scripts that became modules, plus ours."""
        return tuple(dict.fromkeys([*(f for f in base if f not in self.cmd_rewrites
                                      and f"./{f}" not in self.cmd_rewrites), *self.runtime_files]))


def plan_packaging(project: Project, context: str, df: Dockerfile, settings: Settings) -> PackagingPlan | None:
    """What makes the project at ``context`` build a wheel for ``df``; None when it already does."""
    from dockvenv.packaging.planner import plan

    return plan(project, context, df, settings)


def rewrite_commands(text: str, path: str, packaging: PackagingPlan) -> tuple[str, tuple[str, ...]]:
    """The migrated Dockerfile ``text`` with ``python app.py`` -> ``python -m app`` (and reasons)."""
    from dockvenv.packaging.cmdline import rewrite_dockerfile

    return rewrite_dockerfile(text, path, packaging.cmd_rewrites)
