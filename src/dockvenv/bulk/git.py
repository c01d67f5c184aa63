"""The only module that runs git.

Every call carries ``-c core.hooksPath=<an empty folder>``: no hook of a repository
(nor one planted in a reused workspace, nor a ``core.hooksPath`` in its config) ever
runs, and ``core.fsmonitor`` is off so a workspace's config cannot name a program
either.  The token reaches git only through the environment of the one network call
that needs it (``GIT_CONFIG_COUNT`` entries: an ``http.<origin>/.extraHeader``), so it
is never in an argv, in ``.git/config`` or in a remote URL.  ``file://`` remotes need no
``protocol.file.allow``: that setting only restricts submodules, which are never fetched.
"""

from __future__ import annotations

import base64
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence
from urllib.parse import urlsplit

# Variables that would point git at another repository than the one we name.
_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
             "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CEILING_DIRECTORIES")


class GitError(Exception):
    """A git command failed; ``str()`` is one redacted line."""


class LeaseError(GitError):
    """The push lost its lease: someone pushed to the branch since we looked."""


@dataclass(frozen=True)
class RemoteRefs:
    head: str | None  # the branch the remote's HEAD names
    tips: Mapping[str, str]  # branch -> commit


@dataclass(frozen=True)
class CommitMeta:
    sha: str
    tree: str
    author_email: str
    committer_email: str
    message: str


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


class Git:
    def __init__(self, hooks_dir: str, token: str = "", user: str = "x-access-token",
                 redact: Callable[[str], str] = lambda s: s, timeout: float = 600.0) -> None:
        self.hooks_dir = hooks_dir
        self._token = token
        self._user = user
        self._redact = redact
        self._timeout = timeout
        env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
        env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANGUAGE="C")
        self._env = env

    def run(self, args: Sequence[str], cwd: Path | None = None, url: str | None = None,
            env: Mapping[str, str] | None = None) -> str:
        argv = ["git", "-c", f"core.hooksPath={self.hooks_dir}", "-c", "core.fsmonitor=false",
                "-c", "core.autocrlf=false", "-c", "init.defaultBranch=main", *args]
        full = dict(self._env, **(env or {}), **self._auth_env(url))
        try:
            proc = subprocess.run(argv, cwd=cwd, env=full, capture_output=True, text=True,
                                  timeout=self._timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]}: timed out after {self._timeout:.0f}s") from None
        except OSError as exc:
            raise GitError(f"git {args[0]}: cannot run git: {exc.strerror or exc}") from None
        if proc.returncode != 0:
            lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
            detail = self._redact("; ".join(ln for ln in lines if not ln.startswith("hint:")))[:400]
            cls = LeaseError if "stale info" in detail else GitError
            raise cls(f"git {args[0]}: {detail or f'exit status {proc.returncode}'}")
        return proc.stdout

    def _auth_env(self, url: str | None) -> dict[str, str]:
        """The token as an extra header for this URL's origin only, in this process's environment only."""
        if not (url and self._token):
            return {}
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return {}
        n = int(self._env.get("GIT_CONFIG_COUNT", "0") or 0)
        basic = base64.b64encode(f"{self._user}:{self._token}".encode()).decode()
        return {"GIT_CONFIG_COUNT": str(n + 1),
                f"GIT_CONFIG_KEY_{n}": f"http.{parts.scheme}://{parts.netloc}/.extraHeader",
                f"GIT_CONFIG_VALUE_{n}": f"Authorization: Basic {basic}"}


def remote_refs(git: Git, url: str, branches: Sequence[str]) -> RemoteRefs:
    out = git.run(["ls-remote", "--symref", url, "HEAD", *(f"refs/heads/{b}" for b in branches)], url=url)
    head, head_sha, tips = None, None, {}
    for line in out.splitlines():
        left, _, ref = line.partition("\t")
        if left.startswith("ref: ") and ref == "HEAD":
            head = left[5:].removeprefix("refs/heads/")
        elif ref == "HEAD":
            head_sha = left
        elif ref.startswith("refs/heads/"):
            tips[ref[len("refs/heads/"):]] = left
    if head and head_sha:
        tips.setdefault(head, head_sha)
    return RemoteRefs(head, tips)


def sync(git: Git, path: Path, url: str, base: str, branch: str, tips: Mapping[str, str]) -> str | None:
    """A shallow checkout of ``base`` as local ``branch``; the remote ``branch`` tip, None without one.

    ``tips`` are the remote's branch tips as ``remote_refs`` saw them.  A new folder is
    initialised (a clone, as init + fetch); an existing one is reused, fetching only
    what it does not hold yet, and its files are reset to the base tip whatever state
    a previous run left.  Fetch and push name the URL itself: no remote is configured,
    so nothing about the remote persists in ``.git/config``.
    """
    fresh = not (path / ".git").is_dir()
    if fresh:
        path.mkdir(parents=True, exist_ok=True)
        git.run(["init", "-q", f"--template={git.hooks_dir}", str(path)])
    have = {} if fresh else _tracking(git, path)
    stale = [b for b in dict.fromkeys((base, branch)) if b in tips and have.get(b) != tips[b]]
    if stale:
        git.run(["fetch", "-q", "--depth", "1", "--no-tags", "--no-recurse-submodules", url,
                 *(f"+refs/heads/{b}:refs/remotes/origin/{b}" for b in stale)], cwd=path, url=url)
    git.run(["checkout", "-q", "-f", "-B", branch, f"refs/remotes/origin/{base}"], cwd=path)
    if not fresh:
        git.run(["clean", "-q", "-ffdx"], cwd=path)
    if branch not in tips:
        return None
    if branch not in stale:
        return tips[branch]
    return _tracking(git, path)[branch]  # what the fetch brought: a push since ls-remote included


def _tracking(git: Git, path: Path) -> dict[str, str]:
    out = git.run(["for-each-ref", "--format=%(objectname) %(refname)", "refs/remotes/origin/"], cwd=path)
    refs = (line.split(" ", 1) for line in out.splitlines() if " " in line)
    return {ref.removeprefix("refs/remotes/origin/"): sha for sha, ref in refs}


def commit(git: Git, path: Path, files: Sequence[str], message: str, who: Identity) -> None:
    git.run(["add", "-A", "--", *files], cwd=path)
    env = {"GIT_AUTHOR_NAME": who.name, "GIT_AUTHOR_EMAIL": who.email,
           "GIT_COMMITTER_NAME": who.name, "GIT_COMMITTER_EMAIL": who.email}
    git.run(["commit", "-q", "--no-verify", "-m", message], cwd=path, env=env)


def metas(git: Git, path: Path, revs: Sequence[str]) -> list[CommitMeta]:
    """Author, committer, tree and message of each commit, in one call."""
    out = git.run(["show", "-s", "--format=%H%x00%T%x00%ae%x00%ce%x00%B%x1e", *revs, "--"], cwd=path)
    records = [r.lstrip("\n") for r in out.split("\x1e") if "\0" in r]
    if len(records) != len(revs) and len(revs) > 1:
        # git shows a commit named twice only once: ask for each separately
        return [m for rev in revs for m in metas(git, path, [rev])]
    result = []
    for rec in records:
        sha, tree, author, committer, message = rec.split("\0", 4)
        result.append(CommitMeta(sha, tree, author, committer, message.strip()))
    return result


def push(git: Git, path: Path, url: str, branch: str, expect: str | None) -> None:
    """Push HEAD to ``branch`` only if the remote still has ``expect`` there (None: no such branch)."""
    git.run(["push", "-q", "--no-verify", f"--force-with-lease=refs/heads/{branch}:{expect or ''}",
             url, f"HEAD:refs/heads/{branch}"], cwd=path, url=url)
