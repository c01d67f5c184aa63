"""``dockvenv migrate`` on whole projects: fixtures/migrate/<case>/before -> after.

House rule 6: each case is a before/after pair, each has a no-change twin
(``<case>-clean/``), and migrating the result again changes nothing.  A case is
copied to a temporary folder and migrated with ``dockvenv migrate --yes``; every
file must then equal ``after/`` byte for byte (BOM, CRLF, final newline) and no
other file may appear.  ``after/`` is what is right per PRODUCT.md, written by hand:
where the tool is wrong today, fixtures/migrate/expectations.toml says why and the
case is a strict xfail.

The uv pin is passed on the command line, so a bump of the default does not touch
every expected file.
"""

from __future__ import annotations

import difflib
import os
import shutil
import sys
from pathlib import Path

import pytest

from dockvenv.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "migrate"
EXPECT = tomllib.loads((FIXTURES / "expectations.toml").read_text(encoding="utf-8"))
UV = "0.13.9"
MIGRATE = ["migrate", "--uv-version", UV]

PAIRS = sorted(p.name for p in FIXTURES.iterdir() if (p / "before").is_dir())
TWINS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name.endswith("-clean"))


def _params(names: list[str], key: str = "xfail") -> list[object]:
    out = []
    for name in names:
        reason = EXPECT.get(name, {}).get(key)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too), by posix path."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath, name)
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main([*MIGRATE, *args])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_same_tree(got: dict[str, bytes], want: dict[str, bytes]) -> None:
    assert sorted(got) == sorted(want), "files differ"
    for rel in sorted(want):
        if got[rel] != want[rel]:
            diff = "".join(difflib.unified_diff(
                want[rel].decode("utf-8", "replace").splitlines(keepends=True),
                got[rel].decode("utf-8", "replace").splitlines(keepends=True),
                f"expected/{rel}", f"got/{rel}"))
            raise AssertionError(f"{rel} differs from the expected bytes:\n{diff}\n"
                                 f"expected {want[rel]!r}\ngot      {got[rel]!r}")


def copy_project(src: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(src, dest)
    return dest


def assert_stderr(name: str, err: str) -> None:
    for needle in EXPECT.get(name, {}).get("stderr", []):
        assert needle in err, f"{needle!r} not on stderr:\n{err}"


def test_every_case_is_described() -> None:
    names = set(PAIRS) | set(TWINS)
    assert set(EXPECT) == names, (set(EXPECT) ^ names)
    assert all(EXPECT[n].get("about") for n in names)
    assert len(PAIRS) >= 15
    for pair in PAIRS:
        assert (FIXTURES / pair / "after").is_dir(), pair
        assert f"{pair}-clean" in TWINS, f"{pair} has no no-change twin"


@pytest.mark.parametrize("name", _params(PAIRS))
def test_migrates_to_expected(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(FIXTURES / name / "before", tmp_path)
    rc, _out, err = run(capsys, "--yes", str(project))
    assert rc == 0, err
    assert_stderr(name, err)
    assert_same_tree(snapshot(project), snapshot(FIXTURES / name / "after"))


@pytest.mark.parametrize("name", _params(PAIRS, "xfail_fixed_point"))
def test_expected_result_is_a_fixed_point(name: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Migrating the right result again plans nothing and writes nothing."""
    project = copy_project(FIXTURES / name / "after", tmp_path)
    rc, out, err = run(capsys, "--check", str(project))
    assert rc == 0, out + err
    rc, out, err = run(capsys, "--yes", str(project))
    assert rc == 0 and "nothing to migrate" in out, out + err
    assert_same_tree(snapshot(project), snapshot(FIXTURES / name / "after"))


@pytest.mark.parametrize("name", PAIRS)
def test_own_output_is_idempotent(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if EXPECT.get(name, {}).get("xfail"):
        pytest.skip("the output is known to be wrong (see test_migrates_to_expected)")
    project = copy_project(FIXTURES / name / "before", tmp_path)
    assert run(capsys, "--yes", str(project))[0] == 0
    first = snapshot(project)
    rc, out, err = run(capsys, "--check", str(project))
    assert rc == 0, out + err
    assert run(capsys, "--yes", str(project))[0] == 0
    assert snapshot(project) == first


@pytest.mark.parametrize("name", _params(TWINS))
def test_twin_does_not_change(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(FIXTURES / name, tmp_path)
    before = snapshot(project)
    rc, out, err = run(capsys, "--check", str(project))
    assert (rc, out) == (0, ""), out + err
    assert_stderr(name, err)
    rc, out, err = run(capsys, "--yes", str(project))
    assert rc == 0 and "nothing to migrate" in out, out + err
    assert_same_tree(snapshot(project), before)
