"""The forge HTTP client and both forges against the local stand-in: limits, retries, faults, fields."""

from __future__ import annotations

import threading

import pytest

from dockvenv.bulk.forge import make_forge
from dockvenv.bulk.http import ForgeError, Http, Pacer, Redactor
from tests.forge_server import ForgeServer

TOKEN = "glpat-or-ghp-TESTtoken-9876543210"


class FakeTime:
    """A clock that only moves when someone sleeps: tests never wait."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def server():
    with ForgeServer(TOKEN) as srv:
        srv.add_repo("acme/app")
        srv.add_repo("grp/sub/app", default_branch="trunk")
        yield srv


def github(server: ForgeServer, t: FakeTime, **kw):
    return make_forge("github", server.github_api, TOKEN, Redactor(TOKEN), sleep=t.sleep, clock=t.clock, **kw)


def gitlab(server: ForgeServer, t: FakeTime, **kw):
    return make_forge("gitlab", server.gitlab_api, TOKEN, Redactor(TOKEN), sleep=t.sleep, clock=t.clock, **kw)


def test_github_calls_carry_the_fields_the_api_requires(server):
    t = FakeTime()
    gh = github(server, t)
    assert gh.default_branch("acme/app") == "main"
    assert gh.find_pr("acme/app", "dockvenv/migrate") is None
    pr = gh.open_pr("acme/app", "dockvenv/migrate", "main", "Title", "Body")
    assert (pr.number, pr.state) == (1, "open")
    assert gh.find_pr("acme/app", "dockvenv/migrate") == pr
    updated = gh.update_pr("acme/app", pr, "Title 2", "Body 2")
    assert (updated.title, updated.body) == ("Title 2", "Body 2")
    get = server.requests[1]
    assert get.query["head"] == "acme:dockvenv/migrate" and get.query["state"] == "all"
    post = server.requests[2]
    assert post.body == {"title": "Title", "head": "dockvenv/migrate", "base": "main", "body": "Body"}
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert all(r.headers["x-github-api-version"] == "2022-11-28" for r in server.requests)
    assert t.sleeps == []


def test_gitlab_uses_encoded_ids_and_merge_request_fields(server):
    t = FakeTime()
    gl = gitlab(server, t)
    assert gl.default_branch("grp/sub/app") == "trunk"
    mr = gl.open_pr("grp/sub/app", "dockvenv/migrate", "trunk", "Title", "Body")
    assert gl.find_pr("grp/sub/app", "dockvenv/migrate") == mr
    gl.update_pr("grp/sub/app", mr, "T2", "B2")
    assert server.prs[0].title == "T2" and server.prs[0].body == "B2"
    paths = [r.path for r in server.requests]
    assert all("/projects/grp%2Fsub%2Fapp" in p for p in paths)
    assert server.requests[1].body == {"source_branch": "dockvenv/migrate", "target_branch": "trunk",
                                       "title": "Title", "description": "Body"}
    assert server.requests[-1].method == "PUT"
    assert all(r.headers["private-token"] == TOKEN and "authorization" not in r.headers for r in server.requests)


def test_a_wrong_token_is_a_clear_failure_without_the_token(server):
    gh = make_forge("github", server.github_api, "wrong-secret", Redactor("wrong-secret"))
    with pytest.raises(ForgeError) as err:
        gh.default_branch("acme/app")
    assert "HTTP 401" in str(err.value) and "Bad credentials" in str(err.value)
    assert "wrong-secret" not in str(err.value)


def test_429_waits_for_retry_after(server):
    t = FakeTime()
    server.inject("GET /repos/acme/app$", status=429, headers={"Retry-After": "7"})
    assert github(server, t).default_branch("acme/app") == "main"
    assert t.sleeps == [7.0]


def test_403_rate_limit_waits_until_the_reset(server):
    t = FakeTime()
    server.inject("GET /repos/acme/app$", status=403, headers={
        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(t.now) + 30)},
        body={"message": "API rate limit exceeded"})
    assert github(server, t).default_branch("acme/app") == "main"
    assert t.sleeps == [31.0]


def test_secondary_rate_limit_without_headers_waits_a_minute(server):
    t = FakeTime()
    server.inject("POST /repos/acme/app/pulls$", status=403,
                  body={"message": "You have exceeded a secondary rate limit. Please wait a few minutes."})
    pr = github(server, t).open_pr("acme/app", "b", "main", "T", "B")
    assert pr.number == 1 and t.sleeps == [60.0]
    assert len(server.prs) == 1


def test_gitlab_429_with_ratelimit_reset(server):
    t = FakeTime()
    server.inject("GET /api/v4/projects/", status=429, headers={
        "RateLimit-Remaining": "0", "RateLimit-Reset": str(int(t.now) + 5)})
    assert gitlab(server, t).default_branch("grp/sub/app") == "trunk"
    assert t.sleeps == [6.0]


def test_a_plain_403_is_not_retried(server):
    t = FakeTime()
    server.inject("GET /repos/acme/app$", status=403, body={"message": "Resource not accessible by integration"})
    with pytest.raises(ForgeError, match="HTTP 403: Resource not accessible"):
        github(server, t).default_branch("acme/app")
    assert t.sleeps == []


def test_a_wait_over_the_limit_fails_instead_of_stalling(server):
    t = FakeTime()
    server.inject("GET /repos/acme/app$", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(ForgeError, match="rate limited for 3600s"):
        github(server, t, max_wait=600).default_branch("acme/app")
    assert t.sleeps == []


def test_5xx_is_retried_with_backoff_then_succeeds(server):
    t = FakeTime()
    server.inject("GET /repos/acme/app$", status=502, times=2)
    assert github(server, t).default_branch("acme/app") == "main"
    assert t.sleeps == [1.0, 2.0]


def test_5xx_for_ever_fails_after_a_bounded_number_of_tries(server):
    t = FakeTime()
    server.inject("GET /repos/acme/app$", status=500, times=-1)
    with pytest.raises(ForgeError, match="HTTP 500"):
        github(server, t, retries=3).default_branch("acme/app")
    assert t.sleeps == [1.0, 2.0, 4.0]
    assert len(server.requests) == 4


def test_a_timeout_is_retried(server):
    t = FakeTime()
    server.inject("GET /repos/acme/app$", status=0, delay=2.5)  # answers after the client gave up
    assert github(server, t, timeout=1.0).default_branch("acme/app") == "main"
    assert t.sleeps[0] == 1.0  # timed out once, backed off, retried (a loaded machine may time out again)


def test_a_retried_post_that_went_through_is_not_duplicated(server):
    """The first POST creates the PR but its answer is lost (500): the retry finds it instead of failing."""
    t = FakeTime()
    server.inject("POST /repos/acme/app/pulls$", status=500, after=True)
    pr = github(server, t).open_pr("acme/app", "b", "main", "T", "B")  # retried: 422 "already exists"
    assert pr.number == 1 and len(server.prs) == 1 and t.sleeps == [1.0]
    assert [r.method for r in server.requests] == ["POST", "POST", "GET"]
    server.inject("POST /api/v4/projects/grp%2Fsub%2Fapp/merge_requests$", status=502, after=True)
    mr = gitlab(server, t).open_pr("grp/sub/app", "b", "trunk", "T", "B")  # retried: 409
    assert mr.number == 2 and len(server.prs) == 2


def test_errors_never_echo_the_token(server):
    t = FakeTime()
    server.inject("GET /repos/acme/app$", status=400, body={"message": f"bad header Bearer {TOKEN}"})
    with pytest.raises(ForgeError) as err:
        github(server, t).default_branch("acme/app")
    assert TOKEN not in str(err.value) and "***" in str(err.value)


def test_org_listing_follows_link_pagination(server):
    server.page_size = 2
    for n in range(5):
        server.add_repo(f"org/r{n}", archived=n == 3)
    repos = github(server, FakeTime()).list_org("org")
    assert [r.slug for r in repos] == [f"org/r{n}" for n in range(5)]
    assert [r.archived for r in repos] == [False, False, False, True, False]
    assert sum(r.path == "/orgs/org/repos" for r in server.requests) == 3


def test_group_listing_follows_x_next_page(server):
    server.page_size = 2
    for n in range(5):
        server.add_repo(f"grp/sub/p{n}")
    repos = gitlab(server, FakeTime()).list_org("grp")
    assert len(repos) == 6 and sum("/groups/grp/projects" in r.path for r in server.requests) == 3


def test_a_rate_limit_pauses_every_thread(server):
    """While one request waits out a limit, the others wait too: the limit is per token."""
    t = FakeTime()
    http = Http(server.github_api, {"Authorization": f"Bearer {TOKEN}", "User-Agent": "t",
                                    "Accept": "application/vnd.github+json"}, sleep=t.sleep, clock=t.clock)
    server.inject("GET /repos/acme/app$", status=429, headers={"Retry-After": "9"})
    http.request("GET", "/repos/acme/app")
    t.now -= 9  # as if the other thread asked right after the limit was hit
    http.request("GET", "/repos/acme/app")
    assert t.sleeps == [9.0, 9.0]


def test_pacer_spreads_calls_across_threads():
    t = FakeTime()
    pacer = Pacer(30, sleep=lambda s: t.sleeps.append(round(s, 3)), clock=t.clock)
    threads = [threading.Thread(target=pacer.wait) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(t.sleeps) == [2.0, 4.0, 6.0]
    assert Pacer(0).wait() == 0.0


def test_redactor_hides_the_token_and_its_basic_auth_form():
    import base64

    r = Redactor("s3cret")
    basic = base64.b64encode(b"x-access-token:s3cret").decode()
    assert r(f"token s3cret header {basic}") == "token *** header ***"
    assert Redactor("")("nothing") == "nothing"
