"""``dockvenv bulk`` as users run it: dry runs, GitLab, --org, tokens, Ctrl-C, --verify, isolation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

from dockvenv.bulk.outcome import FAILED, OPENED
from dockvenv.cli import _parser, load_project, main
from tests.forge_server import ForgeServer, git, make_remote, push_commit, tip

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "fixtures"
TOKEN = "ghp_CLItest_0123456789abcdefghij"
SOURCES = {
    "acme/flask": FIX / "apps" / "pep621-flask",
    "acme/poetry": FIX / "apps" / "poetry-api",
    "acme/uvsync": FIX / "migrate" / "uv-sync" / "before",
    "acme/clean": FIX / "migrate" / "heredoc-clean",
}
NEEDS = {"acme/flask", "acme/poetry", "acme/uvsync"}


def remotes(root: Path, server: ForgeServer | None, sources: dict[str, Path] = SOURCES) -> Path:
    for slug, src in sources.items():
        make_remote(root / "remotes", slug, src)
        if server is not None:
            server.add_repo(slug)
    (root / "repos.txt").write_text("\n".join(sources) + "\n")
    return root / "remotes"


def cli(*args: str, token: str | None, cwd: Path, **kw) -> subprocess.Popen | subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GITLAB_TOKEN")}
    if token:
        env["GITHUB_TOKEN"] = env["GITLAB_TOKEN"] = token
    argv = [sys.executable, "-m", "dockvenv", "bulk", *args]
    if kw.pop("background", False):
        # A shell's background job starts with SIGINT ignored, and Python keeps it so: restore it.
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def git_url(root: Path) -> str:
    return f"{(root / 'remotes').as_uri()}/{{owner}}/{{name}}.git"


def test_dry_run_needs_no_token_pushes_nothing_and_writes_applicable_patches(tmp_path: Path):
    with ForgeServer(TOKEN) as server:
        bare = remotes(tmp_path, None)
        res = cli("--repos", "repos.txt", "--dry-run", "--out", "patches", "--report", "r.json",
                  "--git-url", git_url(tmp_path), "--api-url", server.github_api, token=None, cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert server.requests == []  # no API at all, let alone a write endpoint
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["version"] == 1 and report["dry_run"] is True
    status = {r["repo"]: r["status"] for r in report["repos"]}
    assert status == {"acme/flask": "opened", "acme/poetry": "opened", "acme/uvsync": "opened",
                      "acme/clean": "already-migrated"}
    assert "opened (dry run)" in res.stdout
    assert sorted(p.name for p in (tmp_path / "patches").iterdir()) == [
        "acme__flask.patch", "acme__poetry.patch", "acme__uvsync.patch"]
    for slug in SOURCES:
        assert tip(bare / f"{slug}.git", "dockvenv/migrate") is None
    # each patch is what migrate --yes writes, and git apply takes it
    for slug in sorted(NEEDS):
        a, b = tmp_path / "a" / slug, tmp_path / "b" / slug
        for clone in (a, b):
            git("clone", "-q", (bare / f"{slug}.git").as_uri(), str(clone))
        patch = tmp_path / "patches" / f"{slug.replace('/', '__')}.patch"
        git("apply", "--check", str(patch), cwd=a)
        git("apply", str(patch), cwd=a)
        assert main(["migrate", "--yes", str(b)]) == 0
        for clone in (a, b):
            git("add", "-A", cwd=clone)
        assert git("write-tree", cwd=a) == git("write-tree", cwd=b), slug


def test_a_missing_token_fails_fast_and_names_the_variable(tmp_path: Path):
    remotes(tmp_path, None)
    res = cli("--repos", "repos.txt", "--workspace", "ws", "--git-url", git_url(tmp_path), token=None, cwd=tmp_path)
    assert res.returncode == 2
    assert "GITHUB_TOKEN is not set" in res.stderr and "--dry-run" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "ws").exists()
    res = cli("--repos", "repos.txt", "--forge", "gitlab", token=None, cwd=tmp_path)
    assert res.returncode == 2 and "GITLAB_TOKEN is not set" in res.stderr


def test_a_bad_repository_line_is_one_error_naming_the_line(tmp_path: Path):
    (tmp_path / "repos.txt").write_text("acme/ok\n# fine\nnot a repo\n")
    res = cli("--repos", "repos.txt", "--dry-run", token=None, cwd=tmp_path)
    assert res.returncode == 2 and res.stderr.strip().endswith(
        "repos.txt:3: 'not a repo' is neither owner/name, a clone URL nor a local path")


def test_gitlab_org_run_opens_merge_requests_once(tmp_path: Path):
    sources = {f"grp/sub/{k.split('/')[1]}": v for k, v in SOURCES.items()}
    with ForgeServer(TOKEN, tmp_path / "remotes", page_size=2) as server:
        remotes(tmp_path, server, sources)
        server.add_repo("grp/old", archived=True)
        args = ("--org", "grp", "--forge", "gitlab", "--api-url", server.gitlab_api, "--git-url", git_url(tmp_path),
                "--workspace", "ws", "--report", "r.json", "-j", "4")
        res = cli(*args, token=TOKEN, cwd=tmp_path)
        assert res.returncode == 0, res.stderr + res.stdout
        report = json.loads((tmp_path / "r.json").read_text())
        status = {r["repo"]: r["status"] for r in report["repos"]}
        assert status == {"grp/old": "skipped", "grp/sub/flask": "opened", "grp/sub/poetry": "opened",
                          "grp/sub/uvsync": "opened", "grp/sub/clean": "already-migrated"}
        assert sorted(p.slug for p in server.prs) == ["grp/sub/flask", "grp/sub/poetry", "grp/sub/uvsync"]
        assert all(p.base == "main" and p.head == "dockvenv/migrate" for p in server.prs)
        assert all("/-/merge_requests/" in r["url"] for r in report["repos"] if r["status"] == "opened")
        server.reset_log()
        again = cli(*args, token=TOKEN, cwd=tmp_path)
        assert again.returncode == 0
        assert [r for r in server.requests if r.write] == []
        assert "3 unchanged" in again.stdout
        for out in (res, again):
            assert TOKEN not in out.stdout + out.stderr


def test_github_org_dry_run_lists_through_pagination_and_writes_nothing(tmp_path: Path):
    with ForgeServer(TOKEN, tmp_path / "remotes", page_size=1) as server:
        remotes(tmp_path, server)
        res = cli("--org", "acme", "--dry-run", "--out", "p", "--api-url", server.github_api,
                  "--git-url", git_url(tmp_path), token=TOKEN, cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert [r.path for r in server.requests] == ["/orgs/acme/repos"] * 4
        assert len(list((tmp_path / "p").iterdir())) == 3


def test_ctrl_c_stops_cleanly_and_the_report_says_what_was_done(tmp_path: Path):
    sources = {f"acme/r{n:02d}": FIX / "migrate" / name / "before" for n, name in enumerate(
        ["mvenv", "uv-sync", "crlf", "bom", "heredoc", "global-arg", "relative-venv", "uv-venv", "shell-source",
         "node-assets"])}
    with ForgeServer(TOKEN, tmp_path / "remotes") as server:
        remotes(tmp_path, server, sources)
        server.inject(r"POST /repos/acme/r\d+/pulls$", status=0, delay=0.4, times=-1)  # slow PR creation
        proc = cli("--repos", "repos.txt", "--api-url", server.github_api, "--git-url", git_url(tmp_path),
                   "--workspace", "ws", "--report", "r.json", "-j", "2", token=TOKEN, cwd=tmp_path, background=True)
        deadline = time.monotonic() + 60
        while not server.prs and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.prs, "no PR was opened in time"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        report = json.loads((tmp_path / "r.json").read_text())
        assert report["interrupted"] is True
        opened = {r["repo"] for r in report["repos"] if r["status"] == OPENED}
        skipped = [r for r in report["repos"] if r["status"] == "skipped"]
        assert opened and skipped and len(opened) + len(skipped) == len(sources)
        assert all("interrupted" in r["reason"] for r in skipped)
        assert {p.slug for p in server.prs} == opened  # the report tells the truth about the forge
        assert "interrupted" in out


def _run_in_process(tmp_path: Path, server: ForgeServer, *extra: str) -> tuple[int, dict]:
    from dockvenv.bulk.runner import run

    argv = ["bulk", "--repos", str(tmp_path / "repos.txt"), "--api-url", server.github_api, "--git-url",
            git_url(tmp_path), "--report", str(tmp_path / "r.json"), *extra]
    args = _parser().parse_args(argv)
    return run(args, lambda root: load_project(root, args), sleep=lambda s: None), \
        json.loads((tmp_path / "r.json").read_text())


def test_verify_hook_says_when_it_is_not_available(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setitem(sys.modules, "dockvenv.verify", None)  # import fails: the engine is not there
    with ForgeServer(TOKEN, tmp_path / "remotes") as server:
        remotes(tmp_path, server, {"acme/flask": SOURCES["acme/flask"]})
        rc, _ = _run_in_process(tmp_path, server, "--verify")
        assert rc == 0
        assert "## Verification\n\nverify: not available" in server.prs[0].body


def test_verify_hook_puts_the_summary_into_the_pr(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    seen = []

    def bulk_summary(root: str) -> str:
        seen.append((Path(root) / "Dockerfile").read_text())
        return "image size: 412 MB -> 198 MB"

    monkeypatch.setitem(sys.modules, "dockvenv.verify", types.SimpleNamespace(bulk_summary=bulk_summary))
    with ForgeServer(TOKEN, tmp_path / "remotes") as server:
        remotes(tmp_path, server, {"acme/flask": SOURCES["acme/flask"]})
        rc, _ = _run_in_process(tmp_path, server, "--verify")
        assert rc == 0 and "image size: 412 MB -> 198 MB" in server.prs[0].body
        assert "AS builder" in seen[0] or "builder" in seen[0]  # it saw the migrated tree


def test_an_unexpected_error_in_one_repository_fails_only_that_one(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    from dockvenv.bulk import runner

    with ForgeServer(TOKEN, tmp_path / "remotes") as server:
        remotes(tmp_path, server)
        argv = ["bulk", "--repos", str(tmp_path / "repos.txt"), "--api-url", server.github_api, "--git-url",
                git_url(tmp_path), "--report", str(tmp_path / "r.json"), "-j", "3"]
        args = _parser().parse_args(argv)

        def load(root: str):
            if root.endswith("acme__poetry"):
                raise RuntimeError(f"boom with {TOKEN}")
            return load_project(root, args)

        rc = runner.run(args, load, sleep=lambda s: None)
        report = json.loads((tmp_path / "r.json").read_text())
    assert rc == 1
    status = {r["repo"]: (r["status"], r["reason"]) for r in report["repos"]}
    assert status["acme/poetry"] == (FAILED, "internal error: RuntimeError: boom with ***")
    assert status["acme/flask"][0] == status["acme/uvsync"][0] == OPENED


def test_prs_per_minute_paces_pr_creation(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    from dockvenv.bulk.runner import run

    waits: list[float] = []
    with ForgeServer(TOKEN, tmp_path / "remotes") as server:
        remotes(tmp_path, server)
        args = _parser().parse_args(["bulk", "--repos", str(tmp_path / "repos.txt"), "--api-url", server.github_api,
                                     "--git-url", git_url(tmp_path), "--prs-per-minute", "6", "-j", "4"])
        assert run(args, lambda root: load_project(root, args), sleep=waits.append) == 0
    assert len(waits) == 2 and all(w > 5 for w in waits)  # 3 PRs, 10 s apart; the first goes at once


def test_main_wires_bulk(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    remotes(tmp_path, None, {"acme/clean": SOURCES["acme/clean"]})
    rc = main(["bulk", "--repos", str(tmp_path / "repos.txt"), "--dry-run", "--git-url", git_url(tmp_path),
               "--out", str(tmp_path / "p")])
    assert rc == 0
    assert "acme/clean" in capsys.readouterr().out


def test_the_pr_base_is_the_forges_default_branch_even_when_the_remote_head_differs(tmp_path: Path, monkeypatch):
    """A mirror whose HEAD is main while the forge says develop: the migration starts over on develop."""
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with ForgeServer(TOKEN, tmp_path / "remotes") as server:
        bare = remotes(tmp_path, server, {"acme/flask": SOURCES["acme/flask"]})
        develop = push_commit(bare / "acme/flask.git", "develop", {"DEVELOP.md": "d\n"}, "dev work",
                              tmp_path / "human")
        server.add_repo("acme/flask", default_branch="develop")
        rc, report = _run_in_process(tmp_path, server)
        assert rc == 0
        assert report["repos"][0]["base"] == "develop" and server.prs[0].base == "develop"
        parent = git("--git-dir", str(bare / "acme/flask.git"), "log", "--format=%P", "-1", "dockvenv/migrate")
        assert parent.strip() == develop
