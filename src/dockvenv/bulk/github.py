"""GitHub (REST v3) behind the forge interface: pull requests by head branch, org listing by Link."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from dockvenv.bulk.forge import OPEN, PullRequest, RemoteRepo
from dockvenv.bulk.http import ForgeError, Http

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class GitHub:
    name = "github"
    git_user = "x-access-token"

    def __init__(self, http: Http) -> None:
        self.http = http

    def default_branch(self, slug: str) -> str:
        data = self.http.request("GET", f"/repos/{_path(slug)}").json()
        branch = data.get("default_branch") if isinstance(data, dict) else None
        if not branch:
            raise ForgeError(f"GET /repos/{slug}: no default_branch in the answer")
        return str(branch)

    def find_pr(self, slug: str, branch: str) -> PullRequest | None:
        owner = slug.split("/", 1)[0]
        rows = self.http.request("GET", f"/repos/{_path(slug)}/pulls",
                                 {"head": f"{owner}:{branch}", "state": "all", "per_page": 20}).json()
        prs = [_pr(r) for r in rows if isinstance(r, dict) and (r.get("head") or {}).get("ref") == branch]
        return _pick(prs)

    def open_pr(self, slug: str, branch: str, base: str, title: str, body: str) -> PullRequest:
        try:
            data = self.http.request("POST", f"/repos/{_path(slug)}/pulls",
                                     body={"title": title, "head": branch, "base": base, "body": body}).json()
        except ForgeError as exc:
            # A retried POST whose first try went through: the PR exists; take it rather than fail.
            if exc.status == 422 and "already exists" in str(exc):
                found = self.find_pr(slug, branch)
                if found and found.state == OPEN:
                    return found
            raise
        return _pr(data)

    def update_pr(self, slug: str, pr: PullRequest, title: str, body: str) -> PullRequest:
        data = self.http.request("PATCH", f"/repos/{_path(slug)}/pulls/{pr.number}",
                                 body={"title": title, "body": body}).json()
        return _pr(data)

    def list_org(self, org: str) -> list[RemoteRepo]:
        out: list[RemoteRepo] = []
        url: str | None = f"/orgs/{quote(org, safe='')}/repos?per_page=100&type=all"
        while url:
            resp = self.http.request("GET", url)
            out += [RemoteRepo(str(r["full_name"]), bool(r.get("archived") or r.get("disabled")))
                    for r in resp.json() if isinstance(r, dict) and r.get("full_name")]
            m = _NEXT.search(resp.headers.get("link", ""))
            url = m.group(1) if m else None
        return out


def _path(slug: str) -> str:
    return "/".join(quote(p, safe="") for p in slug.split("/"))


def _pr(data: Any) -> PullRequest:
    if not isinstance(data, dict) or "number" not in data:
        raise ForgeError("the pull request answer has no number")
    state = "merged" if data.get("merged_at") else str(data.get("state", OPEN))
    return PullRequest(int(data["number"]), str(data.get("html_url", "")), state,
                       str(data.get("title") or ""), str(data.get("body") or ""))


def _pick(prs: list[PullRequest]) -> PullRequest | None:
    open_ = [p for p in prs if p.state == OPEN]
    if open_:
        return min(open_, key=lambda p: p.number)
    return max(prs, key=lambda p: p.number) if prs else None
