"""Every pyproject.toml of the shared corpus: no-op runs are byte-identical, and every
edit re-reads with tomllib to exactly the intended data.

Beyond the moves dockvenv plans for the corpus, each runtime table is put through
forced moves (its first entry, its last, every other one, all of them) to both
destinations, and the result is compared with data computed here independently.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dockvenv.config import Settings
from dockvenv.deps import analyze_dependencies, plan_dependency_edits
from dockvenv.project import TextFile, read_project
from dockvenv.rewrite.pyproject import destination, move

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus"
PYPROJECTS = sorted(CORPUS.glob("*/**/pyproject.toml")) if CORPUS.is_dir() else []
PROJECTS = sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")


def _name(spec: str) -> str:
    return str(canonicalize_name(Requirement(spec).name))


def _tables(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    out = []
    deps = data.get("project", {}).get("dependencies")
    if isinstance(deps, list) and deps:
        out.append(("project.dependencies", [_name(d) for d in deps]))
    pdeps = data.get("tool", {}).get("poetry", {}).get("dependencies")
    if isinstance(pdeps, dict):
        names = [str(canonicalize_name(k)) for k in pdeps if k.lower() != "python"]
        if names:
            out.append(("tool.poetry.dependencies", names))
    return out


def _intended(data: dict[str, Any], table: str, names: set[str], target: str) -> dict[str, Any]:
    want = copy.deepcopy(data)
    dest = destination(data, table, target).path
    node = want
    for key in dest[:-1]:
        node = node.setdefault(key, {})
    if table == "project.dependencies":
        deps = want["project"]["dependencies"]
        moved = [d for d in deps if _name(d) in names]
        want["project"]["dependencies"] = [d for d in deps if d not in moved]
        goal = node.setdefault(dest[-1], [])
        for spec in moved:
            if _name(spec) not in {_name(x) for x in goal if isinstance(x, str)}:
                goal.append(spec)
        return want
    poetry = want["tool"]["poetry"]
    goal = node.setdefault(dest[-1], {})
    for key in [
        k for k in poetry["dependencies"] if str(canonicalize_name(k)) in names and k.lower() != "python"
    ]:
        value = poetry["dependencies"].pop(key)
        if isinstance(value, dict):
            value.pop("optional", None)
        if str(canonicalize_name(key)) not in {str(canonicalize_name(k)) for k in goal}:
            goal[key] = value
    for extra, members in list(poetry.get("extras", {}).items()):
        kept = [m for m in members if str(canonicalize_name(m.split("[")[0])) not in names]
        if kept:
            poetry["extras"][extra] = kept
        else:
            del poetry["extras"][extra]
    if "extras" in poetry and not poetry["extras"]:
        del poetry["extras"]
    return want


@needs_corpus
def test_corpus_is_there() -> None:
    assert len(PYPROJECTS) >= 40


@needs_corpus
@pytest.mark.parametrize("path", PYPROJECTS, ids=lambda p: str(p.relative_to(CORPUS)))
def test_forced_moves_mean_exactly_the_move(path: Path) -> None:
    raw = path.read_bytes().decode("utf-8")
    data = tomllib.loads(raw.lstrip("\ufeff"))
    for table, names in _tables(data):
        assert move(raw, table, set()) == raw  # a no-op run is byte-identical
        picks = [{names[0]}, {names[-1]}, set(names[1::2]), set(names)]
        for target in ("extra", "group"):
            for pick in picks:
                after = move(raw, table, pick, target)
                assert tomllib.loads(after.lstrip("\ufeff")) == _intended(data, table, pick, target)
                assert after.startswith("\ufeff") == raw.startswith("\ufeff")
                assert ("\r\n" in after) == ("\r\n" in raw)
                assert move(after, table, pick, target) == after  # idempotent


@needs_corpus
@pytest.mark.parametrize("root", PROJECTS, ids=lambda p: p.name)
def test_planned_edits_of_the_corpus(root: Path) -> None:
    project = read_project(root)
    report = analyze_dependencies(project, Settings())
    edits = plan_dependency_edits(project, Settings(), report)
    for e in edits:
        assert e.changed and e.reasons
        if e.path.endswith("pyproject.toml"):
            data = tomllib.loads((e.before or "").lstrip("\ufeff"))
            got = tomllib.loads((e.after or "").lstrip("\ufeff"))
            names = {d.name for d in report.moves if d.path == e.path}
            table = next(d.table for d in report.moves if d.path == e.path)
            assert got == _intended(data, table, names, "extra")
    # a second run over the result plans nothing
    files = dict(project.files)
    for e in edits:
        files[e.path] = TextFile(e.path, e.after or "", 0o644, 0, 0)
    again = replace(project, files=files)
    assert plan_dependency_edits(again, Settings(), analyze_dependencies(again, Settings())) == ()


KEPT = {
    "locustio__locust": ("pytest", "pytest plugin"),
    "prowler-cloud__prowler": ("pytest-celery", "looks deliberate"),
    "squidfunk__mkdocs-material": ("mkdocs", "run by Dockerfile"),
}


@needs_corpus
@pytest.mark.parametrize("project_dir", sorted(KEPT))
def test_deliberate_runtime_test_packages_stay(project_dir: str) -> None:
    report = analyze_dependencies(read_project(CORPUS / project_dir), Settings())
    name, why = KEPT[project_dir]
    assert name not in {d.name for d in report.moves}
    assert any(d.name == name and why in reason for d, reason in report.kept)


@needs_corpus
@pytest.mark.parametrize("root", PROJECTS, ids=lambda p: p.name)
def test_docs_table_matches_the_corpus(root: Path) -> None:
    doc = (Path(__file__).parents[1] / "docs" / "dependencies.md").read_text(encoding="utf-8")
    row = next((line for line in doc.splitlines() if line.startswith(f"| {root.name} |")), None)
    assert row is not None, f"docs/dependencies.md has no row for {root.name}"
    cells = row.strip(" |").split(" | ")
    moved, kept = cells[2], cells[3]
    report = analyze_dependencies(read_project(root), Settings())
    assert sorted(d.name for d in report.moves) == sorted(
        m.split(" (")[0] for m in moved.split("; ") if m != "—"
    )
    kept_names = sorted(k.split(" (")[0] for k in kept.split("; ") if k != "—")
    assert sorted(d.name for d, _ in report.kept) == kept_names
