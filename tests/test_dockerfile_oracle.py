"""The Dockerfile model agrees with Docker's own parser (PyPI ``dockerfile``, BuildKit's Go code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockvenv import dockerfile as D
from dockvenv.project import is_dockerfile
from tests.conftest import CASES, CORPUS, needs_cases, needs_corpus

oracle = pytest.importorskip("dockerfile", reason="Docker's parser (PyPI 'dockerfile') is a dev dependency")


def _ours(text: str) -> list[tuple]:
    return [(i.cmd, i.start_line, i.end_line, i.flags, i.value, i.json, i.sub_cmd)
            for i in D.parse(text).instructions]


def _docker(text: str) -> list[tuple]:
    return [(c.cmd.upper(), c.start_line, c.end_line, tuple(c.flags), tuple(c.value), c.json, c.sub_cmd)
            for c in oracle.parse_string(text)]


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _case_names() -> list[str]:
    return sorted(p.name for p in CASES.glob("*.Dockerfile")) if CASES.is_dir() else []


@needs_cases
@pytest.mark.parametrize("name", _case_names())
def test_syntax_case_matches_expected_json(name: str) -> None:
    expected = json.loads((CASES / "expected.json").read_text())[name]
    got = [
        {"end_line": i.end_line, "flags": list(i.flags), "heredocs": [h.name for h in i.heredocs],
         "instruction": i.cmd, "json": i.json, "start_line": i.start_line, "value": list(i.value)}
        for i in D.parse(_read(CASES / name), name).instructions
    ]
    assert got == expected


@needs_cases
@pytest.mark.parametrize("name", _case_names())
def test_syntax_case_matches_docker_parser(name: str) -> None:
    text = _read(CASES / name)
    assert _ours(text) == _docker(text)


def _corpus_dockerfiles() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and is_dockerfile(p.name))


@needs_corpus
@pytest.mark.parametrize("path", _corpus_dockerfiles(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_dockerfile_matches_docker_parser(path: Path) -> None:
    text = _read(path)
    ours = [(c[0] if c[0].isupper() else c[0].upper(),) + c[1:] for c in _ours(text)]
    assert ours == _docker(text)


@needs_cases
@pytest.mark.parametrize("name", _case_names())
def test_splicing_one_instruction_keeps_every_other_byte(name: str) -> None:
    text = _read(CASES / name)
    df = D.parse(text, name)
    for ins in df.instructions:
        marker = "LABEL spliced=1" + df.newline
        out = D.splice(text, [(ins.start_line, ins.end_line, marker)])
        lines, new_lines = D.split_lines(text), D.split_lines(out)
        assert new_lines[: ins.start_line - 1] == lines[: ins.start_line - 1]
        assert new_lines[ins.start_line :] == lines[ins.end_line :]
        assert D.splice(text, []) == text


def test_fixture_features_parse(tmp_path: Path) -> None:
    text = "\ufeff# syntax=docker/dockerfile:1\r\nFROM python:3.12 AS base\r\nRUN <<EOF\r\necho hi\r\nEOF\r\n"
    df = D.parse(text)
    assert df.directives == {"syntax": "docker/dockerfile:1"}
    assert [(i.cmd, i.start_line, i.end_line) for i in df.instructions] == [("FROM", 2, 2), ("RUN", 3, 5)]
    assert df.newline == "\r\n"
    assert df.stages[0].name == "base"
    assert df.instructions[1].heredocs[0].content == "echo hi\r\n"


def test_unterminated_heredoc_is_an_input_error() -> None:
    with pytest.raises(D.InputError, match=r"^Dockerfile:2: unterminated heredoc"):
        D.parse("FROM alpine\nRUN <<EOF\necho\n")
