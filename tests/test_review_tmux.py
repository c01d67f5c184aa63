"""End to end on a real terminal: ``dockvenv migrate --interactive`` under tmux.

On a git checkout of ``fixtures/review/hello-svc/before``: accept the first hunk, skip
the second, quit, confirm; the Dockerfile then holds exactly the first change.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockvenv.model import FileEdit
from dockvenv.render.diff import hunks
from tests.conftest import FIXTURES

pytestmark = pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed")


class Tmux:
    """One tmux server of our own (its own socket), killed at the end."""

    def __init__(self, tmp: Path) -> None:
        self.socket = str(tmp / "tmux.sock")

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.socket, *args], check=True, capture_output=True,
                              text=True).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "review", "-S", "-200")

    def wait_for(self, text: str, timeout: float = 30) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen()}")


def test_accept_the_first_hunk_skip_the_second_quit(tmp_path: Path) -> None:
    root = tmp_path / "hello-svc"
    shutil.copytree(FIXTURES / "review" / "hello-svc" / "before", root)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "before"], check=True)
    before = (root / "Dockerfile").read_bytes().decode()

    rc = tmp_path / "rc"
    command = (f"cd {shlex.quote(str(root))} && {shlex.quote(sys.executable)} -m dockvenv migrate --interactive .; "
               f"echo $? > {shlex.quote(str(rc))}; sleep 600")
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    tmux = Tmux(tmp_path)
    subprocess.run(["tmux", "-S", tmux.socket, "new-session", "-d", "-s", "review", "-x", "200", "-y", "60",
                    "sh", "-c", command], check=True, env=env)
    try:
        tmux.wait_for("(1/2) Accept this hunk [Y,n,a,d,s,e,q,?]?")
        tmux("send-keys", "-t", "review", "y")
        tmux.wait_for("(2/2) Accept this hunk")
        tmux("send-keys", "-t", "review", "n")
        screen = tmux.wait_for("(1/1) Accept this hunk")  # .dockerignore
        assert "+RUN --mount=from=dockvenv-builder" in screen and "# DV" in screen
        tmux("send-keys", "-t", "review", "q")
        tmux.wait_for("write the 1 accepted hunk? [y/n]")
        tmux("send-keys", "-t", "review", "y")
        end = time.monotonic() + 30
        while not rc.exists() or not rc.read_text().strip():
            assert time.monotonic() < end, tmux.screen()
            time.sleep(0.1)
        screen = tmux.screen()
    finally:
        subprocess.run(["tmux", "-S", tmux.socket, "kill-server"], capture_output=True)

    assert rc.read_text().strip() == "0", screen
    assert "Dockerfile: accepted 1 of 2 hunks; written" in screen
    assert ".dockerignore: accepted 0 of 1 hunk; not written" in screen
    assert "dockvenv migrate --dry-run ." in screen
    first = hunks(_plan_edit(root, before))[0]  # the first change, applied by hand
    lines = before.splitlines(keepends=True)
    want = "".join(lines[:first.start] + list(first.new) + lines[first.start + len(first.old):])
    assert (root / "Dockerfile").read_bytes().decode() == want
    assert want != before and "dockvenv-builder" in want and "--mount=from" not in want
    assert (root / ".dockerignore").read_text() == (FIXTURES / "review" / "hello-svc" / "before" / ".dockerignore").read_text()


def _plan_edit(root: Path, before: str) -> FileEdit:
    """The Dockerfile edit dockvenv plans for the original text (planned again on a copy)."""
    from dockvenv.config import Settings
    from dockvenv.plan import build_plan
    from dockvenv.project import read_project

    copy = root.parent / "replan"
    shutil.copytree(FIXTURES / "review" / "hello-svc" / "before", copy)
    edit = next(e for e in build_plan(read_project(str(copy)), Settings()).changes if e.path == "Dockerfile")
    assert edit.before == before
    return edit
