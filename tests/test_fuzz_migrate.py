"""Property tests of ``migrate``, in memory: it never crashes, its output is valid, it keeps what is not venv.

For generated projects (tests/strategies.py), the plan either raises a one-line
DockvenvError or gives edits such that:

- every changed Dockerfile parses with Docker's own parser (when the input did) and keeps
  the input's BOM and line endings;
- every changed pyproject.toml re-reads with tomllib, setup.cfg with configparser, and no
  requirement name leaves the file: dev tools move between tables, nothing is dropped;
- no instruction that is not venv machinery is lost: the generator's marker tokens and
  every LABEL/EXPOSE/USER/WORKDIR/ARG/... survive, except in a stage the plan removed
  because it only built the venv;
- migrating the migrated project again changes nothing.
"""

from __future__ import annotations

import configparser
import re
import sys
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockvenv.config import Settings
from dockvenv.errors import DockvenvError
from dockvenv.model import Plan
from dockvenv.plan import build_plan
from dockvenv.project import Project, TextFile, is_dockerfile
from tests.strategies import fuzz_settings, in_memory, projects

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

oracle = pytest.importorskip("dockerfile", reason="Docker's parser (PyPI 'dockerfile') is a dev dependency")

BUILDER = "dockvenv-builder"
UNTOUCHABLE = frozenset({"LABEL", "EXPOSE", "USER", "STOPSIGNAL", "VOLUME", "SHELL", "ONBUILD", "MAINTAINER",
                         "WORKDIR", "ARG"})
SETTINGS = st.builds(
    lambda d, s, u, g: replace(Settings(), include_dev=d, syntax_directive=s, uv_source=u, dev_target=g),
    st.booleans(), st.booleans(), st.sampled_from(["pip", "image"]), st.sampled_from(["extra", "group"]))


def plan_or_error(project: Project, settings: Settings) -> Plan | None:
    """The plan, or None after checking the one-line error that refused it."""
    try:
        return build_plan(project, settings)
    except DockvenvError as exc:
        assert str(exc) and "\n" not in str(exc), str(exc)
        return None


def applied(project: Project, plan: Plan) -> Project:
    files = dict(project.files)
    for edit in plan.changes:
        if edit.after is None:
            files.pop(edit.path, None)
        else:
            files[edit.path] = TextFile(edit.path, edit.after, 0o644, 0, len(edit.after.encode()))
    return replace(project, files=files)


def docker(text: str) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] | None:
    """(stage key, cmd, flags, value) of each instruction as Docker reads it; None if Docker refuses."""
    try:
        parsed = oracle.parse_string(text)
    except oracle.GoParseError:
        return None
    out, stage, index = [], "-", -1
    for c in parsed:
        cmd = c.cmd.upper()
        if cmd == "FROM":
            index += 1
            v = list(c.value)
            stage = (v[2] if len(v) >= 3 and v[1].lower() == "as" else str(index)).lower()
        out.append((stage, cmd, tuple(c.flags), tuple(c.value)))
    return out


def dead_stages(reasons: tuple[str, ...]) -> set[str]:
    return {m.group(1).lower() for r in reasons for m in [re.search(r"stage '([^']+)' only built the venv", r)] if m}


def requirement_names(text: str) -> Counter[str]:
    """Every requirement name a pyproject declares, in any table: moves keep the multiset's support."""
    data = tomllib.loads(text.lstrip("\ufeff"))
    found: Counter[str] = Counter()

    def add(items: object) -> None:
        if isinstance(items, list):
            for item in items:
                if isinstance(item, str) and (m := re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", item)):
                    found[re.sub(r"[-_.]+", "-", m.group(1)).lower()] += 1
        elif isinstance(items, dict):
            for key in items:
                if key != "python":
                    found[re.sub(r"[-_.]+", "-", key).lower()] += 1

    project = data.get("project", {})
    add(project.get("dependencies"))
    for extra in project.get("optional-dependencies", {}).values():
        add(extra)
    for group in data.get("dependency-groups", {}).values():
        add(group)
    tool = data.get("tool", {})
    poetry = tool.get("poetry", {})
    add(poetry.get("dependencies"))
    add(poetry.get("dev-dependencies"))
    for group in poetry.get("group", {}).values():
        add(group.get("dependencies") if isinstance(group, dict) else None)
    for group in tool.get("pdm", {}).get("dev-dependencies", {}).values():
        add(group)
    add(tool.get("uv", {}).get("dev-dependencies"))
    return found


def same_endings(before: str, after: str) -> bool:
    """A file that was all CRLF stays all CRLF; one that was all LF gets no CR."""
    crlf, lf = before.count("\r\n"), before.count("\n")
    if lf and crlf == lf:
        return after.count("\r\n") == after.count("\n")
    if lf and crlf == 0:
        return "\r\n" not in after
    return True


@fuzz_settings()
@given(projects(), SETTINGS)
def test_migrate_never_crashes_and_every_output_reads_back(project: tuple, settings: Settings) -> None:  # type: ignore[type-arg]
    files, env_files, _case = project
    plan = plan_or_error(in_memory(files, env_files), settings)
    if plan is None:
        return
    paths = [e.path for e in plan.changes]
    assert len(set(paths)) == len(paths), f"two edits of one file: {paths}"
    for edit in plan.changes:
        before, after = edit.before or "", edit.after or ""
        name = edit.path.rsplit("/", 1)[-1]
        assert same_endings(before, after), edit.path
        assert after.startswith("\ufeff") == before.startswith("\ufeff") or not before, edit.path
        if is_dockerfile(name):
            if docker(before) is not None:
                assert docker(after) is not None, f"{edit.path}: Docker's parser refuses the output:\n{after}"
        elif name == "pyproject.toml" and edit.before is None:
            tomllib.loads(after.lstrip("\ufeff"))  # made from requirements.txt: it must read back
        elif name == "pyproject.toml":
            assert set(requirement_names(after)) == set(requirement_names(before)), after
        elif name == "setup.cfg":
            configparser.ConfigParser(interpolation=None).read_string(after.lstrip("\ufeff"))


@fuzz_settings()
@given(projects(), SETTINGS)
def test_migrate_keeps_every_instruction_that_is_not_venv(project: tuple, settings: Settings) -> None:  # type: ignore[type-arg]
    files, env_files, case = project
    plan = plan_or_error(in_memory(files, env_files), settings)
    if plan is None:
        return
    for edit in plan.changes:
        if not is_dockerfile(edit.path.rsplit("/", 1)[-1]) or edit.before != case.text:
            continue
        old, new = docker(edit.before or ""), docker(edit.after or "")
        if old is None or new is None:
            continue
        gone = dead_stages(edit.reasons)
        kept = Counter((cmd, flags, value) for stage, cmd, flags, value in old
                       if cmd in UNTOUCHABLE and stage not in gone)
        now = Counter((cmd, flags, value) for stage, cmd, flags, value in new if cmd in UNTOUCHABLE and stage != BUILDER)
        assert not kept - now, f"lost {sorted(kept - now)}\n--- before\n{edit.before}\n--- after\n{edit.after}"
        for stage, token in case.markers:
            if stage not in gone:
                assert re.search(rf"(?<![A-Za-z0-9]){token}(?![0-9])", edit.after or ""), f"lost {token}\n{edit.before}\n---\n{edit.after}"


@fuzz_settings()
@given(projects(), SETTINGS)
def test_migrate_is_idempotent(project: tuple, settings: Settings) -> None:  # type: ignore[type-arg]
    files, env_files, _case = project
    first = in_memory(files, env_files)
    plan = plan_or_error(first, settings)
    if plan is None or not plan.changes:
        return
    again = build_plan(applied(first, plan), settings)
    assert not again.changes, "\n".join(
        f"--- {e.path} after one migration\n{e.before}\n--- after two\n{e.after}" for e in again.changes)
