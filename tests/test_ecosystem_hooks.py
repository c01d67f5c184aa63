"""pre-commit: files mapped to projects, the hidden ``dockvenv hook`` command, and the real
``pre-commit try-repo`` on a temporary git repository holding this checkout's hooks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dockvenv.cli import main
from dockvenv.hooks import project_roots
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
VENV = "FROM python:3.12-slim\nRUN python -m venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\n"
CLEAN = 'FROM python:3.12-slim\nCMD ["python3"]\n'


def tree(base: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text)
    return base


# -- the manifest -----------------------------------------------------------------------------

def test_manifest_has_the_two_hooks() -> None:
    by_id = {h["id"]: h for h in HOOKS}
    assert set(by_id) == {"dockvenv-check", "dockvenv-migrate"}
    assert by_id["dockvenv-check"]["entry"] == "dockvenv hook check"
    assert by_id["dockvenv-migrate"]["entry"] == "dockvenv hook migrate"
    for hook in HOOKS:
        assert hook["language"] == "python" and hook["require_serial"] is True


@pytest.mark.parametrize(("path", "expected"), [
    ("Dockerfile", True), ("docker/Dockerfile.prod", True), ("Dockerfile.prod.arm64", True),
    ("services/api.Dockerfile", True), ("Containerfile", True), ("pyproject.toml", True),
    ("a/setup.py", True), ("setup.cfg", True), ("requirements-dev.txt", True), ("requirements/base.in", True),
    (".dockerignore", True), ("src/dockvenv/dockerfile.py", False), ("README.md", False),
    ("src/app/main.py", False), ("docs/Dockerfile.md", True),
])
def test_files_pattern(path: str, expected: bool) -> None:
    for hook in HOOKS:
        assert bool(re.search(hook["files"], path)) is expected, (hook["id"], path)


# -- files to projects ------------------------------------------------------------------------

def test_files_map_to_the_nearest_project(tmp_path: Path) -> None:
    tree(tmp_path, {
        "pyproject.toml": "[project]\nname = 'mono'\n",
        "Dockerfile": CLEAN,
        "docker/worker/Dockerfile": CLEAN,  # no marker until the root
        "services/api/pyproject.toml": "[project]\nname = 'api'\n",
        "services/api/deploy/Dockerfile": CLEAN,
        "services/legacy/setup.py": "",
        "services/legacy/requirements.txt": "",
    })
    roots = project_roots(["services/api/deploy/Dockerfile", "services/legacy/requirements.txt",
                           "services/api/pyproject.toml"], tmp_path)
    assert roots == ["services/api", "services/legacy"]
    assert project_roots(["docker/worker/Dockerfile"], tmp_path) == ["."]
    # the root project covers the nested ones, as `dockvenv check .` would: nothing is reported twice
    assert project_roots(["services/api/deploy/Dockerfile", "Dockerfile"], tmp_path) == ["."]
    assert project_roots([], tmp_path) == []


def test_a_folder_without_any_marker_is_its_own_project(tmp_path: Path) -> None:
    tree(tmp_path, {"a/Dockerfile": CLEAN, "b/c/Containerfile": CLEAN})
    assert project_roots(["a/Dockerfile", "b/c/Containerfile"], tmp_path) == ["a", "b/c"]


def test_an_excluded_file_is_its_own_folders_project(tmp_path: Path) -> None:
    tree(tmp_path, {
        "pyproject.toml": '[tool.dockvenv]\nexclude = ["fixtures/**"]\n',
        "fixtures/venv/Dockerfile": VENV,
        "src/Dockerfile": CLEAN,
    })
    assert project_roots(["fixtures/venv/Dockerfile", "src/Dockerfile"], tmp_path) == ["fixtures/venv", "."]


# -- dockvenv hook ----------------------------------------------------------------------------

@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tree(tmp_path, {
        "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\n\n[tool.dockvenv]\nignore = ["DV502"]\n',
        "Dockerfile": CLEAN,
        "legacy/Dockerfile": VENV,
    })
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_hook_check_reports_the_projects_of_the_files(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hook", "check", "Dockerfile"]) == 1  # the root project holds legacy/ too
    out = capsys.readouterr().out
    assert out.startswith("legacy/Dockerfile:2:1: DV101 ")
    assert main(["hook", "check", "--select", "DV5", "legacy/Dockerfile"]) == 0
    assert main(["hook", "check", "--format", "json", "--select", "DV101", "Dockerfile"]) == 1
    assert '"code": "DV101"' in capsys.readouterr().out


def test_hook_check_with_no_files_does_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hook", "check"]) == 0
    assert capsys.readouterr() == ("", "")


def test_hook_migrate_writes_and_fails_then_passes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run(["git", "add", "-A"], check=True)
    (repo / "legacy" / "Dockerfile").write_text(VENV + "# staged, not committed\n")  # pre-commit's usual case
    assert main(["hook", "migrate", "legacy/Dockerfile"]) == 1
    out = capsys.readouterr().out
    assert "migrated legacy/Dockerfile" in out and "would change" not in out
    assert "python -m venv" not in (repo / "legacy" / "Dockerfile").read_text()
    assert main(["hook", "migrate", "legacy/Dockerfile"]) == 0
    assert main(["hook", "migrate", "--check", "legacy/Dockerfile"]) == 0


def test_hook_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hook", "frobnicate", "Dockerfile"]) == 2
    assert "usage: dockvenv hook check|migrate" in capsys.readouterr().err
    assert main(["hook"]) == 2


def test_hook_is_not_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "completion" in out and "hook" not in out


# -- pre-commit try-repo, for real ------------------------------------------------------------

needs_pre_commit = pytest.mark.skipif(shutil.which("pre-commit") is None,
                                      reason="pre-commit is not installed (pip install -e '.[dev]')")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], cwd=cwd,
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository with this checkout's hooks, package and own files, plus two fixtures, committed."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in (".pre-commit-hooks.yaml", "pyproject.toml", "README.md", "LICENSE", "Dockerfile", ".dockerignore"):
        shutil.copy(ROOT / name, repo / name)
    shutil.copytree(ROOT / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for case in ("check/activation", "check/lookalikes"):
        shutil.copytree(FIXTURES / case, repo / "fixtures" / case)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "hooks")
    return repo


def _try_repo(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(["pre-commit", "try-repo", ".", *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=900)


@needs_pre_commit
def test_try_repo_check_passes_on_clean_projects(hook_repo: Path, tmp_path: Path) -> None:
    # The repository's own Dockerfile (project ".", fixtures excluded) and a clean fixture (its own folder).
    done = _try_repo(hook_repo, tmp_path, "dockvenv-check", "--files", "Dockerfile", "pyproject.toml",
                     "fixtures/check/lookalikes/Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"dockvenv check\.+Passed", done.stdout)


@needs_pre_commit
def test_try_repo_fails_on_a_venv_fixture_and_the_fixer_fixes_it(hook_repo: Path, tmp_path: Path) -> None:
    target = hook_repo / "fixtures" / "check" / "activation" / "Dockerfile"
    before = target.read_text()
    try:
        done = _try_repo(hook_repo, tmp_path, "--files", "fixtures/check/activation/Dockerfile")  # both hooks
        assert done.returncode == 1, done.stdout + done.stderr
        assert re.search(r"dockvenv check\.+Failed", done.stdout)
        assert "fixtures/check/activation/Dockerfile:4:1: DV101 virtualenv created in the image" in done.stdout
        assert re.search(r"dockvenv migrate\.+Failed", done.stdout)
        assert "files were modified by this hook" in done.stdout
        assert "migrated fixtures/check/activation/Dockerfile" in done.stdout
        after = target.read_text()
        assert after != before and "venv/bin/activate" not in after
    finally:
        _git(hook_repo, "checkout", "-q", "--", ".")
        _git(hook_repo, "clean", "-qfd", "fixtures")
