"""Property tests of reading: the scanner agrees with Docker's parser, and ``check`` never crashes.

Inputs come from tests/strategies.py (corpus-shaped Dockerfiles and projects).  The
example count is ``DOCKVENV_FUZZ_EXAMPLES`` (bench/fuzz_long.py runs 10,000).
"""

from __future__ import annotations

import pytest
from hypothesis import given

from dockvenv import dockerfile as D
from dockvenv.check import findings
from dockvenv.config import Settings
from dockvenv.errors import DockvenvError
from tests.strategies import (
    DockerfileCase,
    dockerfiles,
    fuzz_settings,
    in_memory,
    projects,
)

oracle = pytest.importorskip("dockerfile", reason="Docker's parser (PyPI 'dockerfile') is a dev dependency")


def docker_view(text: str) -> list[tuple] | None:  # type: ignore[type-arg]
    """Docker's instructions (cmd, span, flags, value, json, sub_cmd), or None where Docker refuses the text.

    (The Go binding gives ``None`` for an empty instruction word, which we spell ``""``.)
    """
    try:
        return [((c.cmd or "").upper(), c.start_line, c.end_line, tuple(c.flags), tuple(c.value), c.json, c.sub_cmd)
                for c in oracle.parse_string(text)]
    except oracle.GoParseError:
        return None


def our_view(text: str) -> list[tuple]:  # type: ignore[type-arg]
    return [(i.cmd, i.start_line, i.end_line, i.flags, i.value, i.json, i.sub_cmd) for i in D.parse(text).instructions]


@fuzz_settings()
@given(dockerfiles(junk=True))
def test_scanner_agrees_with_docker(case: DockerfileCase) -> None:
    expected = docker_view(case.text)
    if expected is None:
        try:
            D.parse(case.text)
        except DockvenvError as exc:
            assert "\n" not in str(exc)
        return
    assert our_view(case.text) == expected


@fuzz_settings()
@given(projects(junk=True))
def test_check_never_crashes(project: tuple) -> None:  # type: ignore[type-arg]
    files, env_files, _case = project
    try:
        found = findings(in_memory(files, env_files), Settings())
    except DockvenvError as exc:
        message = str(exc)
        assert message and "\n" not in message, message
        return
    for f in found:
        assert f.path in files and f.line >= 0 and "\n" not in f.message
