"""Output formats: text, JSON (version 1), SARIF 2.1.0 (valid against the OASIS schema), GitHub."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from dockvenv import __version__
from dockvenv.cli import main
from dockvenv.model import Finding
from dockvenv.render.report import render
from dockvenv.rules import BY_CODE
from tests.conftest import FIXTURES, corpus_projects, needs_corpus

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
PROJECT = FIXTURES / "check" / "venv-multistage"

SAMPLE = [
    Finding("DV101", "Dockerfile", 6, "virtualenv created in the image at /opt/venv"),
    Finding("DV502", "pyproject.toml", 0, "no lock file: 100% floating, a:b, c", fixable=False),
    Finding("DV301", "deploy/my app,v2/Dockerfile", 3, "COPY .env puts a dotenv file\ninto the image", col=5),
]


def _sarif_validator() -> jsonschema.Draft4Validator:
    checker = jsonschema.FormatChecker()

    @checker.checks("uri-reference")
    def _uri_reference(value: object) -> bool:  # RFC 3986 characters only: spaces must be escaped
        return not isinstance(value, str) or re.fullmatch(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*", value) is not None

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]*", value) is not None

    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def test_vendored_schema_is_the_oasis_sarif_2_1_0_schema() -> None:
    digest = hashlib.sha256(SCHEMA.read_bytes()).hexdigest()
    assert digest == "d9ae9a4394e29ad68cea57a3f7ec4ec0f283887edba0c8f8f2999c8903407636"  # see tests/data/README.md
    schema = json.loads(SCHEMA.read_text())
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    assert "result" in schema["definitions"] and "reportingDescriptor" in schema["definitions"]


def test_text_format() -> None:
    out = render(SAMPLE[:2], "text")
    assert out.splitlines() == [
        "Dockerfile:6:1: DV101 virtualenv created in the image at /opt/venv",
        "pyproject.toml:0:1: DV502 no lock file: 100% floating, a:b, c",
        "Found 2 findings (1 fixable with `dockvenv migrate`).",
    ]
    assert render([], "text") == ""


def test_json_format() -> None:
    data = json.loads(render(SAMPLE, "json"))
    assert data["version"] == 1
    assert [{k: f[k] for k in ("code", "path", "line", "message", "fixable")} for f in data["findings"]] == [
        {"code": "DV101", "path": "Dockerfile", "line": 6, "message": "virtualenv created in the image at /opt/venv",
         "fixable": True},
        {"code": "DV502", "path": "pyproject.toml", "line": 0, "message": "no lock file: 100% floating, a:b, c",
         "fixable": False},
        {"code": "DV301", "path": "deploy/my app,v2/Dockerfile", "line": 3,
         "message": "COPY .env puts a dotenv file\ninto the image", "fixable": True},
    ]
    assert json.loads(render([], "json")) == {"version": 1, "findings": []}


def test_github_format_escapes_properties_and_data() -> None:
    lines = render(SAMPLE, "github").splitlines()
    assert lines == [
        "::warning file=Dockerfile,line=6,col=1,title=DV101::DV101 virtualenv created in the image at /opt/venv",
        "::warning file=pyproject.toml,line=1,col=1,title=DV502::DV502 no lock file: 100%25 floating, a:b, c",
        "::warning file=deploy/my app%2Cv2/Dockerfile,line=3,col=5,title=DV301::DV301 COPY .env puts a dotenv file"
        "%0Ainto the image",
    ]
    assert render([], "github") == ""


def test_sarif_is_valid_against_the_schema() -> None:
    doc = json.loads(render(SAMPLE, "sarif"))
    errors = sorted(_sarif_validator().iter_errors(doc), key=str)
    assert errors == []
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    assert run["tool"]["driver"]["name"] == "dockvenv"
    assert run["tool"]["driver"]["version"] == __version__
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= set(BY_CODE)
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["DV101", "DV502", "DV301"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert results[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "Dockerfile"}, "region": {"startLine": 6, "startColumn": 1}}
    assert "region" not in results[1]["locations"][0]["physicalLocation"]  # line 0: the whole file
    assert results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "deploy/my%20app%2Cv2/Dockerfile"


def test_sarif_validator_rejects_a_broken_log() -> None:
    doc = json.loads(render(SAMPLE, "sarif"))
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    doc["runs"][0]["results"][1]["level"] = "fatal"
    doc["runs"][0]["results"][2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b"
    assert len(list(_sarif_validator().iter_errors(doc))) == 3


def test_sarif_with_no_findings_is_valid() -> None:
    doc = json.loads(render([], "sarif"))
    assert list(_sarif_validator().iter_errors(doc)) == []
    assert doc["runs"][0]["results"] == []


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_cli_formats_on_a_real_project(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", fmt, str(PROJECT)]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    prefix = f"{PROJECT}/Dockerfile"
    if fmt == "text":
        assert out.splitlines()[0] == f"{prefix}:6:1: DV101 virtualenv created in the image at /opt/venv"
        assert out.splitlines()[-1] == "Found 8 findings (8 fixable with `dockvenv migrate`)."
    elif fmt == "json":
        data = json.loads(out)
        assert [(f["code"], f["line"]) for f in data["findings"]][:2] == [("DV101", 6), ("DV103", 7)]
        assert {f["path"] for f in data["findings"]} == {prefix}
    elif fmt == "sarif":
        doc = json.loads(out)
        assert list(_sarif_validator().iter_errors(doc)) == []
        assert len(doc["runs"][0]["results"]) == 8
    else:
        assert out.splitlines()[0] == (f"::warning file={prefix},line=6,col=1,title=DV101::"
                                       "DV101 virtualenv created in the image at /opt/venv")
        assert len(out.splitlines()) == 8


def test_cli_clean_project_prints_valid_empty_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    clean = str(FIXTURES / "check" / "lookalikes")
    for fmt in ("json", "sarif"):
        assert main(["check", "--format", fmt, clean]) == 0
        doc = json.loads(capsys.readouterr().out)
        if fmt == "json":
            assert doc == {"version": 1, "findings": []}
        else:
            assert list(_sarif_validator().iter_errors(doc)) == []


@needs_corpus
def test_sarif_for_the_whole_corpus_is_valid() -> None:
    from dockvenv.check import findings
    from dockvenv.config import load
    from dockvenv.project import read_project

    found = []
    for project in corpus_projects():
        proj = read_project(project)
        found += [replace(f, path=f"{project.name}/{f.path}") for f in findings(proj, load(proj.text("pyproject.toml")))]
    doc = json.loads(render(found, "sarif"))
    assert len(doc["runs"][0]["results"]) == len(found) > 100
    assert list(_sarif_validator().iter_errors(doc)) == []


def test_gitlab_code_quality_format() -> None:
    issues = json.loads(render(SAMPLE, "gitlab"))
    assert [(i["type"], i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("issue", "DV101", "minor", {"path": "Dockerfile", "lines": {"begin": 6}}),
        ("issue", "DV502", "minor", {"path": "pyproject.toml", "lines": {"begin": 1}}),
        ("issue", "DV301", "major", {"path": "deploy/my app,v2/Dockerfile", "lines": {"begin": 3}}),
    ]
    assert issues[0]["description"] == "DV101 virtualenv created in the image at /opt/venv"
    assert all(re.fullmatch(r"[0-9a-f]{64}", i["fingerprint"]) for i in issues)
    moved = [Finding("DV101", "./Dockerfile", 9, SAMPLE[0].message)]
    again = json.loads(render(moved, "gitlab"))[0]
    assert again["fingerprint"] == issues[0]["fingerprint"]  # a finding that only moved is the same finding
    assert again["location"]["path"] == "Dockerfile"
    twice = json.loads(render([SAMPLE[0], replace(SAMPLE[0], line=7)], "gitlab"))
    assert twice[0]["fingerprint"] != twice[1]["fingerprint"]
    assert json.loads(render([], "gitlab")) == []


def test_cli_gitlab_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "gitlab", str(PROJECT)]) == 1
    issues = json.loads(capsys.readouterr().out)
    assert [i["check_name"] for i in issues][:2] == ["DV101", "DV103"] and len(issues) == 8
