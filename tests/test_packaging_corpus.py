"""Every requirements-only project of the shared corpus gets a generated pyproject.toml that
validate-pyproject accepts and that keeps every requirement and pin of its requirements files.

A requirements-only project here: a Dockerfile whose project (its build context) has no
packaging and a requirements file the image installs (or a ``requirements.txt``).  The
expected requirements are read independently with ``packaging.requirements`` (``-r``
followed), and each must be in the generated ``dependencies`` or the ``dev`` extra, the same.
The corpus holds no Python sources, so no module is found and ``makes_packageable`` is False
there; the pyproject is still generated and checked.
"""

from __future__ import annotations

import posixpath
import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement

from dockvenv.config import Settings
from dockvenv.dockerfile import parse
from dockvenv.packaging import plan_packaging
from dockvenv.project import Project, read_project
from tests.conftest import corpus_projects, needs_corpus

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = needs_corpus


def _cases() -> list[tuple[Path, str]]:
    from dockvenv.plan import build_context, build_spec

    out = []
    for root in corpus_projects():
        project = read_project(root)
        for path in project.dockerfiles:
            df = parse(project.files[path].text, path)
            context = build_context(project, path, df)
            if not build_spec(project, context, df).packageable and _requirement_files(project, context, path):
                out.append((root, path))
    return out


def _requirement_files(project: Project, context: str, dockerfile: str) -> list[str]:
    """The requirements the image installs with -r (by name), else the context's requirements.txt."""
    text = project.files[dockerfile].text
    named = {posixpath.basename(m) for m in re.findall(r"(?:-r|--requirement)[ =]+([^\s;&|\\]+)", text)}
    inside = [p for p in project.files if not context or p.startswith(context + "/")]
    found = []
    for name in sorted(named):  # the shallowest file of that name: requirements.txt, not test/requirements.txt
        matches = sorted((p for p in inside if posixpath.basename(p) == name), key=lambda p: (p.count("/"), p))
        found += matches[:1]
    default = posixpath.join(context, "requirements.txt") if context else "requirements.txt"
    return found or ([default] if default in project.files else [])


def _expected(project: Project, files: list[str]) -> list[Requirement]:
    out: list[Requirement] = []
    todo, seen = list(files), set()
    while todo:
        path = todo.pop(0)
        if path in seen or path not in project.files:
            continue
        seen.add(path)
        joined = re.sub(r"\\\r?\n", " ", project.files[path].text.lstrip("\ufeff"))
        for raw in joined.splitlines():
            line = re.sub(r"(^|\s)#.*$", "", raw).strip()
            include = re.match(r"^(?:-r|--requirement)[ =]?\s*(\S+)", line)
            if include:
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), include.group(1))))
                continue
            if not line or line.startswith("-"):
                continue
            line = re.split(r"\s+--[a-z]", line, maxsplit=1)[0]
            try:
                out.append(Requirement(line))
            except InvalidRequirement:
                continue  # pip-only syntax: left out with a reason by the generator
    return out


def _key(r: Requirement) -> tuple[str, str, tuple[str, ...], str, str]:
    from packaging.utils import canonicalize_name

    return (canonicalize_name(r.name), str(r.specifier), tuple(sorted(r.extras)), str(r.marker or ""), r.url or "")


CASES = _cases()


def test_the_corpus_has_requirements_only_projects() -> None:
    assert len(CASES) >= 10, CASES


@pytest.mark.parametrize(("root", "dockerfile"), CASES, ids=[f"{r.name}/{d}" for r, d in CASES])
def test_generated_pyproject_validates_and_keeps_every_pin(root: Path, dockerfile: str) -> None:
    from validate_pyproject.api import Validator

    from dockvenv.plan import build_context

    project = read_project(root)
    df = parse(project.files[dockerfile].text, dockerfile)
    context = build_context(project, dockerfile, df)
    pk = plan_packaging(project, context, df, Settings())
    assert pk is not None
    (edit,) = [e for e in pk.edits if e.path.endswith("pyproject.toml")]
    assert edit.after is not None and edit.reasons
    data = tomllib.loads(edit.after)
    Validator()(data)
    declared = [*data["project"]["dependencies"], *data["project"].get("optional-dependencies", {}).get("dev", [])]
    got = {_key(Requirement(d)) for d in declared}
    expected = _expected(project, _requirement_files(project, context, dockerfile))
    assert expected, "no requirement to compare: the case proves nothing"
    missing = [str(r) for r in expected if _key(r) not in got]
    assert not missing
    if edit.before is not None:  # a pyproject of tool settings only: kept byte for byte below
        assert edit.after.endswith(edit.before)
