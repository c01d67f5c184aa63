"""requirements.txt / Pipfile -> PEP 621 dependencies: before/after pairs, lines left out, includes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockvenv.packaging import requirements as reqs
from tests.packaging_support import make_project

KEPT = [
    ("flask==3.0.3", "flask==3.0.3"),
    ("Django>=4.2,<5", "Django>=4.2,<5"),
    ("requests[socks] ~= 2.31", "requests[socks] ~= 2.31"),
    ('pywin32==306 ; sys_platform == "win32"', 'pywin32==306 ; sys_platform == "win32"'),
    ("uvicorn==0.30.6  # the server", "uvicorn==0.30.6"),
    ("numpy==1.26.4 --hash=sha256:abc --hash=sha256:def", "numpy==1.26.4"),
    ("pkg @ https://example.com/pkg-1.0.tar.gz", "pkg @ https://example.com/pkg-1.0.tar.gz"),
    ("git+https://github.com/org/lib.git@v1.2#egg=lib", "lib @ git+https://github.com/org/lib.git@v1.2"),
    ("-e git+https://github.com/org/tool.git@main#egg=tool", "tool @ git+https://github.com/org/tool.git@main"),
    ("celery[redis]==5.3.6 \\\n    --hash=sha256:aaa", "celery[redis]==5.3.6"),
]

LEFT_OUT = [
    ("-e .", "editable"),
    ("--index-url https://pypi.example/simple", "pip option"),
    ("-i https://pypi.example/simple", "pip option"),
    ("--extra-index-url https://download.pytorch.org/whl/cpu", "pip option"),
    ("-c constraints.txt", "constraints"),
    ("./libs/local-pkg", "local path"),
    ("/wheels/pkg-1.0-py3-none-any.whl", "local path"),
    ("https://example.com/archive.zip", "#egg="),
    ("${PRIVATE_PKG}", "environment variables"),
    ("flask >>= 1", "not a PEP 508 requirement"),
]


@pytest.mark.parametrize(("line", "expected"), KEPT)
def test_kept_with_pins(tmp_path: Path, line: str, expected: str) -> None:
    project = make_project(tmp_path, {"requirements.txt": line + "\n"})
    read = reqs.read(project, ["requirements.txt"])
    assert [s.text for s in read.specs] == [expected]
    assert read.skipped == []


@pytest.mark.parametrize(("line", "why"), LEFT_OUT)
def test_left_out_with_a_reason(tmp_path: Path, line: str, why: str) -> None:
    project = make_project(tmp_path, {"requirements.txt": f"{line}\nflask==3.0.3\n"})
    read = reqs.read(project, ["requirements.txt"])
    assert [s.text for s in read.specs] == ["flask==3.0.3"]
    assert len(read.skipped) == 1 and why in read.skipped[0] and read.skipped[0].startswith("requirements.txt:1:")


def test_includes_followed_once_and_in_order(tmp_path: Path) -> None:
    project = make_project(tmp_path, {
        "requirements.txt": "-r requirements/base.txt\ngunicorn==22.0.0\n-r requirements/base.txt\n",
        "requirements/base.txt": "--requirement=common.txt\ndjango==4.2.16\n",
        "requirements/common.txt": "# comment only line\n\nsqlparse==0.5.1\n",
    })
    read = reqs.read(project, ["requirements.txt"])
    assert read.files == ["requirements.txt", "requirements/base.txt", "requirements/common.txt"]
    assert [s.text for s in read.specs] == ["gunicorn==22.0.0", "django==4.2.16", "sqlparse==0.5.1"]


def test_missing_include_is_reported(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"requirements.txt": "-r nothere.txt\nflask\n"})
    read = reqs.read(project, ["requirements.txt"])
    assert [s.text for s in read.specs] == ["flask"]
    assert read.skipped == ["nothere.txt: included but not found"]


def test_duplicates_kept_once(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"requirements.txt": "flask==3.0.3\nflask==3.0.3\n"})
    assert [s.text for s in reqs.read(project, ["requirements.txt"]).specs] == ["flask==3.0.3"]


def test_crlf_and_bom(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes("\ufeffflask==3.0.3\r\nclick>=8\r\n".encode())
    from dockvenv.project import read_project

    read = reqs.read(read_project(tmp_path), ["requirements.txt"])
    assert [s.text for s in read.specs] == ["flask==3.0.3", "click>=8"]


PIPFILE = """\
[[source]]
url = "https://pypi.org/simple"
name = "pypi"

[packages]
flask = "*"
requests = "==2.31.0"
celery = {version = ">=5", extras = ["redis"]}
lib = {git = "https://github.com/org/lib.git", ref = "v1"}
winonly = {version = "==1.0", markers = "sys_platform == 'win32'"}
local = {path = "./local", editable = true}

[dev-packages]
pytest = "*"
"""


def test_pipfile_packages(tmp_path: Path) -> None:
    read = reqs.from_pipfile(PIPFILE, "Pipfile")
    assert [s.text for s in read.specs] == [
        "flask", "requests==2.31.0", "celery[redis]>=5", "lib @ git+https://github.com/org/lib.git@v1",
        "winonly==1.0; sys_platform == 'win32'",
    ]
    assert read.skipped == ["Pipfile: local (a local path or an editable install)"]
