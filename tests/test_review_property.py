"""Whatever subset of hunks is accepted, what review writes is valid for Docker and tomllib.

Docker's own parser (PyPI ``dockerfile``, BuildKit's Go code) is the oracle for
Dockerfiles, with stage references resolved from its output; ``tomllib`` for TOML.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockvenv.model import FileEdit, Plan
from dockvenv.render.diff import Hunk, hunks, rebuild, split
from dockvenv.render.review import recheck, review_and_write
from tests.conftest import FIXTURES
from tests.test_review import load, read

oracle = pytest.importorskip("dockerfile", reason="Docker's parser (PyPI 'dockerfile') is a dev dependency")

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _real_plan(root: Path) -> Plan:
    from dockvenv.config import Settings
    from dockvenv.plan import build_plan
    from dockvenv.project import read_project

    return build_plan(read_project(str(root)), Settings())


def _copy_case(case: str, tmp: Path) -> tuple[Path, Plan]:
    if case == "pep621-flask":
        root = tmp / case
        shutil.copytree(FIXTURES / "apps" / case, root)
        return root, _real_plan(root)
    return load(case, tmp)


CASES = ["pep621-flask", "hello-svc", "stages", "pyproject"]
_PLANS = {case: _copy_case(case, Path(tempfile.mkdtemp(prefix="dockvenv-review-")))[1] for case in CASES}


def _finest(edit: FileEdit) -> list[Hunk]:
    return [part for h in hunks(edit) for part in split(edit, h)]


def _stage_names(text: str) -> set[str]:
    try:
        return {c.value[2].lower() for c in oracle.parse_string(text)
                if c.cmd.upper() == "FROM" and len(c.value) >= 3 and c.value[1].lower() == "as"}
    except oracle.GoParseError:
        return set()


def assert_docker_accepts(text: str, edit: FileEdit) -> None:
    """Docker's parser takes it, and every stage it names is defined above its use."""
    known = _stage_names(edit.before or "") | _stage_names(edit.after or "")
    defined: set[str] = set()
    commands = oracle.parse_string(text)  # raises GoParseError on what Docker refuses
    assert [c.cmd.upper() for c in commands if c.cmd.upper() != "ARG"][0] == "FROM"
    for c in commands:
        cmd = c.cmd.upper()
        refs = [c.value[0]] if cmd == "FROM" else []
        for flag in c.flags:
            key, _, val = flag[2:].partition("=")
            if key == "from":
                refs.append(val)
            elif key == "mount":
                refs += [v for k, _, v in (p.partition("=") for p in val.split(",")) if k == "from"]
        assert not [r for r in refs if r.lower() in known and r.lower() not in defined], (c, text)
        if cmd == "FROM" and len(c.value) >= 3 and c.value[1].lower() == "as":
            defined.add(c.value[2].lower())


def assert_valid(edit: FileEdit, text: str | None) -> None:
    if text is None:
        return
    name = edit.path.rsplit("/", 1)[-1]
    if name == "Dockerfile":
        assert_docker_accepts(text, edit)
    elif name.endswith(".toml"):
        tomllib.loads(text)


@pytest.mark.parametrize("case", CASES)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_subset_the_recheck_allows_is_valid(case: str, data: st.DataObject) -> None:
    for edit in _PLANS[case].changes:
        parts = _finest(edit)
        chosen = data.draw(st.sets(st.sampled_from(parts)) if parts else st.just(set()), label=edit.path)
        text = rebuild(edit, chosen)
        if recheck(edit, text) is None:
            assert_valid(edit, text)


@pytest.mark.parametrize("case", CASES)
def test_the_full_plan_and_the_original_pass_the_recheck(case: str) -> None:
    for edit in _PLANS[case].changes:
        assert recheck(edit, edit.after) is None and recheck(edit, edit.before) is None
        assert_valid(edit, edit.after)


def test_some_subsets_are_refused() -> None:  # the property above is not vacuous
    refused = 0
    for case in ("hello-svc", "stages", "pyproject"):
        for edit in _PLANS[case].changes:
            refused += sum(recheck(edit, rebuild(edit, [h])) is not None for h in _finest(edit))
    assert refused >= 4


@pytest.mark.parametrize("case", CASES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keys=st.lists(st.sampled_from("yynnadsuq?"), max_size=25), write=st.booleans())
def test_any_key_sequence_writes_only_valid_files(case: str, keys: list[str], write: bool) -> None:
    """Random sessions (input running out means: quit, then answer ``write``)."""
    with tempfile.TemporaryDirectory() as tmp:
        root, plan = _copy_case(case, Path(tmp))
        typed = iter(keys)

        def ask(message: str, allowed: str, default: str | None) -> str:
            if message.startswith("write the"):
                return "y" if write else "n"
            return next((k for k in typed if k in allowed), "q")

        review_and_write(str(root), plan, force=True, ask=ask, out=io.StringIO())
        for edit in plan.changes:
            path = root / edit.path
            assert_valid(edit, read(path) if path.exists() else None)
