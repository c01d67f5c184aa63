"""``dockvenv migrate`` modes: --dry-run, --check, the default write, --force, --interactive.

The plan is computed once; the modes only decide what happens to it.  These tests
hold the modes to that: the diff is what ``git apply`` accepts and gives the very
bytes ``--yes`` writes, --dry-run and --check write nothing, the writer refuses
dirty or changed files and keeps permissions, and bad input is one line naming the
file and line, with nothing written.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dockvenv import apply
from dockvenv.cli import main
from dockvenv.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "migrate"
PAIRS = sorted(p.name for p in FIXTURES.iterdir() if (p / "before").is_dir())
UV = ["--uv-version", "0.13.9"]
CASE = FIXTURES / "venv-pip-install" / "before"


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` outside .git: bytes and permission bits."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = Path(dirpath, name)
            out[path.relative_to(root).as_posix()] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return out


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-c", "core.autocrlf=false", "-c", "core.hooksPath=/dev/null", *args],
                          cwd=cwd, capture_output=True, text=True, check=True)


def git_repo(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "before")
    return dest


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, as a user runs it (stdin not a terminal)."""
    return subprocess.run([sys.executable, "-m", "dockvenv", *args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["migrate", *UV, *args])
    out, err = capsys.readouterr()
    return rc, out, err


# -- --dry-run --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAIRS)
def test_dry_run_diff_applies_with_git_to_the_bytes_yes_writes(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the same folder name: a generated pyproject.toml takes its project name from it
    reviewed = git_repo(FIXTURES / name / "before", tmp_path / "reviewed" / "project")
    written = git_repo(FIXTURES / name / "before", tmp_path / "written" / "project")
    rc, diff, err = run(capsys, "--dry-run", str(reviewed))
    assert rc == 0, err
    assert diff, "a pair case always has a change"
    patch = tmp_path / "migration.patch"
    patch.write_bytes(diff.encode("utf-8"))
    git(reviewed, "apply", "--check", str(patch))
    git(reviewed, "apply", str(patch))
    assert run(capsys, "--yes", str(written))[0] == 0
    assert snapshot(reviewed) == snapshot(written)


def test_dry_run_and_diff_alias_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = git_repo(CASE, tmp_path / "p")
    before = snapshot(project)
    mtimes = {p: p.stat().st_mtime_ns for p in project.rglob("*")}
    rc, dry, _ = run(capsys, "--dry-run", str(project))
    rc2, alias, _ = run(capsys, "--diff", str(project))
    assert (rc, rc2) == (0, 0)
    assert dry == alias and dry.startswith("diff --git a/Dockerfile b/Dockerfile\n")
    assert "new file mode 100644\n--- /dev/null\n+++ b/.dockerignore\n" in dry
    assert snapshot(project) == before
    assert {p: p.stat().st_mtime_ns for p in project.rglob("*")} == mtimes
    assert git(project, "status", "--porcelain").stdout == ""


def test_dry_run_of_a_clean_project_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _err = run(capsys, "--dry-run", str(FIXTURES / "venv-pip-install" / "after"))
    assert (rc, out) == (0, "")


# -- --check ---------------------------------------------------------------------------------------


def test_check_exits_1_when_pending_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = git_repo(CASE, tmp_path / "p")
    before = snapshot(project)
    rc, out, _err = run(capsys, "--check", str(project))
    assert rc == 1
    assert f"would change {project / 'Dockerfile'}: " in out
    assert f"would change {project / '.dockerignore'}: " in out
    assert snapshot(project) == before


def test_check_exits_0_when_nothing_is_pending(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _err = run(capsys, "--check", str(FIXTURES / "venv-pip-install" / "after"))
    assert (rc, out) == (0, "")


def test_check_exits_1_when_any_of_several_projects_is_pending(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _out, _err = run(capsys, "--check", str(FIXTURES / "venv-pip-install" / "after"), str(CASE))
    assert rc == 1


# -- the default write -----------------------------------------------------------------------------


def test_write_refuses_a_target_with_uncommitted_changes(tmp_path: Path) -> None:
    project = git_repo(CASE, tmp_path / "p")
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "EXPOSE 8000\n")
    before = snapshot(project)
    proc = cli("migrate", *UV, str(project))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "Dockerfile" in proc.stderr and "uncommitted" in proc.stderr and "--force" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(project) == before


def test_write_refuses_an_untracked_target(tmp_path: Path) -> None:
    project = git_repo(CASE, tmp_path / "p")
    (project / ".dockerignore").write_text("*.pyc\n")  # exists, never committed
    before = snapshot(project)
    proc = cli("migrate", *UV, str(project))
    assert proc.returncode == 2 and ".dockerignore" in proc.stderr, proc.stderr
    assert snapshot(project) == before


def test_force_overrides_uncommitted_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = git_repo(CASE, tmp_path / "p")
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "EXPOSE 8000\n")
    rc, out, err = run(capsys, "--yes", "--force", str(project))
    assert rc == 0, err
    assert f"migrated {dockerfile}" in out
    text = dockerfile.read_text()
    assert "dockvenv-builder" in text and text.endswith("EXPOSE 8000\n")


def test_dirty_files_the_plan_does_not_touch_do_not_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = git_repo(CASE, tmp_path / "p")
    (project / "app" / "__init__.py").write_text('"""Edited, not committed."""\n')
    (project / "notes.txt").write_text("untracked\n")
    rc, _out, err = run(capsys, "--yes", str(project))
    assert rc == 0, err
    assert "dockvenv-builder" in (project / "Dockerfile").read_text()


def test_write_in_a_subfolder_of_a_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """git reports paths from the top; the refusal must still find the dirty file."""
    repo = tmp_path / "repo"
    shutil.copytree(CASE, repo / "services" / "api")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "before")
    project = repo / "services" / "api"
    (project / "Dockerfile").write_text((project / "Dockerfile").read_text() + "EXPOSE 1\n")
    before = snapshot(project)
    rc, _out, err = run(capsys, "--yes", str(project))
    assert rc == 2 and "uncommitted" in err, err
    assert snapshot(project) == before
    git(repo, "checkout", "--", ".")
    assert run(capsys, "--yes", str(project))[0] == 0


@pytest.mark.parametrize("mode", [0o755, 0o600, 0o640])
def test_write_keeps_file_modes(mode: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "p"
    shutil.copytree(FIXTURES / "dockerignore-extend" / "before", project)
    for name in ("Dockerfile", ".dockerignore"):
        os.chmod(project / name, mode)
    assert run(capsys, "--yes", str(project))[0] == 0
    for name in ("Dockerfile", ".dockerignore"):
        assert stat.S_IMODE((project / name).stat().st_mode) == mode, name
    assert (project / "Dockerfile").read_bytes() == (FIXTURES / "dockerignore-extend" / "after" / "Dockerfile").read_bytes()


def test_write_goes_through_a_symlink_and_keeps_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "p"
    shutil.copytree(CASE, project)
    (project / "Dockerfile").rename(project / "Dockerfile.real")
    (project / "Dockerfile").symlink_to("Dockerfile.real")
    assert run(capsys, "--yes", str(project))[0] == 0
    assert os.readlink(project / "Dockerfile") == "Dockerfile.real"
    assert (project / "Dockerfile.real").read_bytes() == \
        (FIXTURES / "venv-pip-install" / "after" / "Dockerfile").read_bytes()


def test_one_file_planned_two_ways_through_a_symlink_is_refused(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "p"
    shutil.copytree(CASE, project)
    (project / "docker").mkdir()
    (project / "Dockerfile").rename(project / "docker" / "Dockerfile")
    (project / "Dockerfile").symlink_to("docker/Dockerfile")
    before = snapshot(project)
    rc, _out, err = run(capsys, "--yes", str(project))
    plan = _plan(project)
    texts = {e.after for e in plan.changes if e.path.endswith("Dockerfile")}
    if len(texts) > 1:  # the two names sit in different build contexts
        assert rc == 2 and "is the same file as" in err, err
        assert snapshot(project) == before
    else:
        assert rc == 0, err
    assert os.readlink(project / "Dockerfile") == "docker/Dockerfile"


def test_write_leaves_no_temporary_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "p"
    shutil.copytree(CASE, project)
    assert run(capsys, "--yes", str(project))[0] == 0
    assert sorted(snapshot(project)) == sorted(snapshot(FIXTURES / "venv-pip-install" / "after"))


def _plan(project: Path):  # type: ignore[no-untyped-def]
    from dockvenv.config import load
    from dockvenv.plan import build_plan
    from dockvenv.project import read_project

    proj = read_project(project)
    return build_plan(proj, load(proj.text("pyproject.toml")))


@pytest.mark.parametrize("change", ["edited", "deleted", "created"])
def test_a_file_changed_between_plan_and_write_stops_everything(change: str, tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(CASE, project)
    plan = _plan(project)
    assert {e.path for e in plan.changes} == {"Dockerfile", ".dockerignore"}
    if change == "edited":
        (project / "Dockerfile").write_text("FROM python:3.12-slim\n")
    elif change == "deleted":
        (project / "Dockerfile").unlink()
    else:
        (project / ".dockerignore").write_text("*.pyc\n")  # planned as a new file
    before = snapshot(project)
    with pytest.raises(InputError) as exc:
        apply.write(plan.root, plan.changes)
    assert "\n" not in str(exc.value)
    assert snapshot(project) == before


def test_cli_reports_a_file_changed_after_planning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import dockvenv.plan

    project = tmp_path / "p"
    shutil.copytree(CASE, project)
    real = dockvenv.plan.build_plan

    def plan_then_edit(*args, **kwargs):  # type: ignore[no-untyped-def]
        plan = real(*args, **kwargs)
        (project / "Dockerfile").write_text("FROM python:3.12-slim\n")  # someone saved meanwhile
        return plan

    monkeypatch.setattr(dockvenv.plan, "build_plan", plan_then_edit)
    rc, _out, err = run(capsys, "--yes", str(project))
    assert rc == 2
    assert err.count("\n") == 1 and "Dockerfile" in err and "changed since it was read" in err, err
    assert (project / "Dockerfile").read_text() == "FROM python:3.12-slim\n"
    assert not (project / ".dockerignore").exists()


def test_several_projects_are_all_planned_before_any_is_written(tmp_path: Path) -> None:
    good = tmp_path / "good"
    bad = tmp_path / "bad"
    shutil.copytree(CASE, good)
    shutil.copytree(CASE, bad)
    (bad / "Dockerfile").write_bytes(b"FROM python:3.12-slim\nRUN echo \xff\n")
    before = snapshot(tmp_path)
    proc = cli("migrate", "--yes", *UV, str(good), str(bad))
    assert proc.returncode == 2, proc.stderr
    assert snapshot(tmp_path) == before


def test_a_refusal_in_one_project_writes_no_other(tmp_path: Path) -> None:
    git_repo(CASE, tmp_path / "first")
    second = git_repo(CASE, tmp_path / "second")
    (second / "Dockerfile").write_text((second / "Dockerfile").read_text() + "EXPOSE 1\n")
    before = snapshot(tmp_path)
    proc = cli("migrate", *UV, "first", "second", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "dockvenv: error: second/Dockerfile: has uncommitted changes; commit or stash them, " \
                          "or pass --force\n"
    assert snapshot(tmp_path) == before


def test_errors_name_the_file_as_the_user_gave_the_project(tmp_path: Path) -> None:
    project = tmp_path / "services" / "api"
    shutil.copytree(CASE, project)
    (project / "Dockerfile").write_bytes(b"FROM python:3.12-slim\nRUN <<EOF\necho\n")
    assert cli("migrate", "services/api", cwd=tmp_path).stderr == \
        "dockvenv: error: services/api/Dockerfile:2: unterminated heredoc <<EOF\n"
    assert cli("migrate", cwd=project).stderr == "dockvenv: error: Dockerfile:2: unterminated heredoc <<EOF\n"
    assert cli("migrate", "nowhere", cwd=tmp_path).stderr == "dockvenv: error: nowhere: no such directory\n"


# -- --interactive ---------------------------------------------------------------------------------


def test_interactive_without_a_terminal_is_a_usage_error(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(CASE, project)
    before = snapshot(project)
    proc = cli("migrate", "--interactive", str(project))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "--dry-run" in proc.stderr and "--yes" in proc.stderr
    assert snapshot(project) == before


# -- bad input -------------------------------------------------------------------------------------

BAD = {
    "non-utf8": (b"FROM python:3.12-slim\nRUN python -m venv /opt/venv\n# caf\xe9\n", "Dockerfile:3:"),
    "binary": (b"FROM python:3.12-slim\nRUN python -m venv /opt/venv\n\x00\x01\x02\n", "Dockerfile:3:"),
    "unterminated-heredoc": (b"FROM python:3.12-slim\nRUN python -m venv /opt/venv\nRUN <<EOF\npip install .\n",
                             "Dockerfile:3:"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_is_one_line_naming_file_and_line_and_nothing_is_written(kind: str, tmp_path: Path) -> None:
    data, where = BAD[kind]
    project = tmp_path / "p"
    shutil.copytree(CASE, project)
    (project / "Dockerfile").write_bytes(data)
    # a second, valid Dockerfile whose migration must not be written either
    shutil.copy(CASE / "Dockerfile", project / "Dockerfile.api")
    before = snapshot(project)
    for mode in ([], ["--yes"], ["--dry-run"], ["--check"]):
        proc = cli("migrate", *mode, str(project), cwd=tmp_path)
        assert proc.returncode == 2, (mode, proc.stdout, proc.stderr)
        assert proc.stderr.count("\n") == 1, proc.stderr
        assert f"p/{where}" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
        assert snapshot(project) == before
