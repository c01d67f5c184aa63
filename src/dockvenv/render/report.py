"""Findings as text, JSON, SARIF 2.1.0, GitHub workflow annotations or GitLab Code Quality."""

from __future__ import annotations

import json
from typing import Sequence
from urllib.parse import quote

from dockvenv import __version__
from dockvenv.model import Finding

FORMATS = ("text", "json", "sarif", "github", "gitlab")


def render(findings: Sequence[Finding], fmt: str) -> str:
    if fmt == "json":
        return as_json(findings)
    if fmt == "sarif":
        return as_sarif(findings)
    if fmt == "github":
        return as_github(findings)
    if fmt == "gitlab":
        return as_gitlab(findings)
    return as_text(findings)


def as_text(findings: Sequence[Finding]) -> str:
    lines = [f"{f.path}:{f.line}:{f.col}: {f.code} {f.message}" for f in findings]
    if findings:
        fixable = sum(f.fixable for f in findings)
        lines.append(f"Found {len(findings)} finding{'s' * (len(findings) != 1)}"
                     f" ({fixable} fixable with `dockvenv migrate`).")
    return "\n".join(lines) + ("\n" if lines else "")


def as_json(findings: Sequence[Finding]) -> str:
    data = {
        "version": 1,
        "findings": [
            {"code": f.code, "path": f.path, "line": f.line, "column": f.col,
             "message": f.message, "fixable": f.fixable}
            for f in findings
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(findings: Sequence[Finding]) -> str:
    out = []
    for f in findings:
        loc = f"file={_gh_property(f.path)},line={max(f.line, 1)},col={f.col}"
        out.append(f"::warning {loc},title={f.code}::{f.code} {_gh_data(f.message)}")
    return "\n".join(out) + ("\n" if out else "")


def as_gitlab(findings: Sequence[Finding]) -> str:
    """GitLab Code Quality (a Code Climate subset): a JSON array, one issue per finding.

    The fingerprint leaves out the line, so a finding that only moved is the same finding
    in a merge request's comparison; repeats of one message in one file are numbered.
    """
    import hashlib  # only this format needs it (and OpenSSL's start-up cost)

    seen: dict[tuple[str, str, str], int] = {}
    issues = []
    for f in findings:
        path = f.path.removeprefix("./")  # repo-relative, in the fingerprint as in the location
        key = (f.code, path, f.message)
        seen[key] = seen.get(key, 0) + 1
        fingerprint = hashlib.sha256("\0".join((*key, str(seen[key]))).encode()).hexdigest()
        issues.append({
            "type": "issue",
            "check_name": f.code,
            "description": f"{f.code} {f.message}",
            "severity": "major" if f.code.startswith("DV3") else "minor",  # DV3xx: secrets in images
            "fingerprint": fingerprint,
            "location": {"path": path, "lines": {"begin": max(f.line, 1)}},
        })
    return json.dumps(issues, indent=2) + "\n"


def as_sarif(findings: Sequence[Finding]) -> str:
    from dockvenv.rules import BY_CODE, doc

    codes = sorted({f.code for f in findings} | set(BY_CODE))
    rules = []
    for code in codes:
        rule = BY_CODE.get(code)
        text = doc(code) if rule else code
        summary = text.splitlines()[0] if text else code
        rules.append({
            "id": code,
            "name": getattr(rule, "NAME", code),
            "shortDescription": {"text": summary},
            "fullDescription": {"text": summary},
            "help": {"text": text, "markdown": text},
            "defaultConfiguration": {"level": "warning"},
        })
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for f in findings:
        location: dict[str, object] = {"artifactLocation": {"uri": quote(f.path)}}  # a URI reference
        if f.line > 0:
            location["region"] = {"startLine": f.line, "startColumn": max(f.col, 1)}
        results.append({
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": "warning",
            "message": {"text": f.message},
            "locations": [{"physicalLocation": location}],
            "properties": {"fixable": f.fixable},
        })
    doc_ = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dockvenv", "version": __version__,
                                "informationUri": "https://github.com/dockvenv/dockvenv",
                                "rules": rules}},
            "results": results,
        }],
    }
    return json.dumps(doc_, indent=2) + "\n"
