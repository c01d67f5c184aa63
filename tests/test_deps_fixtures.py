"""Before/after pairs for every dependency layout, their no-change twins, and idempotence.

Each ``fixtures/deps/<case>/`` holds ``before/`` (a project), ``after/`` (every file the
migration must write, exactly; none when nothing may change) and ``unchanged/`` (the
same layout with nothing to move).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockvenv.config import load
from dockvenv.deps import analyze_dependencies, plan_dependency_edits
from dockvenv.model import FileEdit
from dockvenv.project import read_project

FIXTURES = Path(__file__).parents[1] / "fixtures" / "deps"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "before").is_dir())


def _files(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes().decode("utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _plan(root: Path) -> tuple[FileEdit, ...]:
    project = read_project(root)
    settings = load(project.text("pyproject.toml"))
    return plan_dependency_edits(project, settings, analyze_dependencies(project, settings))


def test_enough_cases() -> None:
    pairs = [c for c in CASES if (FIXTURES / c / "after").is_dir()]
    assert len(pairs) >= 25
    assert all((FIXTURES / c / "unchanged").is_dir() for c in CASES)


@pytest.mark.parametrize("case", CASES)
def test_before_after(case: str) -> None:
    before = _files(FIXTURES / case / "before")
    expected = _files(FIXTURES / case / "after")
    edits = _plan(FIXTURES / case / "before")
    assert {e.path: e.after for e in edits} == expected
    for e in edits:
        assert e.before == before.get(e.path)  # None exactly for created files
        assert e.reasons and all(r.startswith(("DV401:", "DV303:")) for r in e.reasons)


@pytest.mark.parametrize("case", CASES)
def test_unchanged_twin(case: str) -> None:
    assert _plan(FIXTURES / case / "unchanged") == ()


@pytest.mark.parametrize("case", CASES)
def test_idempotent(case: str, tmp_path: Path) -> None:
    root = tmp_path / case
    shutil.copytree(FIXTURES / case / "before", root)
    for e in _plan(root):
        target = root / e.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((e.after or "").encode("utf-8"))
    assert _plan(root) == ()


def test_line_endings_and_bom_survive() -> None:
    crlf = _files(FIXTURES / "pep621-crlf" / "after")["pyproject.toml"]
    assert crlf.count("\r\n") == crlf.count("\n")
    assert _files(FIXTURES / "pep621-bom" / "after")["pyproject.toml"].startswith("\ufeff")
    created = _files(FIXTURES / "requirements-crlf" / "after")["requirements-dev.txt"]
    assert created == "-r requirements.txt\r\nmypy==1.10.0\r\n"
