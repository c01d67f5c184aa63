"""Minimal reproductions of what the fuzzers (tests/test_fuzz_*.py) found, one test each.

A bug not fixed yet is a strict xfail (the fix shows up as an unexpected pass); the
fuzzers themselves carry no exceptions for known bugs, so a fixed one stays fixed.
"""

from __future__ import annotations

import pytest

from dockvenv.config import Settings
from dockvenv.plan import build_plan
from tests.strategies import in_memory
from tests.test_fuzz_migrate import applied

PYPROJECT = '[project]\nname = "app"\nversion = "1"\n'


def migrated_twice(files: dict[str, str], settings: Settings | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The changed files after one migration, and what a second migration would still change."""
    settings = settings or Settings()
    project = in_memory(files)
    plan = build_plan(project, settings)
    again = build_plan(applied(project, plan), settings)
    return {e.path: e.after or "" for e in plan.changes}, {e.path: e.after or "" for e in again.changes}


def test_dead_stages_are_removed_in_one_run() -> None:
    dockerfile = (
        "FROM python:3.12-slim AS builder\n"
        "RUN python -m venv /opt/venv\n"
        "\n"
        "FROM python:3.12-slim AS mid\n"
        "RUN python -m venv /opt/venv\n"
        "COPY --from=builder /opt/venv /opt/venv\n"
        "\n"
        "FROM python:3.12-slim\n"
        'CMD ["python"]\n'
    )
    once, twice = migrated_twice({"Dockerfile": dockerfile, "pyproject.toml": PYPROJECT})
    assert "AS mid" not in once["Dockerfile"]
    assert twice == {}


def test_a_second_run_adds_no_second_builder() -> None:
    dockerfile = 'FROM python:3.12-slim\nRUN "${V}/pip" install -r requirements.txt gunicorn\n'
    _once, twice = migrated_twice({"Dockerfile": dockerfile, "pyproject.toml": PYPROJECT})
    assert twice.get("Dockerfile", "").count("AS dockvenv-builder") <= 1
    assert twice == {}


def test_kept_words_keep_their_expansions() -> None:
    dockerfile = 'FROM python:3.12-slim\nRUN "${V}/pip" install -r requirements.txt gunicorn\n'
    once, _twice = migrated_twice({"Dockerfile": dockerfile, "pyproject.toml": PYPROJECT})
    assert "'${V}/pip'" not in once["Dockerfile"]


def test_no_builder_stage_without_a_wheel_install() -> None:
    dockerfile = "FROM python:3.12-slim\nRUN pip install gunicorn -r requirements.txt\n"
    once, _twice = migrated_twice({"Dockerfile": dockerfile, "pyproject.toml": PYPROJECT})
    after = once.get("Dockerfile", dockerfile)
    assert ("AS dockvenv-builder" in after) == ("--mount=from=dockvenv-builder" in after)


def test_runtime_file_copies_are_added_once() -> None:
    dockerfile = 'FROM python:3.12-slim\nRUN pip install gunicorn -r requirements.txt\nENTRYPOINT ["/entrypoint.sh"]\n'
    _once, twice = migrated_twice({"Dockerfile": dockerfile, "pyproject.toml": PYPROJECT, "entrypoint.sh": "#!/bin/sh\n"})
    assert twice.get("Dockerfile", "").count("COPY /entrypoint.sh") <= 1
    assert twice == {}


def test_copies_only_removed_installs_read_go_in_the_first_run() -> None:
    dockerfile = ('FROM python:3.12-slim\n'
                  'RUN ["sh", "-c", "uv pip install -r requirements.txt && . /venv/bin/activate"]\n'
                  "COPY requirements.txt .\n")
    _once, twice = migrated_twice({"Dockerfile": dockerfile, "pyproject.toml": PYPROJECT, "uv.lock": "version = 1\n"})
    assert twice == {}


def test_tools_only_removed_commands_ran_go_in_the_first_run() -> None:
    dockerfile = ("FROM python:3.11-alpine\n"
                  "RUN pip install uv==0.4.0 && cd /app && source $VIRTUAL_ENV/bin/activate\n"
                  'RUN ["sh", "-c", "uv venv"]\n')
    _once, twice = migrated_twice({"Dockerfile": dockerfile})
    assert twice == {}


def test_an_emptied_crlf_requirements_file_keeps_crlf() -> None:
    files = {"requirements.txt": "\ufeffpytest>=8\r\n", "requirements-dev.txt": "-r requirements.txt\npytest\n",
             "Dockerfile": "FROM python:3.12-slim\n"}
    once, _twice = migrated_twice(files)
    assert once["requirements.txt"] in ("\ufeff", "\ufeff\r\n")


def test_one_edit_per_file() -> None:
    files = {"Dockerfile": "FROM python:3.12-slim\nRUN python -m venv /opt/venv\nCOPY . /app\n"
                           "RUN /opt/venv/bin/pip install /app\n",
             "pyproject.toml": '[project]\nname = "app"\nversion = "1.0"\ndependencies = ["flask", "pytest"]\n',
             "app/__init__.py": ""}
    paths = [e.path for e in build_plan(in_memory(files), Settings()).changes]
    assert len(paths) == len(set(paths)), paths


def test_dev_tools_move_in_the_first_run() -> None:
    files = {"Dockerfile": "FROM python:3.12 AS test\nRUN coverage report\nRUN virtualenv /venv\nFROM python:3.12\n",
             "setup.cfg": "[metadata]\nname = app\n\n[options]\ninstall_requires =\n    coverage>=7\n    flask\n"}
    _once, twice = migrated_twice(files)
    assert twice == {}


def test_generated_packaging_needs_no_second_run() -> None:
    files = {"Dockerfile": "FROM python:3.12\nRUN python -m venv /venv && . /venv/bin/activate\n",
             "app.py": "from dotenv import load_dotenv\n\nload_dotenv()\n"}
    _once, twice = migrated_twice(files)
    assert twice == {}


def test_a_cmd_behind_poetry_run_is_packaged_in_the_first_run() -> None:
    files = {"Dockerfile": 'FROM python:3.12-slim\nRUN uv sync\nCMD ["poetry", "run", "uvicorn", "app.main:app"]\n',
             "app/main.py": ""}
    once, twice = migrated_twice(files)
    assert "pyproject.toml" in once
    assert twice == {}


# -- found by the fuzzers and fixed (in shell.py and dockerfile.py): these must keep passing ---------


def test_removing_the_last_command_of_a_continued_chain_keeps_the_next_instruction() -> None:
    dockerfile = "FROM python:3.12\nRUN set -eux; \\\n    echo kept; \\\n    python3 -m venv /app/.venv\nSTOPSIGNAL SIGINT\n"
    once, _twice = migrated_twice({"Dockerfile": dockerfile, "pyproject.toml": PYPROJECT})
    assert "RUN set -eux; \\\n    echo kept\nSTOPSIGNAL SIGINT\n" in once["Dockerfile"]


def test_removing_a_command_after_a_subshell_keeps_its_closing_parenthesis() -> None:
    from dockvenv.shell import commands, remove_commands

    for text, expected in [("(cd /tmp && echo a); \\\n    . /v/bin/activate\n", "(cd /tmp && echo a)\n"),
                           ("{ a; } && python -m venv v", "{ a; }"), ("(a && python -m venv v) && b", "(a) && b")]:
        spans = [(c.start, c.end) for c in commands(text) if not c.nested and c.argv[0] in (".", "python")]
        assert remove_commands(text, spans) == expected


def test_the_scanner_trims_the_blanks_go_trims() -> None:
    from dockvenv import dockerfile as D

    ins = D.parse("FROM python:3.12-slim\r\n0\x85").instructions[-1]
    assert (ins.keyword, ins.args) == ("0", "")
    assert D.parse("RUN  b\x85\n").instructions[0].value == ("b",)  # Docker: ('b',), not ('b\x85',)


def test_an_activation_said_removed_is_removed() -> None:
    dockerfile = ("FROM python:3.12 AS deps\nRUN virtualenv /venv\n"
                  'FROM python:3.12\nRUN ["sh", "-c", ". /venv/bin/activate && rm -rf /tmp/x"]\n')
    project = in_memory({"Dockerfile": dockerfile})
    edit = next(e for e in build_plan(project, Settings()).changes if e.path == "Dockerfile")
    assert not any(r.startswith("DV102") for r in edit.reasons) or "bin/activate" not in (edit.after or "")


def test_an_escaped_escape_at_the_end_of_a_line_is_no_continuation() -> None:
    from dockvenv import dockerfile as D

    df = D.parse("FROM a\nRUN echo x \\\\\nRUN echo y\n")
    assert [(i.cmd, i.start_line, i.end_line) for i in df.instructions] == [
        ("FROM", 1, 1), ("RUN", 2, 2), ("RUN", 3, 3)]
    assert [i.start_line for i in D.parse("FROM a\n\\\nRUN y\n").instructions] == [1, 2]  # a lone one continues
    backtick = D.parse("# escape=`\nFROM a\nRUN x ``\nRUN y\n")
    assert [i.end_line for i in backtick.instructions] == [2, 3, 4]


@pytest.mark.parametrize("cmd", [
    "CMD /usr/local/bin/poetry run uvicorn app.main:app\n",
    'CMD ["/usr/local/bin/poetry", "run", "uvicorn", "app.main:app"]\n',
    'CMD ["sh", "-c", "poetry run uvicorn app.main:app"]\n',
])
def test_a_runner_named_by_its_path_goes_whole(cmd: str) -> None:
    dockerfile = f"FROM python:3.12-slim\nRUN python -m venv /venv && /venv/bin/pip install .\n{cmd}"
    once, twice = migrated_twice({"Dockerfile": dockerfile, "pyproject.toml": PYPROJECT, "app/__init__.py": ""})
    last = once["Dockerfile"].splitlines()[-1]
    assert "uvicorn" in last and "run" not in last.replace("uvicorn", "") and "bin/uvicorn" not in last, last
    assert twice == {}


def test_the_builders_copy_does_not_make_an_install_the_projects() -> None:
    """``pip install -e /src[x]`` of a path nothing copied stays; dockvenv's builder copying into its own /src changes nothing."""
    dockerfile = ("FROM python:3.12-slim\nRUN pip install poetry && poetry install --no-root\n"
                  "RUN pip install --no-cache-dir -e /src[database] && useradd -d /src abc\n")
    once, twice = migrated_twice({"Dockerfile": dockerfile, "setup.py": "from setuptools import setup\nsetup()\n"})
    assert "-e /src[database]" in once["Dockerfile"]
    assert twice == {}
