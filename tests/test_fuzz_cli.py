"""The whole command line on generated projects written to disk: exit codes, one-line errors, safe writes.

``check`` exits 0, 1 or 2; ``migrate --dry-run`` writes nothing; ``migrate`` either
refuses (exit 2, one line, every file as it was) or writes files that keep their BOM,
line endings and mode, leaves no temporary file, and leaves nothing for a second run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockvenv.cli import load_project, main
from dockvenv.plan import build_plan
from dockvenv.project import is_dockerfile
from tests.strategies import fuzz_settings, projects
from tests.test_fuzz_migrate import docker, same_endings

pytest.importorskip("dockerfile", reason="Docker's parser (PyPI 'dockerfile') is a dev dependency")


def cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, err.getvalue()


def tree(root: Path) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(root).as_posix(): (stat.S_IMODE(p.stat().st_mode), p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_file()}


def one_line_error(code: int, err: str) -> None:
    if code == 2:
        lines = err.strip().splitlines()
        assert lines and lines[-1].startswith("dockvenv: error: ") and all(
            not ln.startswith("Traceback") for ln in lines), err
        assert len([ln for ln in lines if ln.startswith("dockvenv: error:")]) == 1, err


@fuzz_settings(share=0.5)
@given(projects(junk=True), st.sampled_from([0o644, 0o600, 0o755, 0o444]))
def test_cli_round_trip_on_disk(project: tuple, mode: int) -> None:  # type: ignore[type-arg]
    files, env_files, _case = project
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "proj"
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(text.encode("utf-8"))
        for rel in env_files:
            (root / rel).write_text("SECRET=1\n")
        dockerfiles = [rel for rel in files if is_dockerfile(rel.rsplit("/", 1)[-1])]
        for rel in dockerfiles:
            os.chmod(root / rel, mode)
        before = tree(root)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            code, err = cli("check", ".")
            assert code in (0, 1, 2), err
            one_line_error(code, err)
            code, err = cli("migrate", "--dry-run", ".")
            assert code in (0, 2), err
            one_line_error(code, err)
            assert tree(root) == before, "--dry-run wrote"
            code, err = cli("migrate", "--yes", "--force", ".")
        finally:
            os.chdir(cwd)
        assert code in (0, 2), err
        one_line_error(code, err)
        after = tree(root)
        assert not [n for n in after if n.endswith(".dockvenv")], "temporary files left"
        if code == 2:
            assert after == before, "a refused migration changed files"
            return
        for name, (old_mode, old_bytes) in before.items():
            new_mode, new_bytes = after[name]
            assert new_mode == old_mode, f"{name}: mode {oct(old_mode)} became {oct(new_mode)}"
            old, new = old_bytes.decode(), new_bytes.decode()
            assert new.startswith("\ufeff") == old.startswith("\ufeff"), name
            assert same_endings(old, new), name
            if name in dockerfiles and old != new and docker(old) is not None:
                assert docker(new) is not None, f"{name}: Docker's parser refuses the output:\n{new}"
        again = build_plan(*load_project(str(root), argparse.Namespace()))
        assert not again.changes, [e.path for e in again.changes]
