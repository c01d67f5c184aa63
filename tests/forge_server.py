"""A local stand-in for the GitHub and GitLab endpoints ``dockvenv bulk`` uses, and its git remotes.

``ForgeServer`` is a threaded ``http.server`` on 127.0.0.1, port 0.  It checks what the
real APIs check for these calls (the auth header, the JSON fields each endpoint
requires, url-encoded GitLab project ids, that a PR's head and base branches exist
in the bare remote), keeps pull requests in memory, records every request, and can
inject faults: a status with headers (429/403 with ``Retry-After``, 500) or a delay
(a client timeout), for N requests or for ever.

``make_remote`` turns a fixture project into a bare repository (``file://``) whose
HEAD is ``main``: the remote a forge would host.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

HUMAN = ("Jane Doe", "jane@example.com")


@dataclass
class Request:
    method: str
    path: str  # raw, as sent (GitLab ids still encoded)
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any

    @property
    def write(self) -> bool:
        return self.method in ("POST", "PATCH", "PUT", "DELETE")


@dataclass
class Fault:
    pattern: str  # regex searched in "METHOD /raw/path"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0  # seconds before answering (longer than the client's timeout: a timeout)
    times: int = 1  # how many matching requests it hits; -1: every one
    after: bool = False  # handle the request first, then answer with the fault (a lost answer)


@dataclass
class PR:
    slug: str
    number: int
    head: str
    base: str
    title: str
    body: str
    state: str = "open"  # open / closed / merged


class ForgeServer:
    def __init__(self, token: str, remotes: Path | None = None, page_size: int = 100) -> None:
        self.token = token
        self.remotes = remotes
        self.page_size = page_size
        self.repos: dict[str, dict[str, Any]] = {}
        self.prs: list[PR] = []
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet: tests read the record instead
                pass

            def _any(self) -> None:
                server._handle(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.github_api = self.url
        self.gitlab_api = f"{self.url}/api/v4"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def __enter__(self) -> "ForgeServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- state helpers for tests --------------------------------------------------------------

    def add_repo(self, slug: str, default_branch: str = "main", archived: bool = False) -> None:
        self.repos[slug] = {"default_branch": default_branch, "archived": archived}

    def inject(self, pattern: str, status: int = 500, times: int = 1, headers: dict[str, str] | None = None,
               body: Any = None, delay: float = 0.0, after: bool = False) -> Fault:
        fault = Fault(pattern, status, headers or {}, body, delay, times, after)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def open_prs(self, slug: str | None = None) -> list[PR]:
        return [p for p in self.prs if p.state == "open" and (slug is None or p.slug == slug)]

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.write]

    def reset_log(self) -> None:
        with self.lock:
            self.requests.clear()

    # -- dispatch ------------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._send(h, 400, {"message": "Problems parsing JSON"})
            return
        req = Request(h.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}, headers, body)
        with self.lock:
            self.requests.append(req)
            fault = next((f for f in self.faults if f.times != 0 and re.search(f.pattern, f"{h.command} {parts.path}")),
                         None)
            if fault is not None and fault.times > 0:
                fault.times -= 1
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status and not fault.after:
                self._send(h, fault.status, fault.body if fault.body is not None else {"message": "injected"},
                           fault.headers)
                return
        if parts.path.startswith("/api/v4/"):
            status, payload, extra = self._gitlab(req)
        elif "/info/refs" in parts.path or parts.path.endswith("git-upload-pack"):
            status, payload, extra = 404, {"message": "no git here"}, {}  # git's own requests: recorded only
        else:
            status, payload, extra = self._github(req)
        if fault is not None and fault.after:
            status, payload, extra = fault.status, {"message": "injected"}, fault.headers
        self._send(h, status, payload, extra)

    def _send(self, h: BaseHTTPRequestHandler, status: int, payload: Any,
              headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and went away

    def _branch_exists(self, slug: str, branch: str) -> bool:
        if self.remotes is None:
            return True
        bare = self.remotes / f"{slug}.git"
        return subprocess.run(["git", "--git-dir", str(bare), "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
                              capture_output=True).returncode == 0

    # -- GitHub REST v3 ------------------------------------------------------------------------

    def _github(self, r: Request) -> tuple[int, Any, dict[str, str]]:
        if r.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"message": "Bad credentials"}, {}
        if not r.headers.get("user-agent"):
            return 403, {"message": "Request forbidden by administrative rules. Please make sure your request "
                                    "has a User-Agent header"}, {}
        if "application/vnd.github" not in r.headers.get("accept", ""):
            return 415, {"message": "Unsupported media type"}, {}
        m = re.fullmatch(r"/orgs/([^/]+)/repos", r.path)
        if m and r.method == "GET":
            return self._github_org(r, unquote(m.group(1)))
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/pulls(?:/(\d+))?)?", r.path)
        if not m:
            return 404, {"message": "Not Found"}, {}
        slug = f"{unquote(m.group(1))}/{unquote(m.group(2))}"
        if slug not in self.repos:
            return 404, {"message": "Not Found"}, {}
        if m.group(3) is None:
            if r.method != "GET":
                return 405, {"message": "Method Not Allowed"}, {}
            info = self.repos[slug]
            return 200, {"full_name": slug, "default_branch": info["default_branch"],
                         "archived": info["archived"]}, {}
        number = m.group(4)
        if number is None and r.method == "GET":
            head = r.query.get("head", "")
            state = r.query.get("state", "open")
            if head and ":" not in head:
                return 422, {"message": "Validation Failed", "errors": [{"field": "head", "code": "invalid"}]}, {}
            rows = [p for p in self.prs if p.slug == slug and (not head or f"{slug.split('/')[0]}:{p.head}" == head)
                    and (state == "all" or (p.state == "open") == (state == "open"))]
            return 200, [self._gh_pr(p) for p in rows], {}
        if number is None and r.method == "POST":
            return self._github_create(slug, r.body)
        if number is not None and r.method == "PATCH":
            pr = next((p for p in self.prs if p.slug == slug and p.number == int(number)), None)
            if pr is None:
                return 404, {"message": "Not Found"}, {}
            if not isinstance(r.body, dict) or not set(r.body) <= {"title", "body", "state", "base",
                                                                  "maintainer_can_modify"}:
                return 422, {"message": "Validation Failed"}, {}
            with self.lock:
                pr.title = r.body.get("title", pr.title)
                pr.body = r.body.get("body", pr.body)
            return 200, self._gh_pr(pr), {}
        return 404, {"message": "Not Found"}, {}

    def _github_create(self, slug: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            return 400, {"message": "Body should be a JSON object"}, {}
        missing = [k for k in ("title", "head", "base") if not isinstance(body.get(k), str) or not body[k]]
        if missing or ("body" in body and not isinstance(body["body"], str)):
            return 422, {"message": "Validation Failed",
                         "errors": [{"resource": "PullRequest", "field": k, "code": "missing_field"}
                                    for k in missing]}, {}
        for key in ("head", "base"):
            if not self._branch_exists(slug, body[key]):
                return 422, {"message": "Validation Failed",
                             "errors": [{"resource": "PullRequest", "field": key, "code": "invalid"}]}, {}
        with self.lock:
            if any(p.slug == slug and p.head == body["head"] and p.state == "open" for p in self.prs):
                return 422, {"message": "Validation Failed", "errors": [
                    {"resource": "PullRequest", "code": "custom",
                     "message": f"A pull request already exists for {slug.split('/')[0]}:{body['head']}."}]}, {}
            pr = PR(slug, len(self.prs) + 1, body["head"], body["base"], body["title"], body.get("body", ""))
            self.prs.append(pr)
        return 201, self._gh_pr(pr), {}

    def _gh_pr(self, p: PR) -> dict[str, Any]:
        return {"number": p.number, "html_url": f"https://github.test/{p.slug}/pull/{p.number}",
                "state": "closed" if p.state == "merged" else p.state, "title": p.title, "body": p.body,
                "merged_at": "2024-01-01T00:00:00Z" if p.state == "merged" else None,
                "head": {"ref": p.head}, "base": {"ref": p.base}}

    def _github_org(self, r: Request, org: str) -> tuple[int, Any, dict[str, str]]:
        rows = sorted(s for s in self.repos if s.split("/")[0] == org)
        if not rows:
            return 404, {"message": "Not Found"}, {}
        per = min(int(r.query.get("per_page", 30)), self.page_size)
        page = int(r.query.get("page", 1))
        chunk = rows[(page - 1) * per: page * per]
        headers = {}
        if page * per < len(rows):
            headers["Link"] = (f'<{self.url}/orgs/{org}/repos?per_page={per}&page={page + 1}>; rel="next", '
                               f'<{self.url}/orgs/{org}/repos?per_page={per}&page={-(-len(rows) // per)}>; rel="last"')
        return 200, [{"full_name": s, "archived": self.repos[s]["archived"], "fork": False} for s in chunk], headers

    # -- GitLab REST v4 ------------------------------------------------------------------------

    def _gitlab(self, r: Request) -> tuple[int, Any, dict[str, str]]:
        if r.headers.get("private-token") != self.token:
            return 401, {"message": "401 Unauthorized"}, {}
        m = re.fullmatch(r"/api/v4/groups/([^/]+)/projects", r.path)
        if m and r.method == "GET":
            group = unquote(m.group(1))
            rows = sorted(s for s in self.repos if s.startswith(group + "/"))
            per = min(int(r.query.get("per_page", 20)), self.page_size)
            page = int(r.query.get("page", 1))
            chunk = rows[(page - 1) * per: page * per]
            nxt = str(page + 1) if page * per < len(rows) else ""
            return 200, [{"id": hash(s) % 10000, "path_with_namespace": s, "archived": self.repos[s]["archived"]}
                         for s in chunk], {"X-Next-Page": nxt, "X-Page": str(page)}
        m = re.fullmatch(r"/api/v4/projects/([^/]+)(/merge_requests(?:/(\d+))?)?", r.path)
        if not m:
            return 404, {"message": "404 Not Found"}, {}
        slug = unquote(m.group(1))  # a slash in the id must have come encoded, or the route would not match
        if slug not in self.repos:
            return 404, {"message": "404 Project Not Found"}, {}
        if m.group(2) is None:
            return 200, {"id": 1, "path_with_namespace": slug, "default_branch": self.repos[slug]["default_branch"],
                         "archived": self.repos[slug]["archived"]}, {}
        iid = m.group(3)
        if iid is None and r.method == "GET":
            src, state = r.query.get("source_branch"), r.query.get("state", "all")
            names = {"open": "opened", "closed": "closed", "merged": "merged"}
            rows = [p for p in self.prs if p.slug == slug and (src is None or p.head == src)
                    and (state == "all" or names[p.state] == state)]
            return 200, [self._mr(p) for p in rows], {}
        if iid is None and r.method == "POST":
            b = r.body if isinstance(r.body, dict) else {}
            missing = [k for k in ("source_branch", "target_branch", "title")
                       if not isinstance(b.get(k), str) or not b[k]]
            if missing:
                return 400, {"error": f"{', '.join(missing)} is missing"}, {}
            for key in ("source_branch", "target_branch"):
                if not self._branch_exists(slug, b[key]):
                    return 422, {"message": [f"{key} does not exist"]}, {}
            with self.lock:
                dup = next((p for p in self.prs if p.slug == slug and p.head == b["source_branch"]
                            and p.base == b["target_branch"] and p.state == "open"), None)
                if dup:
                    return 409, {"message": [f"Another open merge request already exists for this source "
                                             f"branch: !{dup.number}"]}, {}
                pr = PR(slug, len(self.prs) + 1, b["source_branch"], b["target_branch"], b["title"],
                        b.get("description", ""))
                self.prs.append(pr)
            return 201, self._mr(pr), {}
        if iid is not None and r.method == "PUT":
            pr = next((p for p in self.prs if p.slug == slug and p.number == int(iid)), None)
            if pr is None:
                return 404, {"message": "404 Not found"}, {}
            b = r.body if isinstance(r.body, dict) else {}
            with self.lock:
                pr.title = b.get("title", pr.title)
                pr.body = b.get("description", pr.body)
            return 200, self._mr(pr), {}
        return 405, {"message": "405 Method Not Allowed"}, {}

    def _mr(self, p: PR) -> dict[str, Any]:
        return {"iid": p.number, "web_url": f"https://gitlab.test/{p.slug}/-/merge_requests/{p.number}",
                "state": {"open": "opened"}.get(p.state, p.state), "title": p.title, "description": p.body,
                "source_branch": p.head, "target_branch": p.base}


# -- git remotes ------------------------------------------------------------------------------

def git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": HUMAN[0], "GIT_AUTHOR_EMAIL": HUMAN[1],
            "GIT_COMMITTER_NAME": HUMAN[0], "GIT_COMMITTER_EMAIL": HUMAN[1], **(env or {})}
    return subprocess.run(["git", "-c", "core.autocrlf=false", "-c", "init.defaultBranch=main", *args], cwd=cwd,
                          env=full, capture_output=True, text=True, check=True).stdout


def make_remote(remotes: Path, slug: str, project: Path) -> Path:
    """A bare repository at ``remotes/<slug>.git`` whose main branch holds ``project``'s files."""
    bare = remotes / f"{slug}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "--bare", "-b", "main", str(bare))
    tree = ["--git-dir", str(bare), "--work-tree", str(project)]
    git(*tree, "add", "-A", ".")
    git(*tree, "commit", "-q", "-m", "the project before dockvenv")
    (bare / "index").unlink()
    return bare


def reject_pushes(bare: Path, message: str = "pushes to this repository are frozen") -> None:
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
    hook.chmod(0o755)


def push_commit(bare: Path, branch: str, files: dict[str, str], message: str, work: Path) -> str:
    """A person's commit on ``branch`` (created from main when missing), pushed; its sha."""
    if work.exists():
        shutil.rmtree(work)
    git("clone", "-q", "--no-checkout", bare.as_uri(), str(work))
    has = git("ls-remote", "origin", f"refs/heads/{branch}", cwd=work).strip()
    git("checkout", "-q", "-B", branch, f"origin/{branch}" if has else "origin/main", cwd=work)
    for rel, text in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", message, cwd=work)
    git("push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
    return git("rev-parse", "HEAD", cwd=work).strip()


def tip(bare: Path, branch: str) -> str | None:
    out = subprocess.run(["git", "--git-dir", str(bare), "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
                         capture_output=True, text=True)
    return out.stdout.strip() or None
