"""The command line: exit codes, rule selection, inline pragmas, configuration, bad input, ``rule``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockvenv import __version__
from dockvenv.cli import main
from dockvenv.rules import BY_CODE, RULES
from tests.conftest import FIXTURES

VENV = "FROM python:3.12-slim\nRUN python -m venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\n"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dockvenv", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=60)


def codes(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    rc = main(["check", "--format", "json", *args])
    out = capsys.readouterr().out
    return rc, [f["code"] for f in json.loads(out)["findings"]] if out else []


def project(tmp_path: Path, dockerfile: str = VENV, **files: str) -> Path:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


# -- exit codes ---------------------------------------------------------------------------------

def test_version() -> None:
    done = run("--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"dockvenv {__version__}")


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "commands:" in capsys.readouterr().out


def test_unknown_option_is_a_usage_error() -> None:
    done = run("check", "--frobnicate")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "unrecognized arguments" in done.stderr


def test_exit_0_without_findings_and_1_with(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "Dockerfile").write_text("FROM python:3.12-slim\nCMD [\"python\"]\n")
    assert main(["check", str(clean)]) == 0
    assert capsys.readouterr() == ("", "")
    dirty = tmp_path / "dirty"
    dirty.mkdir()
    assert main(["check", str(project(dirty))]) == 1
    assert capsys.readouterr().out.endswith("Found 2 findings (2 fixable with `dockvenv migrate`).\n")


def test_default_path_is_the_current_directory(tmp_path: Path) -> None:
    project(tmp_path)
    done = run("check", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == "Dockerfile:2:1: DV101 virtualenv created in the image at /opt/venv"


def test_several_paths_are_reported_with_their_prefix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        project(tmp_path / name)
    assert main(["check", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":", 1)[0] for line in lines[:-1]] == [str(tmp_path / "a/Dockerfile")] * 2 + [
        str(tmp_path / "b/Dockerfile")] * 2


# -- selection ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("flags", "expected"), [
    ([], ["DV101", "DV103"]),
    (["--select", "DV101"], ["DV101"]),
    (["--select", "DV1"], ["DV101", "DV103"]),
    (["--select", "dv10"], ["DV101", "DV103"]),
    (["--select", "DV2,DV103"], ["DV103"]),
    (["--ignore", "DV101"], ["DV103"]),
    (["--ignore", "DV1"], []),
    (["--select", "DV1", "--ignore", "DV103"], ["DV101"]),
])
def test_select_and_ignore_by_prefix(tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str],
                                     expected: list[str]) -> None:
    rc, found = codes(capsys, str(project(tmp_path)), *flags)
    assert (rc, found) == (1 if expected else 0, expected)


def test_unknown_rule_prefix_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--select", "XX9", str(project(tmp_path))]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "dockvenv: error: command line: no rule code starts with 'XX9' (see 'dockvenv rule')\n"


def test_pyproject_select_and_ignore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, **{"pyproject.toml": '[tool.dockvenv]\nignore = ["DV101"]\n'})
    assert codes(capsys, str(tmp_path)) == (1, ["DV103"])
    (tmp_path / "pyproject.toml").write_text('[tool.dockvenv]\nselect = ["DV101"]\n')
    assert codes(capsys, str(tmp_path)) == (1, ["DV101"])
    assert codes(capsys, str(tmp_path), "--select", "DV103") == (1, ["DV103"])  # the command line wins


def test_pyproject_unknown_rule_or_setting_is_an_input_error(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, **{"pyproject.toml": '[tool.dockvenv]\nignore = ["NOPE"]\n'})
    assert main(["check", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"dockvenv: error: {tmp_path}/pyproject.toml: no rule code starts with "
                                       "'NOPE' (see 'dockvenv rule')\n")
    (tmp_path / "pyproject.toml").write_text('[tool.dockvenv]\nselekt = ["DV1"]\n')
    assert main(["check", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"dockvenv: error: {tmp_path}/pyproject.toml: unknown dockvenv setting 'selekt'\n"


# -- inline pragmas ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("dockerfile", "expected"), [
    ("FROM python:3.12\nRUN python -m venv /opt/venv  # dockvenv: ignore[DV101]\n", []),
    ("FROM python:3.12\nRUN python -m venv /opt/venv  # dockvenv: ignore[DV1]\n", []),
    ("FROM python:3.12\nRUN python -m venv /opt/venv  # dockvenv: ignore\n", []),
    ("FROM python:3.12\nRUN python -m venv /opt/venv  # dockvenv: ignore[DV102]\n", ["DV101"]),
    ("FROM python:3.12\nRUN python -m venv /opt/venv  # dockvenv: ignore[DV102, DV101]\n", []),
    ("FROM python:3.12\n# dockvenv: ignore[DV103]\nENV PATH=/opt/venv/bin:$PATH\n", []),
    ("FROM python:3.12\nRUN apt-get update \\\n && python -m venv /opt/venv  # dockvenv: ignore[DV101]\n", []),
    ("FROM python:3.12\nRUN python -m venv /opt/venv\n# dockvenv: ignore[DV101]\n", ["DV101"]),
])
def test_inline_ignore(tmp_path: Path, capsys: pytest.CaptureFixture[str], dockerfile: str,
                       expected: list[str]) -> None:
    assert codes(capsys, str(project(tmp_path, dockerfile)))[1] == expected


def test_inline_ignore_does_not_leak_to_the_next_instruction(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    text = "FROM python:3.12\nRUN python -m venv /a  # dockvenv: ignore[DV101]\nRUN python -m venv /b\n"
    assert codes(capsys, str(project(tmp_path, text)))[1] == ["DV101"]


# -- bad input: one line on stderr, exit 2, nothing on stdout, nothing written -------------------

def _tree(root: Path) -> list[tuple[str, int, int]]:
    out = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            out.append((os.path.relpath(os.path.join(dirpath, name), root), st.st_mtime_ns, st.st_size))
    return sorted(out)


def _bad_binary(p: Path) -> str:
    (p / "Dockerfile").write_bytes(b"FROM python:3.12\nRUN echo \x00\n")
    return "Dockerfile:2: binary file (NUL byte)"


def _bad_utf8(p: Path) -> str:
    (p / "Dockerfile").write_text("FROM python:3.12\n")
    (p / "requirements.txt").write_bytes(b"flask\n# caf\xe9\n")
    return "requirements.txt:2: not valid UTF-8 (byte 0xe9)"


def _bad_fifo(p: Path) -> str:
    (p / "Dockerfile").write_text("FROM python:3.12\n")
    os.mkfifo(p / "Dockerfile.dev")  # reading it would block forever: it must be refused, not opened
    return "Dockerfile.dev: not a regular file"


def _bad_heredoc(p: Path) -> str:
    (p / "Dockerfile").write_text("FROM python:3.12\nRUN <<EOT\necho hi\n")
    return "Dockerfile:2: unterminated heredoc <<EOT"


def _bad_symlink(p: Path) -> str:
    outside = p.parent / f"{p.name}-outside.txt"
    outside.write_text("flask\n")
    (p / "Dockerfile").write_text("FROM python:3.12\n")
    (p / "requirements.txt").symlink_to(outside)
    return f"requirements.txt: symlink points outside the project ({outside})"


def _bad_toml(p: Path) -> str:
    (p / "Dockerfile").write_text(VENV)
    (p / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.dockvenv\nselect = []\n')
    return "pyproject.toml:4: invalid TOML: Expected ']' at the end of a table declaration"


def _bad_json_cmd(p: Path) -> str:
    (p / "Dockerfile").write_text('FROM python:3.12\n\nCMD ["python", 1]\n')
    return "Dockerfile:3: CMD requires the arguments to be a JSON array of strings"


def _bad_dockerignore(p: Path) -> str:
    (p / "Dockerfile").write_text("FROM python:3.12\nCOPY . .\n")
    (p / ".dockerignore").write_text("# ours\n[z-a].py\n")
    return ".dockerignore:2: invalid pattern '[z-a].py'"


BAD = {"dockerignore": _bad_dockerignore, "binary": _bad_binary, "utf8": _bad_utf8, "fifo": _bad_fifo,
       "heredoc": _bad_heredoc, "symlink": _bad_symlink, "toml": _bad_toml, "json-cmd": _bad_json_cmd}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    message = BAD[case](root)
    before = _tree(tmp_path)
    done = run("check", "--format", "sarif", str(root))
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"dockvenv: error: {root}/{message}\n")
    assert _tree(tmp_path) == before


def test_bad_input_in_the_current_directory_names_the_file_alone(tmp_path: Path) -> None:
    message = _bad_heredoc(tmp_path)
    done = run("check", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"dockvenv: error: {message}\n")


def test_one_bad_project_among_good_ones_prints_no_findings(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    project(good)
    message = _bad_binary(bad)
    done = run("check", str(good), str(bad))
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"dockvenv: error: {bad}/{message}\n")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads a chmod 000 file anyway; the FIFO case covers unreadable files")
def test_unreadable_file(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "requirements.txt").chmod(0)
    done = run("check", str(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"dockvenv: error: {tmp_path}/requirements.txt: cannot read: permission denied\n"


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing", "no such directory"),
    (lambda p: (p / "Dockerfile").write_text("FROM x\n") and p / "Dockerfile",
     "not a directory (dockvenv takes a project folder)"),
])
def test_path_that_is_not_a_project(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    target = make(tmp_path)
    done = run("check", str(target))
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"dockvenv: error: {target}: {message}\n")


# -- dockvenv rule ------------------------------------------------------------------------------------

def test_rule_prints_the_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "DV101"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("DV101 venv-created: a virtualenv is created inside the image.\n")
    assert "## Why is this bad?" in out and "## Fix safety" in out
    assert main(["rule", "dv101"]) == 0
    assert capsys.readouterr().out == out


def test_rule_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [r.CODE for r in RULES]
    assert lines[0].split()[1] == "venv-created"


def test_unknown_rule_exits_2() -> None:
    done = run("rule", "DV999")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "dockvenv: error: unknown rule 'DV999' (see 'dockvenv rule' for the list)\n"


def test_every_rule_is_reachable_by_code() -> None:
    assert sorted(BY_CODE) == sorted(r.CODE for r in RULES)
    assert len(set(BY_CODE)) == len(RULES)
