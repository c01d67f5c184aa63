"""DV2xx: source-tree installs, whole-context copies, build tools and single-stage builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockvenv.check import findings
from dockvenv.config import Settings
from dockvenv.project import read_project


def check(tmp: Path, dockerfile: str, prefix: str = "DV2", **files: str) -> list[tuple[str, int, str]]:
    (tmp / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (tmp / name).write_text(text)
    return [(f.code, f.line, f.message) for f in findings(read_project(tmp), Settings(select=(prefix,)))]


BUILDER = "FROM python:3.12 AS builder\nRUN true\nFROM python:3.12-slim\nWORKDIR /app\n"

INSTALLS = [
    ("RUN pip install .", "runtime stage builds and installs the source tree '.'"),
    ("RUN pip install --no-cache-dir .[server]", "runtime stage builds and installs the source tree '.[server]'"),
    ("RUN pip install -e .", "runtime stage builds an editable install of the source tree '.'"),
    ("RUN pip install --editable=/src", "runtime stage builds an editable install of the source tree '/src'"),
    ("RUN python -m pip install /src", "runtime stage builds and installs the source tree '/src'"),
    ("RUN uv pip install --system .", "runtime stage builds and installs the source tree '.'"),
    ("RUN pip install -r requirements.txt", "runtime stage installs -r requirements.txt from the source tree, not a built wheel"),
    ("RUN pip install --requirement=req.txt", "runtime stage installs -r req.txt from the source tree, not a built wheel"),
    ("RUN uv pip install --requirements r.txt", "runtime stage installs -r r.txt from the source tree, not a built wheel"),
    ("ARG REQS=prod.txt\nRUN pip install -r $REQS", "runtime stage installs -r prod.txt from the source tree, not a built wheel"),
    ("RUN pip install -r req.txt > /tmp/pip.log 2>&1", "runtime stage installs -r req.txt from the source tree, not a built wheel"),
    ("RUN pip install . 2>&1 | tee /tmp/log", "runtime stage builds and installs the source tree '.'"),
]


@pytest.mark.parametrize(("line", "message"), INSTALLS, ids=[i[0] for i in INSTALLS])
def test_dv201_source_install_in_runtime_stage(tmp_path: Path, line: str, message: str) -> None:
    found = check(tmp_path, BUILDER + line + "\n", "DV201")
    assert found == [("DV201", 5 + line.count("\n"), message)]


@pytest.mark.parametrize("line", [
    "RUN pip install /wheels/app-1.0-py3-none-any.whl",
    "RUN pip install dist/*.whl",
    'RUN pip install "$(echo dist/*.whl)[otel]"',
    "RUN pip install /dist/app-1.0.tar.gz",
    "RUN pip install flask==3.0.0 gunicorn",
    "RUN --mount=from=builder,source=/app/dist,target=/wheels pip install /wheels/*.whl",
    "RUN --mount=type=bind,from=builder,source=/app,target=/src pip install -r /src/requirements.lock",
    "RUN /bin/bash -c 'pip install -r <(pipenv lock -r)'",
])
def test_dv201_not_reported_for_wheels_pins_and_mounts(tmp_path: Path, line: str) -> None:
    assert check(tmp_path, BUILDER + line + "\n", "DV201") == []


def test_dv201_builder_stage_installs_are_fine(tmp_path: Path) -> None:
    text = "FROM python:3.12 AS builder\nRUN pip install .\nRUN pip wheel -w /dist .\nFROM python:3.12-slim\nCMD [\"app\"]\n"
    assert check(tmp_path, text) == []


def test_dv201_stage_copied_whole_into_scratch_is_runtime(tmp_path: Path) -> None:
    text = "FROM python:3.12 AS build\nRUN pip install .\nFROM scratch\nCOPY --from=build / /\n"
    assert [c for c, _l, _m in check(tmp_path, text)] == ["DV201"]


@pytest.mark.parametrize("src", [".", "./", "'.'", "./*", "*"])
def test_dv202_whole_context(tmp_path: Path, src: str) -> None:
    found = check(tmp_path, BUILDER + f"COPY {src} /app\n", "DV202")
    assert found == [("DV202", 5, "whole build context copied into the runtime image at /app")]


def test_dv202_add_and_json_form(tmp_path: Path) -> None:
    assert [line for _c, line, _m in check(tmp_path, BUILDER + 'ADD . /srv\nCOPY [".", "/x"]\n', "DV202")] == [5, 6]


@pytest.mark.parametrize("line", ["COPY src/ /app/src", "COPY --from=builder . /app", "COPY pyproject.toml ./"])
def test_dv202_not_reported(tmp_path: Path, line: str) -> None:
    assert check(tmp_path, BUILDER + line + "\n", "DV202") == []


def test_dv202_not_reported_in_a_builder_stage(tmp_path: Path) -> None:
    assert check(tmp_path, "FROM python:3.12 AS b\nCOPY . .\nFROM python:3.12-slim\n", "DV202") == []


def test_dv202_allowlist_dockerignore_makes_context_explicit(tmp_path: Path) -> None:
    text = BUILDER + "COPY . .\n"
    assert check(tmp_path, text, "DV202", **{".dockerignore": "*\n!app.py\n!requirements.txt\n"}) == []
    assert len(check(tmp_path, text, "DV202", **{".dockerignore": ".git\n*.pyc\n"})) == 1


BUILD_TOOLS = [
    ("RUN pip install poetry", "build tool(s) poetry installed in the runtime image", True),
    ("RUN pip install --upgrade pip uv==0.5.0 build", "build tool(s) build, uv installed in the runtime image", True),
    ("COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/", "uv copied into the runtime image from ghcr.io/astral-sh/uv:0.5", True),
    ("RUN apt-get update && apt-get install -y gcc python3-dev",
     "compiler toolchain gcc, python3-dev installed in the runtime image", False),
    ("RUN apt-get -y install --no-install-recommends build-essential",
     "compiler toolchain build-essential installed in the runtime image", False),
    ("RUN dnf -y --nodocs install gcc", "compiler toolchain gcc installed in the runtime image", False),
    ("RUN apk add --no-cache build-base", "compiler toolchain build-base installed in the runtime image", False),
]


@pytest.mark.parametrize(("line", "message", "fixable"), BUILD_TOOLS, ids=[b[0] for b in BUILD_TOOLS])
def test_dv203_build_tools(tmp_path: Path, line: str, message: str, fixable: bool) -> None:
    (tmp_path / "Dockerfile").write_text(BUILDER + line + "\n")
    [f] = findings(read_project(tmp_path), Settings(select=("DV203",)))
    assert (f.line, f.message, f.fixable) == (5, message, fixable)


@pytest.mark.parametrize("line", [
    "RUN apt-get install -y make curl",
    "RUN apk add --no-cache --virtual .build-deps gcc musl-dev && pip install x && apk del .build-deps",
    "RUN apk add --virtual=build gcc && pip install x && apk del --purge build",
    "RUN pip install flask gunicorn",
    "RUN apt-get remove -y gcc",
])
def test_dv203_not_reported(tmp_path: Path, line: str) -> None:
    assert check(tmp_path, BUILDER + line + "\n", "DV203") == []


def test_dv203_builder_stage_may_hold_compilers(tmp_path: Path) -> None:
    text = "FROM python:3.12 AS b\nRUN apt-get install -y gcc && pip install poetry\nFROM python:3.12-slim\n"
    assert check(tmp_path, text) == []


def test_dv204_single_stage(tmp_path: Path) -> None:
    text = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install .\n"
    assert sorted((c, line) for c, line, _m in check(tmp_path, text)) == [("DV201", 4), ("DV202", 3), ("DV204", 1)]


@pytest.mark.parametrize("text", [
    "FROM python:3.12-slim\nRUN pip install flask\n",
    "FROM python:3.12 AS b\nRUN pip wheel -w /w .\nFROM python:3.12-slim\nRUN --mount=from=b,source=/w,target=/w pip install /w/*.whl\n",
])
def test_dv204_not_reported(tmp_path: Path, text: str) -> None:
    assert check(tmp_path, text, "DV204") == []
