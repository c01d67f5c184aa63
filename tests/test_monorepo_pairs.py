"""Monorepos and build contexts: fixtures/monorepo/<case>/before -> after (and variants).

The approach of tests/test_migrate_pairs.py: a case is copied to a temporary folder and
migrated with ``dockvenv migrate --uv-version 0.13.9 --yes`` (plus the variant's flags);
every file must then equal the hand-checked expected tree byte for byte, migrating the
expected tree again changes nothing, and the tool's own output is idempotent.

Besides the bytes, what monorepos need (fixtures/monorepo/expectations.toml):

- each Dockerfile's build context, the evidence for it, the stage names compose/CI
  build with ``--target`` and the projects it installs are what the fixture says;
- in the migrated tree, every COPY/ADD source of every Dockerfile exists in that
  Dockerfile's build context and is not left out by its ``.dockerignore`` (checked
  with Docker's own parser, PyPI ``dockerfile``);
- every stage name built with ``--target`` is still a stage of the migrated Dockerfile.
"""

from __future__ import annotations

import difflib
import os
import posixpath
import shutil
import sys
from pathlib import Path

import pytest

from dockvenv.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "monorepo"
EXPECT = tomllib.loads((FIXTURES / "expectations.toml").read_text(encoding="utf-8"))
UV = "0.13.9"
MIGRATE = ["migrate", "--uv-version", UV]
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "before").is_dir())
# (case, variant): "after" is the default run; a variant adds its flags
RUNS = [(c, "after") for c in CASES] + [(c, v) for c in CASES for v in EXPECT.get(c, {}).get("variants", {})]


def _spec(case: str, variant: str) -> dict:
    spec = EXPECT.get(case, {})
    return spec if variant == "after" else spec.get("variants", {}).get(variant, {})


def _params(key: str = "xfail") -> list[object]:
    out = []
    for case, variant in RUNS:
        reason = _spec(case, variant).get(key)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(case, variant, marks=marks, id=f"{case}-{variant}"))
    return out


# -- helpers, shared with tests/test_monorepo_corpus.py and tests/test_monorepo_docker.py -------


def snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath, name)
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def assert_same_tree(got: dict[str, bytes], want: dict[str, bytes]) -> None:
    assert sorted(got) == sorted(want), "files differ"
    for rel in sorted(want):
        if got[rel] != want[rel]:
            diff = "".join(difflib.unified_diff(
                want[rel].decode("utf-8", "replace").splitlines(keepends=True),
                got[rel].decode("utf-8", "replace").splitlines(keepends=True),
                f"expected/{rel}", f"got/{rel}"))
            raise AssertionError(f"{rel} differs from the expected bytes:\n{diff}")


def copy_sources(text: str) -> list[tuple[int, str]]:
    """(line, source) of each COPY/ADD that reads the build context, by Docker's own parser.

    Left out: ``--from`` copies, heredocs, URLs, and sources with ``$`` or glob characters
    (their files are only known at build time).  A source is relative to the context; a
    leading ``/`` or ``./`` does not change that.
    """
    import dockerfile

    out = []
    for cmd in dockerfile.parse_string(text):
        if cmd.cmd.upper() not in ("COPY", "ADD") or cmd.heredocs:
            continue
        if any(f.lower().startswith("--from") for f in cmd.flags):
            continue
        for src in cmd.value[:-1]:
            if not cmd.json and len(src) > 1 and src[0] == src[-1] and src[0] in "'\"":
                src = src[1:-1]  # BuildKit's shell-word lexer drops the quotes
            if "$" in src or any(c in src for c in "*?[") or "://" in src or src.startswith("git@"):
                continue
            rel = posixpath.normpath(src.lstrip("/"))
            out.append((cmd.start_line, "" if rel == "." else rel))
    return out


def stage_names(text: str) -> set[str]:
    import dockerfile

    return {c.value[2].lower() for c in dockerfile.parse_string(text)
            if c.cmd.upper() == "FROM" and len(c.value) >= 3 and c.value[1].lower() == "as"}


def ignore_rules(exists_text, dockerfile_path: str, context: str) -> tuple:  # type: ignore[no-untyped-def]
    """The .dockerignore rules BuildKit applies: ``<Dockerfile>.dockerignore``, else the context's."""
    from dockvenv.dockerignore import patterns

    for path in (f"{dockerfile_path}.dockerignore", posixpath.join(context, ".dockerignore")):
        text = exists_text(path)
        if text is not None:
            return patterns(text, path)
    return ()


def missing_sources(root: Path, dockerfile_path: str, context: str) -> list[str]:
    """COPY/ADD sources of ``dockerfile_path`` that the build context ``context`` does not hold."""
    from dockvenv.dockerignore import ignored

    def text(rel: str) -> str | None:
        p = root / rel
        return p.read_text(encoding="utf-8") if p.is_file() else None

    rules = ignore_rules(text, dockerfile_path, context)
    out = []
    for line, src in copy_sources((root / dockerfile_path).read_text(encoding="utf-8")):
        if not (root / context / src).exists():
            out.append(f"{dockerfile_path}:{line}: COPY source {src or '.'!r} is not in the context '{context or '.'}'")
        elif src and ignored(rules, src):
            out.append(f"{dockerfile_path}:{line}: COPY source {src!r} is left out by .dockerignore")
    return out


def dockerfiles(root: Path) -> list[str]:
    from dockvenv.project import read_project

    return list(read_project(root).dockerfiles)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([*MIGRATE, *args])
    out, err = capsys.readouterr()
    return rc, out, err


def migrated(case: str, variant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / case / "before", project)
    rc, _out, err = run(capsys, "--yes", *_spec(case, variant).get("args", []), str(project))
    assert rc == 0, err
    return project, err


# -- the fixtures are complete ----------------------------------------------------------------


def test_every_case_is_described() -> None:
    assert set(CASES) == {k for k in EXPECT}, set(CASES) ^ set(EXPECT)
    assert {"compose-context", "ci-root-context", "multi-package", "dev-dockerfile", "windows"} <= set(CASES)
    for case in CASES:
        assert EXPECT[case].get("about"), case
        assert (FIXTURES / case / "after").is_dir(), case
        for variant, spec in EXPECT[case].get("variants", {}).items():
            assert (FIXTURES / case / variant).is_dir(), (case, variant)
            assert spec.get("args"), (case, variant)
        described = set(EXPECT[case].get("dockerfiles", {}))
        assert described == set(dockerfiles(FIXTURES / case / "before")), case


# -- before -> after ----------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "variant"), _params())
def test_migrates_to_expected(case: str, variant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project, err = migrated(case, variant, tmp_path, capsys)
    for needle in _spec(case, variant).get("stderr", []):
        assert needle in err, f"{needle!r} not on stderr:\n{err}"
    assert_same_tree(snapshot(project), snapshot(FIXTURES / case / variant))


@pytest.mark.parametrize(("case", "variant"), _params("xfail_fixed_point"))
def test_expected_result_is_a_fixed_point(case: str, variant: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / case / variant, project)
    args = _spec(case, variant).get("args", [])
    rc, out, err = run(capsys, "--check", *args, str(project))
    assert rc == 0, out + err
    assert_same_tree(snapshot(project), snapshot(FIXTURES / case / variant))


@pytest.mark.parametrize(("case", "variant"), RUNS, ids=[f"{c}-{v}" for c, v in RUNS])
def test_own_output_is_idempotent(case: str, variant: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    project, _err = migrated(case, variant, tmp_path, capsys)
    first = snapshot(project)
    rc, out, err = run(capsys, "--check", *_spec(case, variant).get("args", []), str(project))
    assert rc == 0, out + err
    assert snapshot(project) == first


# -- contexts, targets and COPY sources ----------------------------------------------------------


DESCRIBED = [(c, path) for c in CASES for path in EXPECT[c].get("dockerfiles", {})]


@pytest.mark.parametrize(("case", "path"), DESCRIBED, ids=[f"{c}:{p}" for c, p in DESCRIBED])
def test_context_evidence_targets_and_projects(case: str, path: str) -> None:
    from dockvenv import contexts
    from dockvenv.dockerfile import parse
    from dockvenv.project import read_project
    from dockvenv.projects import installed_projects

    want = EXPECT[case]["dockerfiles"][path]
    project = read_project(FIXTURES / case / "before")
    df = parse(project.text(path) or "", path)
    got = contexts.resolve(project, path, df)
    assert got.folder == want["context"], got
    assert want["evidence"] in got.evidence, got
    assert list(got.targets) == sorted(want["targets"]), got
    assert [i.folder for i in installed_projects(project, got.folder, df)] == want["projects"]


@pytest.mark.parametrize(("case", "variant"), RUNS, ids=[f"{c}-{v}" for c, v in RUNS])
@pytest.mark.parametrize("tree", ["expected", "output"])
def test_copy_sources_exist_and_targets_are_kept(case: str, variant: str, tree: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Every Dockerfile of the migrated repository still builds from its context: each COPY
    source is there, and each stage compose/CI builds with --target still exists."""
    if tree == "expected":
        root = FIXTURES / case / variant
    else:
        root, _err = migrated(case, variant, tmp_path, capsys)
    problems = []
    for path, want in EXPECT[case]["dockerfiles"].items():
        problems += missing_sources(root, path, want["context"])
        names = stage_names((root / path).read_text(encoding="utf-8"))
        problems += [f"{path}: stage {t!r} (built with --target) is gone" for t in want["targets"]
                     if t.lower() not in names]
    assert not problems, "\n".join(problems)


def test_targets_are_real_stages_before() -> None:
    """The fixtures are honest: each target named by compose/CI is a stage of the original."""
    for case in CASES:
        for path, want in EXPECT[case]["dockerfiles"].items():
            names = stage_names((FIXTURES / case / "before" / path).read_text(encoding="utf-8"))
            assert {t.lower() for t in want["targets"]} <= names, (case, path)


def test_missing_sources_sees_a_broken_copy(tmp_path: Path) -> None:
    """The checker itself: a source outside the context, and one .dockerignore leaves out."""
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "app.py").write_text("")
    (tmp_path / "svc" / "secret.txt").write_text("")
    (tmp_path / "svc" / ".dockerignore").write_text("secret.txt\n")
    (tmp_path / "svc" / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCOPY app.py ./\nCOPY ./svc/app.py /x\nCOPY secret.txt /s\n"
        "COPY --from=b /x /y\nCOPY $HOME /h\nCOPY *.py /g/\n")
    assert missing_sources(tmp_path, "svc/Dockerfile", "svc") == [
        "svc/Dockerfile:3: COPY source 'svc/app.py' is not in the context 'svc'",
        "svc/Dockerfile:4: COPY source 'secret.txt' is left out by .dockerignore",
    ]
    assert missing_sources(tmp_path, "svc/Dockerfile", "")[0].endswith("COPY source 'app.py' is not in the context '.'")
