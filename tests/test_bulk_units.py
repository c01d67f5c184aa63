"""bulk's pure parts: the repository list, the workspace folder, the PR text, the report, stopping."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from dockvenv.bulk import report
from dockvenv.bulk.body import (
    Change,
    commit_message,
    fixed_findings,
    has_trailer,
    pr_body,
)
from dockvenv.bulk.git import Git, Identity
from dockvenv.bulk.outcome import FAILED, OPENED, SKIPPED, FileStat, Outcome
from dockvenv.bulk.repo import Job
from dockvenv.bulk.repos import (
    RepoRef,
    from_spec,
    parse_list,
    slug_from_url,
    workspace_dir,
)
from dockvenv.bulk.runner import execute
from dockvenv.errors import InputError
from dockvenv.model import Finding, Plan, Unsupported

GH = "https://github.com/{owner}/{name}.git"


def test_repository_lines():
    text = """
    # platform services
    acme/api
    acme/api            # a duplicate is dropped
    https://github.com/acme/web.git   # a URL
    git@github.com:acme/worker.git
    /srv/mirrors/acme/batch.git
    """
    refs = parse_list(text, "repos.txt", GH)
    assert [(r.slug, r.url) for r in refs] == [
        ("acme/api", "https://github.com/acme/api.git"),
        ("acme/web", "https://github.com/acme/web.git"),
        ("acme/worker", "git@github.com:acme/worker.git"),
        ("acme/batch", "file:///srv/mirrors/acme/batch.git"),
    ]
    assert refs[0].spec == "acme/api"


@pytest.mark.parametrize("line", ["justaname", "acme/../etc", "acme/ap p", "acme/"])
def test_bad_lines_name_file_and_line(line: str):
    with pytest.raises(InputError, match=r"^repos.txt:2: "):
        parse_list(f"acme/ok\n{line}\n", "repos.txt", GH)


def test_gitlab_slugs_keep_subgroups():
    assert slug_from_url("https://gitlab.com/grp/sub/app.git", "gitlab") == "grp/sub/app"
    assert slug_from_url("https://gitlab.com/grp/sub/app.git", "github") == "sub/app"
    ref = from_spec("grp/sub/app", "https://gitlab.example/{owner}/{name}.git", "gitlab")
    assert ref == RepoRef("grp/sub/app", "grp/sub/app", "https://gitlab.example/grp/sub/app.git")


def test_workspace_folders_stay_in_the_workspace(tmp_path: Path):
    assert workspace_dir(tmp_path, "acme/api") == tmp_path.resolve() / "acme__api"
    assert workspace_dir(tmp_path, "grp/sub/app").parent == tmp_path.resolve()
    for evil in ("../../etc/x", "..", "a/../../b", "/abs/path"):
        assert workspace_dir(tmp_path, evil).parent == tmp_path.resolve()


def test_fixed_findings_count_by_code_and_file_not_line():
    before = [Finding("DV101", "Dockerfile", 3, "venv"), Finding("DV101", "Dockerfile", 9, "venv"),
              Finding("DV502", "pyproject.toml", 0, "no lock")]
    after = [Finding("DV101", "Dockerfile", 12, "venv"), Finding("DV502", "pyproject.toml", 0, "no lock")]
    assert fixed_findings(before, after) == (before[1],)


def _change(**kw) -> Change:
    plan = Plan("/x", (), (), (Unsupported("docker/Dockerfile.conda", "a conda environment"),),
                ("uv.lock: run 'uv lock' after this migration",))
    base = dict(plan=plan, files=(FileStat("Dockerfile", 10, 4),), fixed=(Finding("DV101", "Dockerfile", 3, "v"),),
                remaining=(), base="main", branch="dockvenv/migrate", version="9.9")
    return Change(**{**base, **kw})


def test_commit_message_has_the_trailer():
    msg = commit_message("Subject", _change())
    assert msg.startswith("Subject\n\n") and msg.endswith("Dockvenv-Version: 9.9\n")
    assert has_trailer(msg) and not has_trailer("Subject\n\nno trailer")


def test_pr_body_sections_and_its_size_limit():
    body = pr_body(_change())
    assert "| `Dockerfile` | +10 | -4 |" in body and "## Findings fixed (1)" in body
    assert "## Not migrated" in body and "run 'uv lock'" in body and "## Verification" not in body
    many = tuple(Finding("DV401", f"p{n}/pyproject.toml", n, "x" * 200) for n in range(2000))
    files = tuple(FileStat(f"p{n}/" + "f" * 100, 1, 1) for n in range(2000))
    big = pr_body(_change(fixed=many, files=files, verify="verify: not available"))
    assert len(big) < 65536 and big.endswith("(truncated)\n")
    assert "and 1960 more" in pr_body(_change(fixed=many))


def test_report_round_trip_and_only_failed(tmp_path: Path):
    outs = [Outcome("acme/a", "acme/a", OPENED, url="u", files=(FileStat("Dockerfile", 1, 2),),
                    timings=(("clone", 0.5),)),
            Outcome("acme/b", "https://x/acme/b.git", FAILED, "git push: rejected")]
    info = report.RunInfo("0.1", "github", "dockvenv/migrate", False, "t0", "t1")
    path = tmp_path / "r.json"
    report.write(path, info, outs)
    data = json.loads(path.read_text())
    assert data["version"] == 1 and data["counts"] == {"opened": 1, "failed": 1}
    assert data["repos"][0]["files"] == [{"path": "Dockerfile", "added": 1, "removed": 2}]
    assert data["repos"][0]["timings"] == {"clone": 0.5}
    assert report.failed_specs(path) == ["https://x/acme/b.git"]
    (tmp_path / "bad.json").write_text('{"version": 2, "repos": []}')
    with pytest.raises(InputError, match="not a dockvenv bulk report of version 1"):
        report.failed_specs(tmp_path / "bad.json")
    with pytest.raises(InputError, match="no such report"):
        report.failed_specs(tmp_path / "missing.json")


def test_summary_table_plain():
    import io

    out = io.StringIO()
    report.table([Outcome("acme/a", "acme/a", OPENED, url="https://x/pull/1"),
                  Outcome("acme/bb", "acme/bb", SKIPPED, "no Dockerfile")], False, out, rich=False)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["acme/a", "opened", "https://x/pull/1"]
    assert lines[-1] == "2 repositories: 1 opened, 1 skipped"


def test_a_stopped_run_starts_nothing_new(tmp_path: Path):
    stop = threading.Event()
    stop.set()
    job = Job(git=Git(str(tmp_path)), forge=None, load=lambda root: (_ for _ in ()).throw(AssertionError),
              workspace=tmp_path, who=Identity("d", "d@x"), version="0", stop=stop)
    refs = [RepoRef(f"acme/r{n}", f"acme/r{n}", "file:///nowhere") for n in range(5)]
    outcomes, interrupted = execute(refs, job, 2)
    assert interrupted and [o.status for o in outcomes] == [SKIPPED] * 5
    assert all(o.reason == "interrupted before it started" for o in outcomes)


def test_author_must_be_name_and_email():
    from dockvenv.bulk.runner import _identity
    from dockvenv.errors import UsageError

    assert _identity("Bot <bot@example.com>") == Identity("Bot", "bot@example.com")
    with pytest.raises(UsageError, match="--author 'nobody'"):
        _identity("nobody")
