"""The JSON outputs against the schemas written in docs/json-schemas.md (the page is the contract),
and the GitLab Code Quality format. SARIF's validation lives in tests/test_report.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import jsonschema
import pytest

from dockvenv.cli import main
from dockvenv.model import Finding
from dockvenv.render.report import FORMATS, render
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "json-schemas.md"


def schema(title: str) -> dict:
    for block in re.findall(r"```json\n(.*?)```", PAGE.read_text(), re.S):
        data = json.loads(block)
        if data.get("title") == title:
            jsonschema.Draft202012Validator.check_schema(data)
            return data
    raise AssertionError(f"no schema titled {title!r} in {PAGE}")


def validate(data: object, title: str) -> None:
    jsonschema.Draft202012Validator(schema(title)).validate(data)


PROJECTS = [FIXTURES / "check" / n for n in ("activation", "dotenv", "venv-multistage", "lookalikes")] + \
    [FIXTURES / "apps" / n for n in ("pep621-flask", "poetry-api", "uvlock-cli")]


# -- check --format json ----------------------------------------------------------------------

@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_check_json_matches_the_documented_schema(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "--format", "json", str(project)])
    validate(json.loads(capsys.readouterr().out), "dockvenv check --format json")


def test_the_check_schema_rejects_what_it_should() -> None:
    good = json.loads(render([Finding("DV101", "Dockerfile", 2, "m")], "json"))
    validate(good, "dockvenv check --format json")
    for broken in ({**good, "version": 2}, {"version": 1},
                   {"version": 1, "findings": [{**good["findings"][0], "line": -1}]},
                   {"version": 1, "findings": [{**good["findings"][0], "code": "E501"}]}):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken, "dockvenv check --format json")


# -- bulk --report ----------------------------------------------------------------------------

def _bulk_report() -> dict:
    from dockvenv.bulk.outcome import STATUSES, FileStat, Outcome
    from dockvenv.bulk.report import RunInfo, to_json

    outcomes = [Outcome(f"acme/repo-{s}", f"acme/repo-{s}", s, reason="" if s == "opened" else f"because {s}",
                        url="https://github.com/acme/x/pull/7" if s in ("opened", "updated") else "",
                        number=7 if s in ("opened", "updated") else 0, branch="dockvenv/migrate", base="main",
                        commit="0" * 40 if s in ("opened", "updated") else "",
                        files=(FileStat("Dockerfile", 9, 4), FileStat(".dockerignore", 7, 0)), fixed=6,
                        timings=(("clone", 0.5), ("plan", 0.1)))
                for s in STATUSES]
    info = RunInfo("0.1.0", "github", "dockvenv/migrate", False, "2026-01-01T00:00:00+00:00",
                   "2026-01-01T00:01:00+00:00", False, 60.0)
    return json.loads(json.dumps(to_json(info, outcomes)))


def test_bulk_report_matches_the_documented_schema() -> None:
    pytest.importorskip("dockvenv.bulk.report")
    validate(_bulk_report(), "dockvenv bulk --report")


def test_the_bulk_schema_names_every_field_the_code_writes() -> None:
    pytest.importorskip("dockvenv.bulk.report")
    from dockvenv.bulk.outcome import STATUSES, Outcome
    from dockvenv.bulk.report import RunInfo

    s = schema("dockvenv bulk --report")
    assert set(s["required"]) == {f.name for f in fields(RunInfo)} | {"version", "counts", "repos"}
    assert set(s["$defs"]["repo"]["required"]) == {f.name for f in fields(Outcome)}
    assert tuple(s["$defs"]["status"]["enum"]) == STATUSES
    documented = re.findall(r"^\| `([a-z-]+)` \|", PAGE.read_text().split("## `dockvenv bulk --report`")[1], re.M)
    assert tuple(documented) == STATUSES  # the status table, in order


def test_a_real_bulk_report_matches_the_schema_if_one_was_written(tmp_path: Path) -> None:
    """Whatever happened to each repository, the file a run writes has the documented shape."""
    pytest.importorskip("dockvenv.bulk.runner")
    (tmp_path / "repos.txt").write_text(f"{tmp_path / 'missing'}\n")
    report = tmp_path / "report.json"
    main(["bulk", "--repos", str(tmp_path / "repos.txt"), "--dry-run", "--out", str(tmp_path / "patches"),
          "--report", str(report)])
    validate(json.loads(report.read_text()), "dockvenv bulk --report")


# -- check --format gitlab --------------------------------------------------------------------

def test_gitlab_is_a_format_of_check() -> None:
    assert "gitlab" in FORMATS


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_gitlab_matches_the_documented_schema(project: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    rel = project.relative_to(ROOT)
    text_rc = main(["check", str(rel)])
    text = capsys.readouterr().out
    assert main(["check", "--format", "gitlab", f"./{rel}"]) == text_rc
    issues = json.loads(capsys.readouterr().out)
    validate(issues, "dockvenv check --format gitlab")
    assert len(issues) == len([ln for ln in text.splitlines() if re.match(r".+:\d+:\d+: DV\d{3} ", ln)])
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    for issue in issues:
        assert issue["location"]["path"].startswith(f"{rel}/")  # repo-relative: no leading ./


def test_gitlab_issue_fields() -> None:
    found = [Finding("DV301", "Dockerfile", 8, "COPY .env puts a dotenv file into the image"),
             Finding("DV502", "pyproject.toml", 0, "no lock file", fixable=False)]
    a, b = json.loads(render(found, "gitlab"))
    assert a == {"type": "issue", "check_name": "DV301", "description": "DV301 COPY .env puts a dotenv file into "
                 "the image", "severity": "major", "fingerprint": a["fingerprint"],
                 "location": {"path": "Dockerfile", "lines": {"begin": 8}}}
    assert b["severity"] == "minor" and b["location"]["lines"] == {"begin": 1}  # whole file: line 1
    assert json.loads(render([], "gitlab")) == []


def test_gitlab_fingerprints_survive_a_moved_line_and_tell_repeats_apart() -> None:
    one = Finding("DV101", "Dockerfile", 3, "virtualenv created in the image at /opt/venv")
    moved = Finding("DV101", "Dockerfile", 9, "virtualenv created in the image at /opt/venv")
    [fp] = [i["fingerprint"] for i in json.loads(render([one], "gitlab"))]
    [fp_moved] = [i["fingerprint"] for i in json.loads(render([moved], "gitlab"))]
    assert fp == fp_moved
    twice = [i["fingerprint"] for i in json.loads(render([one, moved], "gitlab"))]
    assert twice[0] == fp and twice[1] != fp
    other_file = Finding("DV101", "api/Dockerfile", 3, one.message)
    assert json.loads(render([other_file], "gitlab"))[0]["fingerprint"] != fp
