"""Build contexts on the shared corpus (../shared/corpus/*): the migration copies only what is there.

For every corpus project the plan is computed in memory (nothing is copied, nothing written).
For every Dockerfile it changes, each COPY/ADD source that reads the build context (not
``--from``, not a heredoc, no ``$``, no glob) must exist in the context
``contexts.resolve`` gives, and must not be left out by the ``.dockerignore`` the plan
leaves there, as far as the corpus files allow:

The corpus keeps Dockerfiles, ``.dockerignore``, ``pyproject.toml``, ``setup.cfg``,
``Pipfile`` and requirements lists, and drops source code, ``setup.py``, READMEs, and lock
files over 200 KB (../shared/corpus/MANIFEST.md).  So a missing source is *allowed* only when
the original Dockerfile copied it too (the rewrite did not bring it in) and it is not of a
kind the corpus keeps.  A source the rewrite adds must always exist.  The few files of a
kept kind the corpus lacks are listed in CORPUS_LACKS, each with the evidence.
"""

from __future__ import annotations

import functools
import posixpath
import re
from pathlib import Path

import pytest

from tests.test_monorepo_pairs import copy_sources

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PROJECTS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
# Kinds of files the corpus keeps: when a Dockerfile copies one, the corpus has it.
_KEPT = re.compile(r"(^|/)(pyproject\.toml|setup\.cfg|Pipfile|\.dockerignore|requirements[^/]*\.(txt|in)|"
                   r"requirements/[^/]+\.(txt|in)|[^/]*Dockerfile[^/]*|Containerfile[^/]*)$", re.IGNORECASE)
# (project, source relative to its context): why the corpus lacks a file of a kept kind.
CORPUS_LACKS = {
    ("kserve__kserve", "test_resources/graph/error_404_isvc/pyproject.toml"):
        "MANIFEST.md lists the kserve files saved; python/test_resources/ was not among them",
    ("kserve__kserve", "test_resources/graph/success_200_isvc/pyproject.toml"):
        "MANIFEST.md lists the kserve files saved; python/test_resources/ was not among them",
}


def _params() -> list[object]:
    if not PROJECTS:
        return [pytest.param("corpus", marks=pytest.mark.skip(reason=f"the shared corpus is not at {CORPUS}"))]
    return [pytest.param(name, id=name) for name in PROJECTS]


@functools.cache
def planned(name: str):  # type: ignore[no-untyped-def]
    from dockvenv.config import load
    from dockvenv.plan import build_plan
    from dockvenv.project import read_project

    project = read_project(CORPUS / name)
    return project, build_plan(project, load(project.text("pyproject.toml")))


def copy_problems(name: str) -> tuple[list[str], int]:
    """(problems, number of COPY sources checked) for one corpus project."""
    from dockvenv import contexts
    from dockvenv.dockerfile import parse
    from dockvenv.dockerignore import ignored, patterns
    from dockvenv.project import is_dockerfile

    project, plan = planned(name)
    after_files = {e.path: e.after for e in plan.changes}

    def rules(texts: dict[str, str | None], path: str, context: str) -> tuple:
        for ignore in (f"{path}.dockerignore", posixpath.join(context, ".dockerignore")):
            text = texts.get(ignore, project.text(ignore))
            if text is not None:
                return patterns(text, ignore)
        return ()

    problems, checked = [], 0
    for edit in plan.changes:
        if not is_dockerfile(edit.path.rsplit("/", 1)[-1]) or edit.after is None:
            continue
        context = contexts.resolve(project, edit.path, parse(edit.before or "", edit.path)).folder
        original = {src for _line, src in copy_sources(edit.before or "")}
        before_rules = rules({}, edit.path, context)
        after_rules = rules(after_files, edit.path, context)
        for line, src in copy_sources(edit.after):
            checked += 1
            where = f"{edit.path}:{line}: {src or '.'!r}"
            if src and ignored(after_rules, src) and not ignored(before_rules, src):
                problems.append(f"{where} is left out by the .dockerignore the migration writes")
            if project.exists(posixpath.join(context, src) if src else context or "."):
                continue
            if src not in original:
                problems.append(f"{where}: the migration copies it, but context '{context or '.'}' has no such file")
            elif _KEPT.search(src) and (name, src) not in CORPUS_LACKS:
                problems.append(f"{where}: not in context '{context or '.'}', and the corpus keeps files of "
                                "this kind (the context is probably wrong)")
    return problems, checked


@pytest.mark.parametrize("name", _params())
def test_migrated_copy_sources_exist_in_context(name: str) -> None:
    problems, _checked = copy_problems(name)
    assert not problems, "\n".join(problems)


def test_the_corpus_is_checked() -> None:
    """Not vacuous: the corpus has changed Dockerfiles with COPY sources, some outside the root."""
    if not PROJECTS:
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    total = sum(copy_problems(name)[1] for name in PROJECTS)
    assert total >= 100, total
    _project, plan = planned("kserve__kserve")
    assert any(e.path.startswith("python/") for e in plan.changes)


def test_corpus_lacks_is_current() -> None:
    """Each CORPUS_LACKS entry is still needed: the file is still missing and still copied."""
    if not PROJECTS:
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    from dockvenv import contexts
    from dockvenv.dockerfile import parse

    for name, src in CORPUS_LACKS:
        project, plan = planned(name)
        users = []
        for edit in plan.changes:
            if edit.after and src in {s for _l, s in copy_sources(edit.after)}:
                context = contexts.resolve(project, edit.path, parse(edit.before or "", edit.path)).folder
                assert not project.exists(posixpath.join(context, src)), (name, src)
                users.append(edit.path)
        assert users, f"no migrated Dockerfile of {name} copies {src}: drop it from CORPUS_LACKS"
