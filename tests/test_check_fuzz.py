"""`dockvenv check` never crashes: any text is findings or a one-line InputError, never a traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockvenv import dockerfile
from dockvenv.analysis import analyze
from dockvenv.check import findings
from dockvenv.config import Settings
from dockvenv.dockerignore import ignored, patterns
from dockvenv.errors import InputError
from dockvenv.project import read_project
from dockvenv.shell import commands

WORDS = st.sampled_from([
    "FROM python:3.12 AS b", "FROM b", "FROM scratch", "RUN", "ENV", "ARG", "COPY", "ADD", "CMD", "ENTRYPOINT",
    "HEALTHCHECK CMD", "WORKDIR", "SHELL", "ONBUILD RUN", "--from=b", "--mount=type=cache,target=/c",
    "python -m venv", "python -mvenv", "virtualenv", "uv venv", "uv sync", "poetry install", "pip install",
    "-r", "--requirements", "-e", ".", "./venv", "/opt/venv", "$VIRTUAL_ENV", "${PATH}", "PATH=/opt/venv/bin:$PATH",
    "VIRTUAL_ENV=/v", ".", "source", "/opt/venv/bin/activate", "&&", "||", ";", "|", "(", ")", "{", "}",
    "bash -c", "sh -c", "'", '"', "\\", "\n", "\r\n", " \\\n", "#", "# dockvenv: ignore[DV1]", "<<EOF", "EOF",
    "$(dirname /x/bin)", "$(echo dist/*.whl)", "[\"a\"]", "[", "]", "=", "${X:-/d}", "apk add --virtual .b gcc",
    "apk del .b", "apt-get -y install gcc", ".env", "COPY . .", "*", "!", "**",
])
TEXT = st.lists(st.one_of(WORDS, st.text(max_size=8)), max_size=40).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_shell_commands_never_raise(text: str) -> None:
    for cmd in commands(text):
        assert isinstance(cmd.argv, tuple)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_parse_and_analyze_never_raise_anything_but_input_error(text: str) -> None:
    try:
        df = dockerfile.parse(text)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("Dockerfile:")
        return
    analyze(df)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(TEXT, st.lists(st.sampled_from(["*", "!.env", ".env*", "**/x", "[a-", "\\", "/", "a/**/b", "!"]), max_size=4))
def test_whole_check_never_raises_anything_but_input_error(tmp_path: Path, text: str, ignore: list[str]) -> None:
    (tmp_path / "Dockerfile").write_text(text, encoding="utf-8", newline="")
    (tmp_path / ".dockerignore").write_text("\n".join(ignore))
    (tmp_path / ".env").write_text("A=1\n")
    try:
        findings(read_project(tmp_path), Settings())
    except InputError as exc:
        assert "\n" not in str(exc)
    try:
        ignored(patterns("\n".join(ignore)), "a/b/.env")
    except InputError as exc:
        assert str(exc).startswith(".dockerignore:") and "invalid pattern" in str(exc)
