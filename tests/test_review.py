"""``migrate --interactive``: every key, driven through prompt_toolkit pipe input (no TTY).

Each test copies a fixture from ``fixtures/review/<case>/before`` to a temporary
folder, reviews a plan whose edits are that folder's files and ``after/`` (or the
real plan), and compares the files on disk byte for byte.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from dockvenv.errors import InputError
from dockvenv.model import Finding, FileEdit, Plan
from dockvenv.render.diff import hunks, split
from dockvenv.render.review import recheck, review_and_write
from tests.conftest import FIXTURES

REVIEW = FIXTURES / "review"
EDITOR = REVIEW / "edit_hunk.py"
REASONS = {
    "Dockerfile": ("DV101: venv creation removed", "DV201: source-tree install replaced by the wheel install",
                   "DV104: CMD runs programs by name, not from the venv"),
    ".dockerignore": ("DV302: .dockerignore excludes .env*, venvs and build output",),
    "pyproject.toml": ("DV401: dev tools moved to [project.optional-dependencies].dev",),
}


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def load(case: str, tmp_path: Path, findings: tuple[Finding, ...] = ()) -> tuple[Path, Plan]:
    """The fixture's before/ copied to tmp, and a plan turning it into after/."""
    root = tmp_path / case
    shutil.copytree(REVIEW / case / "before", root)
    edits = []
    for after in sorted((REVIEW / case / "after").rglob("*"), key=lambda p: (p.name != "Dockerfile", p)):
        if after.is_file():
            rel = after.relative_to(REVIEW / case / "after").as_posix()
            before = read(root / rel) if (root / rel).exists() else None
            edits.append(FileEdit(rel, before, read(after), REASONS.get(rel, ())))
    return root, Plan(str(root), findings=findings, edits=tuple(edits))


def drive(keys: str, root: Path, plan: Plan, force: bool = True) -> str:
    """Review with ``keys`` typed ahead; the input is closed after them (EOF aborts)."""
    out = io.StringIO()
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        inp.send_text(keys)
        inp.close()
        assert review_and_write(str(root), plan, force=force, out=out) == 0
    return out.getvalue()


def before(case: str, rel: str) -> str:
    return read(REVIEW / case / "before" / rel)


def after(case: str, rel: str) -> str:
    return read(REVIEW / case / "after" / rel)


def expected(case: str, scenario: str, rel: str) -> str:
    return read(REVIEW / case / "expected" / scenario / rel)


@pytest.fixture
def editor(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Use the scripted editor; returns its log of what it was given."""
    log = tmp_path / "editor.log"
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {EDITOR}")
    monkeypatch.setenv("DOCKVENV_TEST_EDITOR_LOG", str(log))
    return log


def test_y_accepts_every_hunk(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    out = drive("yyy", root, plan)
    assert read(root / "Dockerfile") == after("hello-svc", "Dockerfile")
    assert read(root / ".dockerignore") == after("hello-svc", ".dockerignore")
    assert "Dockerfile: accepted 2 of 2 hunks; written" in out and ".dockerignore: accepted 1 of 1 hunk; written" in out
    assert "to see what is left" not in out


def test_n_skips_every_hunk_and_writes_nothing(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    out = drive("nnn", root, plan)
    assert read(root / "Dockerfile") == before("hello-svc", "Dockerfile")
    assert read(root / ".dockerignore") == before("hello-svc", ".dockerignore")
    assert "nothing written" in out and f"dockvenv migrate --dry-run {root}" in out


def test_first_hunk_only_then_quit_and_write(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    out = drive("ynqy", root, plan)
    assert read(root / "Dockerfile") == expected("hello-svc", "first-hunk", "Dockerfile")
    assert read(root / ".dockerignore") == before("hello-svc", ".dockerignore")
    assert "Dockerfile: accepted 1 of 2 hunks; written" in out and ".dockerignore: accepted 0 of 1 hunk; not written" in out


def test_quit_and_abort_writes_nothing(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    out = drive("yyqn", root, plan)
    assert read(root / "Dockerfile") == before("hello-svc", "Dockerfile")
    assert "nothing written" in out


def test_a_accepts_the_rest_of_the_file_d_skips_it(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    drive("ad", root, plan)
    assert read(root / "Dockerfile") == after("hello-svc", "Dockerfile")
    assert read(root / ".dockerignore") == before("hello-svc", ".dockerignore")


def test_enter_takes_the_default_and_other_keys_are_ignored(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    drive("x\rY\x1b[An", root, plan)
    assert read(root / "Dockerfile") == after("hello-svc", "Dockerfile")
    assert read(root / ".dockerignore") == before("hello-svc", ".dockerignore")


def test_a_hunk_that_needs_a_skipped_hunk_is_refused(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    out = drive("nynn", root, plan)
    assert "this hunk needs hunk 1 of this file" in out
    assert "RUN uses stage 'dockvenv-builder', which is not defined above it" in out
    assert read(root / "Dockerfile") == before("hello-svc", "Dockerfile")


def test_u_undoes_the_last_decision(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    out = drive("yunny", root, plan)
    assert "undid the decision on hunk 1 of Dockerfile" in out
    assert out.count("@@ -1,7 +1,11 @@") == 2  # shown again after the undo
    assert read(root / "Dockerfile") == before("hello-svc", "Dockerfile")
    assert read(root / ".dockerignore") == after("hello-svc", ".dockerignore")


def test_u_goes_back_across_files_and_undoes_a_and_d_at_once(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    out = drive("duuay", root, plan)  # the second u has nothing left to undo: not offered, ignored
    assert out.count("diff --git a/Dockerfile b/Dockerfile") == 2
    assert read(root / "Dockerfile") == after("hello-svc", "Dockerfile")
    assert read(root / ".dockerignore") == after("hello-svc", ".dockerignore")
    root2, plan2 = load("hello-svc", tmp_path / "2")
    out = drive("aunny", root2, plan2)  # u at .dockerignore goes back into the Dockerfile
    assert "undid the decision on hunk 1 of Dockerfile" in out
    assert read(root2 / "Dockerfile") == before("hello-svc", "Dockerfile")
    assert read(root2 / ".dockerignore") == after("hello-svc", ".dockerignore")


def test_question_mark_prints_help(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    out = drive("?nnn", root, plan)
    assert "s - split this hunk into smaller hunks" in out and "u - undo the last decision" in out


def test_s_splits_and_the_parts_are_decided_one_by_one(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    out = drive("snynn", root, plan)  # skip the builder stage, take the venv removal
    assert "split into 2 hunks" in out
    assert read(root / "Dockerfile") == expected("hello-svc", "split-venv-only", "Dockerfile")
    assert read(root / ".dockerignore") == before("hello-svc", ".dockerignore")


def test_split_parts_keep_their_dependencies(tmp_path: Path) -> None:
    root, plan = load("pyproject", tmp_path)
    out = drive("snnyn", root, plan)  # the moved table's new home without its removal: a duplicate table
    assert "this hunk needs hunk 2 of this file (skipped" in out
    assert read(root / "pyproject.toml") == before("pyproject", "pyproject.toml")
    root2, plan2 = load("pyproject", tmp_path / "2")
    drive("snyy", root2, plan2)
    assert read(root2 / "pyproject.toml") == expected("pyproject", "keep-deps", "pyproject.toml")


def test_hunks_that_need_each_other(tmp_path: Path) -> None:
    root, plan = load("stages", tmp_path)
    out = drive("ynyy", root, plan)  # rename the stage, then try to skip the reference to it
    assert "hunk 1 of this file needs this hunk" in out
    assert "COPY uses stage 'venv', which is not defined above it" in out
    assert read(root / "Dockerfile") == after("stages", "Dockerfile")


def test_quit_never_writes_a_file_its_accepted_hunks_leave_invalid(tmp_path: Path) -> None:
    root, plan = load("stages", tmp_path)
    out = drive("yq", root, plan)
    assert "Dockerfile: not written: the accepted hunks need hunk 2; Dockerfile:19: COPY uses stage 'venv'" in out
    assert "Dockerfile: accepted 1 of 2 hunks; not written" in out and "nothing written" in out
    assert read(root / "Dockerfile") == before("stages", "Dockerfile")


def test_e_edits_the_hunk(tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKVENV_TEST_EDITS", json.dumps([['+CMD ["hello"]', '+CMD ["hello", "--verbose"]']]))
    root, plan = load("hello-svc", tmp_path)
    out = drive("yen", root, plan)
    assert "edited hunk accepted" in out
    assert read(root / "Dockerfile") == expected("hello-svc", "edited", "Dockerfile")
    given = read(editor)
    assert '\n-CMD ["/opt/venv/bin/hello"]\n+RUN --mount=' in given and '\n+CMD ["hello"]\n' in given
    assert "# To skip a '+' line, delete it." in given


def test_an_invalid_edit_is_shown_with_its_error_and_offered_again(
        tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKVENV_TEST_EDITS", json.dumps([
        ['+CMD ["hello"]', '+CMD ["hello", 1]'],  # the first edit: Docker refuses it
        ['+CMD ["hello", 1]', '+CMD ["hello", "--verbose"]'],  # the second fixes the first one's text
    ]))
    root, plan = load("hello-svc", tmp_path)
    out = drive("yeen", root, plan)
    assert "the edited hunk is not accepted" in out
    assert "Dockerfile:23: CMD requires the arguments to be a JSON array of strings" in out
    assert '+CMD ["hello", 1]' in out  # the rejected edit is shown
    assert read(editor).split("=" * 40 + "\n")[1].count('+CMD ["hello", 1]') == 1  # reopened with the draft
    assert read(root / "Dockerfile") == expected("hello-svc", "edited", "Dockerfile")


def test_an_edit_of_the_old_side_or_a_failing_editor_leaves_the_hunk(
        tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKVENV_TEST_EDITS", json.dumps([[" FROM python:3.12-slim", " FROM python:3.13-slim"]]))
    root, plan = load("hello-svc", tmp_path)
    out = drive("ennn", root, plan)
    assert "only '+' lines can be changed" in out and "the hunk is unchanged" in out
    monkeypatch.setenv("DOCKVENV_TEST_EDITOR_EXIT", "3")
    out = drive("ennn", *load("hello-svc", tmp_path / "2"))
    assert "the editor exited with status 3; the hunk is unchanged" in out


def test_an_edit_that_makes_toml_invalid_is_refused(tmp_path: Path, editor: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKVENV_TEST_EDITS", json.dumps([['+dev = [', '+dev = [[']]))
    root, plan = load("pyproject", tmp_path)
    out = drive("yenn", root, plan)
    assert "pyproject.toml:" in out and "invalid TOML" in out
    assert read(root / "pyproject.toml") == expected("pyproject", "first-hunk", "pyproject.toml")


def test_ctrl_c_raises_and_writes_nothing(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    with pytest.raises(KeyboardInterrupt):
        drive("y\x03", root, plan)
    assert read(root / "Dockerfile") == before("hello-svc", "Dockerfile")


def test_running_out_of_input_aborts(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    with pytest.raises(KeyboardInterrupt):
        drive("yy", root, plan)
    assert read(root / "Dockerfile") == before("hello-svc", "Dockerfile")


def test_the_reason_above_each_hunk_is_its_rule(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path, findings=(
        Finding("DV101", "Dockerfile", 3, "venv"), Finding("DV104", "Dockerfile", 19, "cmd")))
    out = drive("snnnn", root, plan)
    lines = out.splitlines()
    assert lines[lines.index("@@ -1,7 +1,11 @@") - 1] == "# DV101: venv creation removed"
    assert lines[lines.index("@@ -1,3 +1,10 @@") - 1] == "# " + "; ".join(REASONS["Dockerfile"])  # no finding: all
    assert "# DV101: venv creation removed\n@@ -1,7 +8,4 @@" in out
    assert "# DV104: CMD runs programs by name, not from the venv\n@@ -14,6 +18,6 @@" in out


def test_colour_on_a_terminal_and_no_color(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    for no_color, coloured in (("", True), ("1", False)):
        monkeypatch.setenv("NO_COLOR", no_color)
        root, plan = load("hello-svc", tmp_path / (no_color or "0"))
        out = Tty()
        with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
            inp.send_text("nnn")
            review_and_write(str(root), plan, force=True, out=out)
        assert ("\x1b[" in out.getvalue()) is coloured
        assert "-RUN python -m venv /opt/venv" in out.getvalue()


def test_uncommitted_files_are_refused_before_any_prompt(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    with pytest.raises(InputError, match="uncommitted changes"):
        review_and_write(str(root), plan, force=False, out=io.StringIO())


def test_nothing_to_review(tmp_path: Path) -> None:
    out = io.StringIO()
    assert review_and_write(str(tmp_path), Plan(str(tmp_path)), force=False, out=out) == 0
    assert "nothing to migrate" in out.getvalue()


def test_recheck_by_kind_of_file() -> None:
    def check(path: str, text: str) -> str | None:
        return recheck(FileEdit(path, "", text), text)

    assert check("setup.py", "setup(\n") and check("setup.py", "setup()\n") is None
    assert check("pyproject.toml", "a = \n") and check("requirements.txt", "((\n") is None
    assert check("Dockerfile", "# only a comment\n") == "Dockerfile: no instructions left"
    assert check("Dockerfile", "RUN true\n") == "Dockerfile:1: the first instruction must be FROM"
    assert check("Dockerfile", "ARG X=1\nFROM a AS b\nFROM c AS B\n") == "Dockerfile:3: duplicate stage name 'B'"
    assert recheck(FileEdit("x", None, None), None) is None


def test_the_real_plan_of_the_real_fixture(tmp_path: Path) -> None:
    from dockvenv.config import Settings
    from dockvenv.plan import build_plan
    from dockvenv.project import read_project

    root = tmp_path / "pep621-flask"
    shutil.copytree(FIXTURES / "apps" / "pep621-flask", root)
    plan = build_plan(read_project(str(root)), Settings())
    docker = next(e for e in plan.changes if e.path == "Dockerfile")
    first = hunks(docker)[0]
    out = drive("s" + "y" + "n" * 30 + "qy", root, plan)  # only the first part of the split Dockerfile hunk
    assert "split into" in out and "# DV" in out
    assert docker.before is not None
    lines = docker.before.splitlines(keepends=True)
    part = split(docker, first)[0]
    assert read(root / "Dockerfile") == "".join(lines[:part.start] + list(part.new) + lines[part.start + len(part.old):])
    assert not (root / ".dockerignore").exists()  # a created file whose hunk was skipped is not created
    root2 = tmp_path / "all"
    shutil.copytree(FIXTURES / "apps" / "pep621-flask", root2)
    plan2 = build_plan(read_project(str(root2)), Settings())
    drive("a" * len(plan2.changes), root2, plan2)
    for edit in plan2.changes:
        assert read(root2 / edit.path) == edit.after


def test_a_file_changed_during_the_review_is_not_overwritten(tmp_path: Path) -> None:
    root, plan = load("hello-svc", tmp_path)
    keys = iter("yyy")

    def ask(message: str, allowed: str, default: str | None) -> str:
        (root / "Dockerfile").write_text("FROM scratch\n")  # someone edits it meanwhile
        return next(keys)

    with pytest.raises(InputError, match="Dockerfile: changed since it was read"):
        review_and_write(str(root), plan, force=True, ask=ask, out=io.StringIO())
    assert read(root / "Dockerfile") == "FROM scratch\n"
    assert read(root / ".dockerignore") == before("hello-svc", ".dockerignore")


def test_through_the_cli_ctrl_c_exits_130_and_leaves_every_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from dockvenv.cli import main

    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    root = tmp_path / "p"
    shutil.copytree(REVIEW / "hello-svc" / "before", root)
    for keys, code in (("ys\x03", 130), ("yyy", 0)):
        with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
            inp.send_text(keys)
            assert main(["migrate", "--interactive", "--force", str(root)]) == code
        if code == 130:
            assert "interrupted; nothing was written" in capsys.readouterr().err
            assert read(root / "Dockerfile") == before("hello-svc", "Dockerfile")
            assert read(root / ".dockerignore") == before("hello-svc", ".dockerignore")
    assert "Dockerfile: accepted 2 of 2 hunks; written" in capsys.readouterr().out
    assert read(root / "Dockerfile") != before("hello-svc", "Dockerfile")
