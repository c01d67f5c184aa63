"""bulk's git module with real git: the token's path, leases, reused workspaces, hooks."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from dockvenv.bulk import git as g
from dockvenv.bulk.http import Redactor
from tests.forge_server import ForgeServer, make_remote, push_commit, tip

FIX = Path(__file__).resolve().parents[1] / "fixtures"
TOKEN = "ghp_gitMODULEtoken_abcdef0123456789"
WHO = g.Identity("dockvenv", "dockvenv@example.invalid")


@pytest.fixture
def git(tmp_path: Path) -> g.Git:
    hooks = tmp_path / "nohooks"
    hooks.mkdir()
    return g.Git(str(hooks), TOKEN, "x-access-token", Redactor(TOKEN))


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return make_remote(tmp_path / "remotes", "acme/app", FIX / "migrate" / "mvenv" / "before")


def test_the_token_reaches_git_as_a_header_for_that_origin_only(git: g.Git, tmp_path: Path):
    with ForgeServer(TOKEN) as server:
        url = f"{server.url}/acme/app.git"
        with pytest.raises(g.GitError) as err:
            g.remote_refs(git, url, ["main"])
        asked = [r for r in server.requests if "/info/refs" in r.path]
        assert asked, "git never asked the server"
        expected = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
        assert asked[0].headers["authorization"] == f"Basic {expected}"
        assert TOKEN not in str(err.value) and expected not in str(err.value)
        # a URL of another origin gets no header: the setting is scoped to the URL named
        env = git._auth_env(url)
        assert list(env.values())[1] == f"http.{server.url}/.extraHeader"
        assert git._auth_env("file:///x/y.git") == {} and git._auth_env(None) == {}


def test_sync_commit_push_leave_no_secret_and_no_remote_in_the_config(git: g.Git, remote: Path, tmp_path: Path):
    ws = tmp_path / "ws" / "acme__app"
    url = remote.as_uri()
    refs = g.remote_refs(git, url, ["dockvenv/migrate"])
    assert refs.head == "main" and set(refs.tips) == {"main"}
    assert g.sync(git, ws, url, "main", "dockvenv/migrate", refs.tips) is None
    (ws / "NEW.md").write_text("x\n")
    g.commit(git, ws, ["NEW.md"], "subject\n\nDockvenv-Version: 0\n", WHO)
    mine, base = g.metas(git, ws, ["HEAD", "HEAD~1"])
    assert mine.message == "subject\n\nDockvenv-Version: 0" and base.author_email == "jane@example.com"
    assert mine.author_email == mine.committer_email == WHO.email
    g.push(git, ws, url, "dockvenv/migrate", None)
    assert tip(remote, "dockvenv/migrate") == mine.sha
    config = (ws / ".git" / "config").read_text()
    assert TOKEN not in config and "url" not in config and "extraheader" not in config.lower()
    assert not (ws / ".git" / "hooks").exists() or not any((ws / ".git" / "hooks").iterdir())


def test_a_push_that_lost_its_lease_is_refused(git: g.Git, remote: Path, tmp_path: Path):
    ws, url = tmp_path / "ws", remote.as_uri()
    g.sync(git, ws, url, "main", "b", g.remote_refs(git, url, ["b"]).tips)
    (ws / "A").write_text("a\n")
    g.commit(git, ws, ["A"], "ours", WHO)
    first = g.metas(git, ws, ["HEAD"])[0]
    g.push(git, ws, url, "b", None)
    # a person pushes on top; our next push still expects our own tip
    theirs = push_commit(remote, "b", {"B": "b\n"}, "mine", tmp_path / "human")
    (ws / "A").write_text("a2\n")
    g.commit(git, ws, ["A"], "ours again", WHO)
    with pytest.raises(g.LeaseError, match="stale info"):
        g.push(git, ws, url, "b", first.sha)
    with pytest.raises(g.LeaseError):
        g.push(git, ws, url, "b", None)  # "must not exist" fails too
    assert tip(remote, "b") == theirs


def test_a_reused_workspace_is_reset_to_the_base(git: g.Git, remote: Path, tmp_path: Path):
    ws, url = tmp_path / "ws", remote.as_uri()
    tips = g.remote_refs(git, url, ["b"]).tips
    g.sync(git, ws, url, "main", "b", tips)
    (ws / "Dockerfile").write_text("FROM scratch\n")
    (ws / "junk").mkdir()
    (ws / "junk" / "left.txt").write_text("left over\n")
    (ws / ".env").write_text("SECRET=1\n")
    # what the workspace holds is current: no fetch at all (this URL could not be fetched from)
    g.sync(git, ws, (tmp_path / "gone.git").as_uri(), "main", "b", tips)
    assert (ws / "Dockerfile").read_text() == (FIX / "migrate" / "mvenv" / "before" / "Dockerfile").read_text()
    assert not (ws / "junk").exists() and not (ws / ".env").exists()
    # a moved base is fetched
    new = push_commit(remote, "main", {"N": "n\n"}, "moved", tmp_path / "human")
    g.sync(git, ws, url, "main", "b", g.remote_refs(git, url, ["b"]).tips)
    assert (ws / "N").exists() and g.metas(git, ws, ["HEAD"])[0].sha == new


def test_failures_are_one_redacted_line(git: g.Git, tmp_path: Path):
    with pytest.raises(g.GitError) as err:
        g.remote_refs(git, (tmp_path / "missing.git").as_uri(), [])
    assert str(err.value).startswith("git ls-remote: ") and "\n" not in str(err.value)


def test_repository_variables_of_the_caller_do_not_leak(monkeypatch, tmp_path: Path, remote: Path):
    """dockvenv run from inside a git hook has GIT_DIR set: bulk must still act on its own clones."""
    monkeypatch.setenv("GIT_DIR", str(remote))
    hooks = tmp_path / "h"
    hooks.mkdir()
    git = g.Git(str(hooks))
    ws = tmp_path / "ws"
    g.sync(git, ws, remote.as_uri(), "main", "b", {"main": tip(remote, "main")})
    assert (ws / "Dockerfile").exists() and (ws / ".git").is_dir()
