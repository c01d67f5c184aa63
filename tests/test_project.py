"""Reading a checkout: which files, their exact text, and a one-line error for each bad file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockvenv import project as P
from dockvenv.errors import InputError
from dockvenv.project import is_dockerfile, is_env_file, is_requirements, read_project


@pytest.mark.parametrize(("name", "expected"), [
    ("Dockerfile", True), ("dockerfile", True), ("Containerfile", True), ("Dockerfile.dev", True),
    ("Dockerfile.prod.arm64", True), ("api.Dockerfile", True), ("worker.dockerfile", True),
    ("app.Containerfile", True), ("Dockerfile.dockerignore", False), (".dockerignore", False),
    ("Dockerfile-old", False), ("README.md", False), ("docker-compose.yml", False),
])
def test_is_dockerfile(name: str, expected: bool) -> None:
    assert is_dockerfile(name) is expected


@pytest.mark.parametrize(("name", "expected"), [
    (".env", True), (".env.production", True), (".env_prod", True), (".env-staging", True),
    ("production.env", True), (".envrc", False), ("environment.py", False), ("env", False),
    (".env.example", True),  # present in the tree; the rules decide that examples are harmless
])
def test_is_env_file(name: str, expected: bool) -> None:
    assert is_env_file(name) is expected


@pytest.mark.parametrize(("rel", "expected"), [
    ("requirements.txt", True), ("requirements-dev.txt", True), ("dev-requirements.txt", True),
    ("requirements_dev.txt", True), ("requirements/base.txt", True), ("requirements/prod.in", True),
    ("requirements/lint.pip", True), ("docs/requirements.txt", True), ("reqs.txt", False),
    ("requirements.md", False),
])
def test_is_requirements(rel: str, expected: bool) -> None:
    assert is_requirements(rel) is expected


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def test_reads_what_dockvenv_needs_and_skips_the_rest(tmp_path: Path) -> None:
    _write(tmp_path, {
        "Dockerfile": "FROM python\n", "docker/api.Dockerfile": "FROM python\n",
        ".devcontainer/Dockerfile": "FROM python\n", ".github/workflows/ci.yml": "on: push\n",
        "pyproject.toml": "[project]\n", "requirements/base.txt": "flask\n", "src/app/__init__.py": "",
        ".dockerignore": ".env\n", ".env": "SECRET=1\n", "config/prod.env": "A=1\n",
        "README.md": "# hi\n", "logo.png": b"\x89PNG\x00\x00",
        ".git/config": "[core]\n", "node_modules/x/Dockerfile": "FROM node\n", ".venv/lib/site.py": "x",
        "venv/Dockerfile": "FROM x\n", ".hidden/Dockerfile": "FROM x\n", ".tox/Dockerfile": "FROM x\n",
    })
    proj = read_project(tmp_path)
    assert proj.root == str(tmp_path.resolve())
    assert proj.dockerfiles == (".devcontainer/Dockerfile", "Dockerfile", "docker/api.Dockerfile")
    assert set(proj.files) == {
        "Dockerfile", "docker/api.Dockerfile", ".devcontainer/Dockerfile", ".github/workflows/ci.yml",
        "pyproject.toml", "requirements/base.txt", "src/app/__init__.py", ".dockerignore"}
    assert proj.env_files == (".env", "config/prod.env")  # seen, never read
    assert proj.python_files == ("src/app/__init__.py",)
    assert proj.exists("README.md") and proj.exists("logo.png") and proj.exists("src/app")
    assert proj.exists(".env") and proj.exists("./") and not proj.exists("missing.txt")


def test_text_is_kept_exactly(tmp_path: Path) -> None:
    raw = "\ufeffFROM python:3.12\r\nRUN echo caf\u00e9\r\nCMD [\"python\"]"
    (tmp_path / "Dockerfile").write_bytes(raw.encode("utf-8"))
    f = read_project(tmp_path).files["Dockerfile"]
    assert f.text == raw
    assert f.size == len(raw.encode("utf-8"))


def test_symlinks_inside_the_tree_are_read_and_linked_dirs_not_walked(tmp_path: Path) -> None:
    _write(tmp_path, {"Dockerfile": "FROM a\n", "real/requirements.txt": "flask\n"})
    (tmp_path / "requirements.txt").symlink_to(tmp_path / "real" / "requirements.txt")
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nowhere")
    proj = read_project(tmp_path)
    assert proj.text("requirements.txt") == "flask\n"
    assert "linked/requirements.txt" not in proj.files


@pytest.mark.parametrize(("files", "message"), [
    ({"Dockerfile": b"FROM a\n\nRUN \x00"}, "Dockerfile:3: binary file (NUL byte)"),
    ({"Dockerfile": "FROM a\n", "pyproject.toml": b"[project]\nname = 'caf\xe9'\n"},
     "pyproject.toml:2: not valid UTF-8 (byte 0xe9)"),
    ({"Dockerfile": b"\xff\xfeF\x00R\x00"}, "Dockerfile:1: binary file (NUL byte)"),  # UTF-16
])
def test_bad_bytes(tmp_path: Path, files: dict[str, bytes | str], message: str) -> None:
    _write(tmp_path, files)
    with pytest.raises(InputError) as err:
        read_project(tmp_path)
    assert str(err.value) == message


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    _write(tmp_path, {"Dockerfile": "FROM a\n"})
    os.mkfifo(tmp_path / "setup.py")
    with pytest.raises(InputError, match=r"^setup.py: not a regular file$"):
        read_project(tmp_path)


def test_symlink_out_of_the_project(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _write(root, {"Dockerfile": "FROM a\n"})
    (tmp_path / "secret.py").write_text("x = 1\n")
    (root / "app.py").symlink_to(tmp_path / "secret.py")
    with pytest.raises(InputError) as err:
        read_project(root)
    assert str(err.value) == f"app.py: symlink points outside the project ({tmp_path / 'secret.py'})"


def test_file_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"Dockerfile": "FROM a\n" * 20})
    monkeypatch.setattr(P, "MAX_BYTES", 100)
    with pytest.raises(InputError, match=r"^Dockerfile: file too large \(140 bytes; the limit is 100\)$"):
        read_project(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file; the FIFO test covers refusal")
def test_unreadable_file(tmp_path: Path) -> None:
    _write(tmp_path, {"Dockerfile": "FROM a\n"})
    (tmp_path / "Dockerfile").chmod(0)
    with pytest.raises(InputError, match=r"^Dockerfile: cannot read: permission denied$"):
        read_project(tmp_path)


def test_not_a_project_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no such directory$"):
        read_project(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match=r"not a directory"):
        read_project(tmp_path / "file")
