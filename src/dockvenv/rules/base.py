"""What every rule receives, and the helpers rules share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from dockvenv.analysis import Facts, Step
from dockvenv.config import Settings
from dockvenv.dockerfile import Dockerfile, Instruction
from dockvenv.model import Finding
from dockvenv.project import Project


@dataclass(frozen=True)
class Context:
    project: Project
    settings: Settings
    dockerfiles: tuple[tuple[str, Dockerfile, Facts], ...]


def steps(ctx: Context, *cmds: str) -> Iterator[tuple[str, Facts, Step]]:
    """Every instruction of every Dockerfile (only those of ``cmds`` when given)."""
    for path, _df, facts in ctx.dockerfiles:
        for step in facts.steps:
            if not cmds or step.ins.cmd in cmds:
                yield path, facts, step


def finding(code: str, path: str, ins: Instruction, message: str, fixable: bool = True) -> Finding:
    return Finding(code=code, path=path, line=ins.start_line, message=message, fixable=fixable)
