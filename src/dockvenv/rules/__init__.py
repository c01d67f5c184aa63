"""The rule registry: every rule by code, in one explicit table."""

from __future__ import annotations

import re
from types import ModuleType

from dockvenv.dockerfile import Dockerfile
from dockvenv.model import Finding
from dockvenv.rules import (
    dv101_venv_created,
    dv102_venv_activated,
    dv103_venv_env,
    dv104_venv_executable,
    dv105_venv_copied,
    dv106_tool_venv,
    dv201_source_install,
    dv202_source_tree_copied,
    dv203_build_tools,
    dv204_single_stage,
    dv301_env_copied,
    dv302_env_in_context,
    dv303_dotenv_at_import,
    dv401_dev_tool_runtime,
    dv402_dev_tool_used,
    dv501_pep668,
    dv502_no_lock,
    dv503_buildkit_syntax,
)
from dockvenv.rules.base import Context

RULES: tuple[ModuleType, ...] = (
    dv101_venv_created,
    dv102_venv_activated,
    dv103_venv_env,
    dv104_venv_executable,
    dv105_venv_copied,
    dv106_tool_venv,
    dv201_source_install,
    dv202_source_tree_copied,
    dv203_build_tools,
    dv204_single_stage,
    dv301_env_copied,
    dv302_env_in_context,
    dv303_dotenv_at_import,
    dv401_dev_tool_runtime,
    dv402_dev_tool_used,
    dv501_pep668,
    dv502_no_lock,
    dv503_buildkit_syntax,
)
BY_CODE = {rule.CODE: rule for rule in RULES}
_PRAGMA = re.compile(r"#\s*dockvenv:\s*ignore(?:\[([A-Z0-9,\s]+)\])?", re.I)


def run(ctx: Context) -> list[Finding]:
    """Every finding of every selected rule, minus those silenced inline, sorted."""
    found: list[Finding] = []
    by_path = {path: df for path, df, _facts in ctx.dockerfiles}
    for rule in RULES:
        if not ctx.settings.wants(rule.CODE):
            continue
        found.extend(f for f in rule.check(ctx) if not _silenced(by_path.get(f.path), f))
    unique = dict.fromkeys(found)
    return sorted(unique, key=lambda f: (f.path, f.line, f.code, f.message))


def _silenced(df: Dockerfile | None, f: Finding) -> bool:
    ins = next((i for i in df.instructions if i.start_line <= f.line <= i.end_line), None) if df else None
    if ins is None:
        return False
    above = df.line_text(ins.start_line - 1)
    lines = [df.line_text(n) for n in range(ins.start_line, ins.end_line + 1)]
    if above.lstrip().startswith("#"):  # a comment line right above; not another instruction's tail
        lines.append(above)
    for line in lines:
        m = _PRAGMA.search(line)
        if m and (m.group(1) is None or any(f.code.startswith(c.strip()) for c in m.group(1).split(","))):
            return True
    return False


def doc(code: str) -> str:
    """The rule's documentation (its module docstring)."""
    rule = BY_CODE[code.upper()]
    return (rule.__doc__ or "").strip()
