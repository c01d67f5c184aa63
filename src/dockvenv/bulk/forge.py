"""The narrow forge interface bulk runs through, and the values it returns.

A forge answers five questions and nothing else: a repository's default branch, the
pull request whose head is a branch, open one, update one, and an organisation's
repositories.  GitHub (``github.py``) and GitLab (``gitlab.py``) implement it over
``http.Http``; tests run both against ``tests/forge_server.py``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable, Protocol

from dockvenv.bulk.http import ForgeError, Http, Redactor
from dockvenv.errors import UsageError

__all__ = ["DEFAULTS", "Forge", "ForgeError", "PullRequest", "RemoteRepo", "make_forge", "token_for"]

OPEN = "open"


@dataclass(frozen=True)
class PullRequest:
    number: int  # GitHub: number; GitLab: the merge request's iid
    url: str
    state: str  # "open", "closed" or "merged"
    title: str = ""
    body: str = ""


@dataclass(frozen=True)
class RemoteRepo:
    slug: str
    archived: bool = False


class Forge(Protocol):
    name: str
    git_user: str  # the user name git's Basic auth pairs with the token

    def default_branch(self, slug: str) -> str: ...

    def find_pr(self, slug: str, branch: str) -> PullRequest | None:
        """The open pull request from ``branch``; else the latest closed or merged one; else None."""

    def open_pr(self, slug: str, branch: str, base: str, title: str, body: str) -> PullRequest: ...

    def update_pr(self, slug: str, pr: PullRequest, title: str, body: str) -> PullRequest: ...

    def list_org(self, org: str) -> list[RemoteRepo]: ...


@dataclass(frozen=True)
class ForgeDefaults:
    api_url: str
    git_url: str
    token_env: str
    git_user: str


DEFAULTS = {
    "github": ForgeDefaults("https://api.github.com", "https://github.com/{owner}/{name}.git",
                            "GITHUB_TOKEN", "x-access-token"),
    "gitlab": ForgeDefaults("https://gitlab.com/api/v4", "https://gitlab.com/{owner}/{name}.git",
                            "GITLAB_TOKEN", "oauth2"),
}


def token_for(forge: str, required: bool) -> str:
    """The token from the environment only; a clear usage error when a run needs one and it is unset."""
    name = DEFAULTS[forge].token_env
    token = os.environ.get(name, "").strip()
    if not token and required:
        raise UsageError(f"{name} is not set: bulk needs a {forge} token in the environment to push and "
                         f"open pull requests (or pass --dry-run to only plan)")
    return token


def make_forge(name: str, api_url: str, token: str, redact: Redactor, *, timeout: float = 30.0,
               retries: int = 4, max_wait: float = 300.0,
               sleep: Callable[[float], None] | None = None,
               clock: Callable[[], float] | None = None) -> Forge:
    from dockvenv import __version__

    limits = {"timeout": timeout, "retries": retries, "max_wait": max_wait, "sleep": sleep or time.sleep,
              "clock": clock or time.time}
    if name == "github":
        from dockvenv.bulk.github import GitHub

        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                   "User-Agent": f"dockvenv/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return GitHub(Http(api_url, headers, redact, **limits))  # type: ignore[arg-type]
    if name == "gitlab":
        from dockvenv.bulk.gitlab import GitLab

        headers = {"Accept": "application/json", "User-Agent": f"dockvenv/{__version__}"}
        if token:
            headers["PRIVATE-TOKEN"] = token
        return GitLab(Http(api_url, headers, redact, **limits))  # type: ignore[arg-type]
    raise UsageError(f"--forge {name!r}: use github or gitlab")
