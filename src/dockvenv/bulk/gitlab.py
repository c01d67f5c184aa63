"""GitLab (REST v4) behind the forge interface: merge requests, group listing by X-Next-Page.

A project's id is its url-encoded full path (``group%2Fsub%2Fname``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from dockvenv.bulk.forge import OPEN, PullRequest, RemoteRepo
from dockvenv.bulk.http import ForgeError, Http

_STATES = {"opened": OPEN, "closed": "closed", "merged": "merged", "locked": "closed"}


class GitLab:
    name = "gitlab"
    git_user = "oauth2"

    def __init__(self, http: Http) -> None:
        self.http = http

    def default_branch(self, slug: str) -> str:
        data = self.http.request("GET", f"/projects/{_id(slug)}").json()
        branch = data.get("default_branch") if isinstance(data, dict) else None
        if not branch:
            raise ForgeError(f"GET /projects/{_id(slug)}: no default_branch (an empty project?)")
        return str(branch)

    def find_pr(self, slug: str, branch: str) -> PullRequest | None:
        rows = self.http.request("GET", f"/projects/{_id(slug)}/merge_requests",
                                 {"source_branch": branch, "per_page": 20}).json()
        mrs = [_mr(r) for r in rows if isinstance(r, dict) and r.get("source_branch") == branch]
        open_ = [m for m in mrs if m.state == OPEN]
        if open_:
            return min(open_, key=lambda m: m.number)
        return max(mrs, key=lambda m: m.number) if mrs else None

    def open_pr(self, slug: str, branch: str, base: str, title: str, body: str) -> PullRequest:
        try:
            data = self.http.request("POST", f"/projects/{_id(slug)}/merge_requests", body={
                "source_branch": branch, "target_branch": base, "title": title, "description": body}).json()
        except ForgeError as exc:
            if exc.status == 409:  # a retried POST whose first try went through
                found = self.find_pr(slug, branch)
                if found and found.state == OPEN:
                    return found
            raise
        return _mr(data)

    def update_pr(self, slug: str, pr: PullRequest, title: str, body: str) -> PullRequest:
        data = self.http.request("PUT", f"/projects/{_id(slug)}/merge_requests/{pr.number}",
                                 body={"title": title, "description": body}).json()
        return _mr(data)

    def list_org(self, org: str) -> list[RemoteRepo]:
        out: list[RemoteRepo] = []
        page: str | None = "1"
        while page:
            resp = self.http.request("GET", f"/groups/{_id(org)}/projects",
                                     {"include_subgroups": "true", "per_page": 100, "page": page})
            out += [RemoteRepo(str(r["path_with_namespace"]), bool(r.get("archived")))
                    for r in resp.json() if isinstance(r, dict) and r.get("path_with_namespace")]
            page = resp.headers.get("x-next-page") or None
        return out


def _id(path: str) -> str:
    return quote(path, safe="")


def _mr(data: Any) -> PullRequest:
    if not isinstance(data, dict) or "iid" not in data:
        raise ForgeError("the merge request answer has no iid")
    return PullRequest(int(data["iid"]), str(data.get("web_url", "")), _STATES.get(str(data.get("state")), "closed"),
                       str(data.get("title") or ""), str(data.get("description") or ""))
