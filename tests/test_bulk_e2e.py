"""``dockvenv bulk`` end to end: real git, bare ``file://`` remotes, the forge stand-in.

One world of 26 repositories goes through three runs:

1. the first run opens a PR for each repository that needs the migration and for no
   other; a push rejected by a pre-receive hook, an API 500 and a symlink out of the
   checkout each fail only their repository;
2. after a person pushes to one branch, the base moves in another and a PR is closed
   in a third, and hooks are planted in reused workspaces, the second run opens no
   PR, updates one, leaves the person's branch alone and runs no hook;
3. ``--only-failed`` re-runs exactly the failed ones once their faults are gone.

No run leaks the token into an output, the report, a workspace or a git argv.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockvenv.bulk import git as bulk_git
from dockvenv.bulk.runner import run as bulk_run
from dockvenv.cli import _parser, load_project, main
from tests.forge_server import (
    ForgeServer,
    git,
    make_remote,
    push_commit,
    reject_pushes,
    tip,
)

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "fixtures"
TOKEN = "ghp_dockvenvTEST0123456789abcdefSECRET"
BRANCH = "dockvenv/migrate"

NEEDS = {f"acme/{p.name}": p for p in (FIX / "apps").iterdir() if p.is_dir()}
NEEDS |= {f"acme/{name}": FIX / "migrate" / name / "before" for name in (
    "venv-pip-install", "mvenv", "relative-venv", "uv-sync", "multistage-venv-copy", "crlf", "bom", "heredoc",
    "node-assets", "poetry-extras", "requirements-light", "pep668-debian", "shell-source", "global-arg")}
CLEAN = {f"acme/{name}": FIX / "migrate" / name for name in (
    "venv-pip-install-clean", "relative-venv-clean", "heredoc-clean", "user-install-clean")}
UNSUPPORTED = {"acme/conda-clean": FIX / "migrate" / "conda-clean"}
REJECTED = "acme/venv-bin-cmd"  # the remote's pre-receive hook refuses every push
API_500 = "acme/virtualenv-activate"  # POST .../pulls answers 500, always
SYMLINK = "acme/symlinked"  # Dockerfile.prod -> /etc/hostname
NO_DOCKERFILE = "acme/library"

HUMAN_PUSHED = "acme/poetry-api"
BASE_MOVED = "acme/mvenv"
PR_CLOSED = "acme/relative-venv"
HOOKED = "acme/bom"  # hooks planted in the workspace's .git/hooks
HOOKS_PATH = "acme/crlf"  # core.hooksPath set in the workspace's config
HOOK_NAMES = ("post-checkout", "pre-commit", "commit-msg", "post-commit", "pre-push", "reference-transaction",
              "post-merge", "pre-auto-gc", "post-rewrite")


@dataclass
class Run:
    rc: int
    out: str
    err: str
    report: dict
    git_argv: list[list[str]] = field(default_factory=list)

    def status(self, slug: str) -> str:
        return self.row(slug)["status"]

    def row(self, slug: str) -> dict:
        return next(r for r in self.report["repos"] if r["repo"] == slug)


@dataclass
class World:
    root: Path
    server: ForgeServer
    sleeps: list[float] = field(default_factory=list)

    @property
    def remotes(self) -> Path:
        return self.root / "remotes"

    @property
    def workspace(self) -> Path:
        return self.root / "ws"

    def bare(self, slug: str) -> Path:
        return self.remotes / f"{slug}.git"

    def run(self, *extra: str, name: str) -> Run:
        report = self.root / f"{name}.json"
        argv = ["bulk", "--git-url", f"{self.remotes.as_uri()}/{{owner}}/{{name}}.git", "--api-url",
                self.server.github_api, "--workspace", str(self.workspace), "--concurrency", "8",
                "--report", str(report), *extra]
        args = _parser().parse_args(argv)
        calls: list[list[str]] = []
        real = subprocess.run

        def recording(cmd, *a, **kw):  # every git argv bulk's git module runs
            if sys._getframe(1).f_code.co_filename == bulk_git.__file__:
                calls.append(list(cmd))
            return real(cmd, *a, **kw)

        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GITHUB_TOKEN", TOKEN)
            mp.setattr(bulk_git.subprocess, "run", recording)
            with redirect_stdout(out), redirect_stderr(err):
                rc = bulk_run(args, lambda root: load_project(root, args), sleep=self.sleeps.append)
        return Run(rc, out.getvalue(), err.getvalue(), json.loads(report.read_text()), calls)


def build_world(root: Path, server: ForgeServer) -> tuple[World, list[str]]:
    world = World(root, server)
    sources = {**NEEDS, **CLEAN, **UNSUPPORTED, REJECTED: FIX / "migrate" / "venv-bin-cmd" / "before",
               API_500: FIX / "migrate" / "virtualenv-activate" / "before"}
    linked = root / "src" / "symlinked"
    shutil.copytree(FIX / "migrate" / "venv-pip-install" / "before", linked)
    (linked / "Dockerfile.prod").symlink_to("/etc/hostname")
    library = root / "src" / "library"
    library.mkdir(parents=True)
    (library / "pyproject.toml").write_text('[project]\nname = "library"\nversion = "1.0"\n')
    (library / "library.py").write_text("VALUE = 1\n")
    sources |= {SYMLINK: linked, NO_DOCKERFILE: library}
    for slug, src in sources.items():
        make_remote(world.remotes, slug, src)
        server.add_repo(slug)
    reject_pushes(world.bare(REJECTED))
    server.inject(rf"POST /repos/{API_500}/pulls$", status=500, times=-1)
    specs = sorted(sources)
    (root / "repos.txt").write_text("# the world\n" + "\n".join(f"{s}  # {sources[s].name}" for s in specs) + "\n")
    return world, specs


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("bulk")
    with ForgeServer(TOKEN, root / "remotes") as server:
        w, specs = build_world(root, server)
        first = w.run("--repos", str(root / "repos.txt"), name="first")
        prs_after_first = len(server.prs)
        first_pr_slugs = sorted(p.slug for p in server.prs)
        first_branches = {slug: tip(w.bare(slug), BRANCH) for slug in specs}

        # what people do between runs
        human_sha = push_commit(w.bare(HUMAN_PUSHED), BRANCH, {"EXTRA.md": "mine\n"}, "a fix of my own",
                                root / "human")
        base_sha = push_commit(w.bare(BASE_MOVED), "main", {"docs/CHANGES.md": "1.1\n"}, "release notes",
                               root / "human")
        next(p for p in server.prs if p.slug == PR_CLOSED).state = "closed"
        markers = plant_hooks(w, root)
        server.reset_log()
        second = w.run("--repos", str(root / "repos.txt"), name="second")
        second_requests = list(server.requests)
        prs_after_second = len(server.prs)

        server.clear_faults()
        (w.bare(REJECTED) / "hooks" / "pre-receive").unlink()
        server.reset_log()
        third = w.run("--only-failed", str(root / "second.json"), name="third")
        third_requests = list(server.requests)
        yield {"world": w, "specs": specs, "first": first, "second": second, "third": third,
               "prs_after_first": prs_after_first,
               "first_pr_slugs": first_pr_slugs, "first_branches": first_branches, "prs_after_second": prs_after_second,
               "second_requests": second_requests, "third_requests": third_requests,
               "human_sha": human_sha, "base_sha": base_sha, "markers": markers}


def plant_hooks(w: World, root: Path) -> list[Path]:
    markers = []
    evil = root / "evil-hooks"
    evil.mkdir()
    for slug, hooks in ((HOOKED, w.workspace / "acme__bom" / ".git" / "hooks"), (HOOKS_PATH, evil)):
        hooks.mkdir(parents=True, exist_ok=True)
        marker = root / f"hook-ran-{slug.replace('/', '_')}"
        markers.append(marker)
        for name in HOOK_NAMES:
            (hooks / name).write_text(f"#!/bin/sh\necho {name} >> {marker}\nexit 0\n")
            (hooks / name).chmod(0o755)
    git("config", "core.hooksPath", str(evil), cwd=w.workspace / "acme__crlf")
    return markers


# -- the first run ------------------------------------------------------------------------------


def test_world_is_big_enough(world):
    assert len(world["specs"]) >= 20


def test_first_run_opens_a_pr_exactly_where_the_migration_changes_something(world):
    first, server = world["first"], world["world"].server
    opened = {r["repo"] for r in first.report["repos"] if r["status"] == "opened"}
    assert opened == set(NEEDS)
    assert world["first_pr_slugs"] == sorted(NEEDS)
    assert all(p.head == BRANCH and p.base == "main" for p in server.prs)
    for slug in CLEAN:
        assert first.status(slug) == "already-migrated"
    assert first.status("acme/conda-clean") == "unsupported"
    assert "conda" in first.row("acme/conda-clean")["reason"]
    assert first.status(NO_DOCKERFILE) == "skipped"
    assert first.row(NO_DOCKERFILE)["reason"] == "no Dockerfile"


def test_first_run_faults_fail_only_their_repository(world):
    first = world["first"]
    assert first.rc == 1
    assert first.status(REJECTED) == "failed"
    assert "pre-receive hook declined" in first.row(REJECTED)["reason"]
    assert first.status(API_500) == "failed"
    assert "HTTP 500" in first.row(API_500)["reason"]
    assert first.status(SYMLINK) == "failed"
    assert "symlink points outside the project" in first.row(SYMLINK)["reason"]
    failed = {r["repo"] for r in first.report["repos"] if r["status"] == "failed"}
    assert failed == {REJECTED, API_500, SYMLINK}
    assert first.report["counts"] == {"opened": len(NEEDS), "already-migrated": 4, "unsupported": 1,
                                      "skipped": 1, "failed": 3}
    # the 500 was retried a bounded number of times, with backoff through the injected sleep
    posts = [s for s in world["world"].sleeps if s in (1.0, 2.0, 4.0, 8.0)]
    assert posts, world["world"].sleeps


def test_branches_hold_one_commit_of_ours_on_the_base(world):
    w = world["world"]
    for slug in set(NEEDS) - {HUMAN_PUSHED}:
        bare = w.bare(slug)
        log = git("--git-dir", str(bare), "log", "--format=%an <%ae>|%cn <%ce>|%P", "-1", BRANCH)
        author, committer, parent = log.strip().split("|")
        assert author == committer == "dockvenv <dockvenv@users.noreply.github.com>"
        if slug != BASE_MOVED:
            assert parent == tip(bare, "main")
        message = git("--git-dir", str(bare), "log", "--format=%B", "-1", BRANCH)
        assert "Dockvenv-Version: " in message
    first = world["first_branches"]
    assert {slug for slug, sha in first.items() if sha} == set(NEEDS) | {API_500}  # API_500: only the PR failed


def test_pr_bodies_explain_the_change(world):
    server = world["world"].server
    pr = next(p for p in server.prs if p.slug == "acme/pep621-flask")
    assert pr.title.startswith("Build the Docker image from a uv-built wheel")
    assert "## Files" in pr.body and "`Dockerfile`" in pr.body and "`pyproject.toml`" in pr.body
    assert "## Findings fixed" in pr.body and "`DV101`" in pr.body
    assert "insertions(+)" in pr.body
    assert "Verification" not in pr.body  # --verify is off


def test_migration_is_the_single_repo_one(world, tmp_path):
    """The branch's tree is what ``dockvenv migrate --yes`` writes in a plain clone."""
    w = world["world"]
    clone = tmp_path / "clone"
    git("clone", "-q", w.bare("acme/uvlock-cli").as_uri(), str(clone))
    with redirect_stdout(io.StringIO()):
        assert main(["migrate", "--yes", str(clone)]) == 0
    git("add", "-A", cwd=clone)
    mine = git("write-tree", cwd=clone).strip()
    theirs = git("--git-dir", str(w.bare("acme/uvlock-cli")), "rev-parse", f"{BRANCH}^{{tree}}").strip()
    assert mine == theirs


def test_progress_and_table_name_every_repository(world):
    first = world["first"]
    for slug in world["specs"]:
        assert slug in first.out
    assert first.err.count("\n") == len(world["specs"])  # one progress line each, not a TTY
    assert "26 repositories: 17 opened" in first.out


# -- the second run -----------------------------------------------------------------------------


def test_second_run_opens_no_new_pr(world):
    second = world["second"]
    assert world["prs_after_second"] == world["prs_after_first"]
    writes = [(r.method, r.path) for r in world["second_requests"] if r.write]
    assert ("PATCH", f"/repos/{BASE_MOVED}/pulls/{number(world, BASE_MOVED)}") in writes
    assert {w for w in writes if not w[1].startswith(f"/repos/{API_500}/")} == {
        ("PATCH", f"/repos/{BASE_MOVED}/pulls/{number(world, BASE_MOVED)}")}
    unchanged = set(NEEDS) - {HUMAN_PUSHED, BASE_MOVED, PR_CLOSED}
    # nothing to do, no API call: the base came from the remote's HEAD
    quiet = {*CLEAN, *UNSUPPORTED, NO_DOCKERFILE, SYMLINK}
    assert not [r.path for r in world["second_requests"] if any(f"/repos/{q}" in r.path for q in quiet)]
    assert {r["repo"] for r in second.report["repos"] if r["status"] == "unchanged"} == unchanged


def number(world, slug: str) -> int:
    return next(p.number for p in world["world"].server.prs if p.slug == slug)


def test_a_branch_a_person_pushed_to_is_left_alone(world):
    second, w = world["second"], world["world"]
    assert second.status(HUMAN_PUSHED) == "skipped"
    assert "did not make" in second.row(HUMAN_PUSHED)["reason"]
    assert "jane@example.com" in second.row(HUMAN_PUSHED)["reason"]
    assert tip(w.bare(HUMAN_PUSHED), BRANCH) == world["human_sha"]


def test_a_moved_base_is_regenerated_not_rebased(world):
    second, w = world["second"], world["world"]
    assert second.status(BASE_MOVED) == "updated"
    bare = w.bare(BASE_MOVED)
    parent = git("--git-dir", str(bare), "log", "--format=%P", "-1", BRANCH).strip()
    assert parent == world["base_sha"] == tip(bare, "main")
    assert git("--git-dir", str(bare), "rev-list", "--count", f"main..{BRANCH}").strip() == "1"
    assert second.row(BASE_MOVED)["url"].endswith(f"/pull/{number(world, BASE_MOVED)}")


def test_a_closed_pr_is_not_reopened(world):
    second = world["second"]
    assert second.status(PR_CLOSED) == "skipped"
    assert "was closed" in second.row(PR_CLOSED)["reason"]
    assert not world["world"].server.open_prs(PR_CLOSED)


def test_no_hook_of_a_workspace_ever_runs(world):
    second = world["second"]
    assert second.status(HOOKED) == "unchanged" and second.status(HOOKS_PATH) == "unchanged"
    for marker in world["markers"]:
        assert not marker.exists(), marker.read_text()
    assert all(argv[1] == "-c" and argv[2].startswith("core.hooksPath=") and "dockvenv-nohooks-" in argv[2]
               for run in ("first", "second", "third") for argv in world[run].git_argv)
    # the planted hooks are real: git without dockvenv's guard runs them
    ws = world["world"].workspace
    git("checkout", "-q", "-B", "probe", cwd=ws / "acme__bom")
    git("checkout", "-q", "-B", "probe", cwd=ws / "acme__crlf")
    assert all(m.exists() for m in world["markers"])


# -- the third run: --only-failed ---------------------------------------------------------------


def test_only_failed_reruns_just_those(world):
    third = world["third"]
    assert [r["repo"] for r in third.report["repos"]] == sorted([API_500, REJECTED, SYMLINK])
    touched = {r.path.split("/")[3] for r in world["third_requests"] if r.path.startswith("/repos/")}
    assert touched == {slug.split("/")[1] for slug in (API_500, REJECTED)}  # the symlink fails before any call
    assert third.status(API_500) == "opened"  # recovered: the pushed branch was kept, only the PR was opened
    assert not any(r.method == "POST" and "virtualenv" not in r.path and "venv-bin" not in r.path
                   for r in world["third_requests"])
    assert third.status(REJECTED) == "opened"
    assert third.status(SYMLINK) == "failed"
    assert third.rc == 1
    assert sum(1 for a in third.git_argv if "push" in a) == 1  # API_500's branch was already there


# -- secrets ------------------------------------------------------------------------------------


def test_the_token_is_nowhere(world):
    w = world["world"]
    for run in ("first", "second", "third"):
        r = world[run]
        assert TOKEN not in r.out and TOKEN not in r.err
        assert TOKEN not in json.dumps(r.report)
        assert not any(TOKEN in " ".join(argv) for argv in r.git_argv)
    for path in w.root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert TOKEN.encode() not in path.read_bytes(), path
    for config in w.workspace.glob("*/.git/config"):
        text = config.read_text()
        assert "extraheader" not in text.lower() and "@" not in text.split("url =")[-1].split("\n")[0]
