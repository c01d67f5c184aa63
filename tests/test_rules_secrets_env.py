"""DV3xx (dotenv files in images) and DV5xx (environment: PEP 668, locks, BuildKit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockvenv.check import findings
from dockvenv.config import Settings
from dockvenv.project import read_project

RUNTIME = "FROM python:3.12-slim\nWORKDIR /app\n"


def check(tmp: Path, dockerfile: str, prefix: str, **files: str) -> list[tuple[str, str, int, str]]:
    (tmp / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_text(text)
    return [(f.code, f.path, f.line, f.message) for f in findings(read_project(tmp), Settings(select=(prefix,)))]


@pytest.mark.parametrize(("line", "src"), [
    ("COPY .env /app/.env", ".env"),
    ("COPY ./.env ./", "./.env"),
    ("ADD .env.production settings.py /app/", ".env.production"),
    ("COPY production.env ./.env", "production.env"),
    ("COPY config/.env_prod /app/", "config/.env_prod"),
    ('COPY [".env", "/app/"]', ".env"),
])
def test_dv301_env_copied(tmp_path: Path, line: str, src: str) -> None:
    cmd = line.split()[0]
    assert check(tmp_path, RUNTIME + line + "\n", "DV301") == [
        ("DV301", "Dockerfile", 3, f"{cmd} {src} puts a dotenv file into the image")]


@pytest.mark.parametrize("line", [
    "COPY .env.example /app/",
    "COPY .env.sample .env.template /app/",
    "COPY environment.py /app/",
    "COPY --from=builder /app/.env /app/.env",
    "COPY .envrc /app/",
])
def test_dv301_not_reported(tmp_path: Path, line: str) -> None:
    assert check(tmp_path, RUNTIME + line + "\n", "DV301") == []


def test_dv302_whole_context_with_env_and_no_dockerignore(tmp_path: Path) -> None:
    found = check(tmp_path, RUNTIME + "COPY . .\n", "DV302", **{".env": "A=1\n", ".env.example": "A=\n"})
    assert found == [("DV302", "Dockerfile", 3, "COPY of the whole context ships .env: .dockerignore does not exclude it")]


@pytest.mark.parametrize("ignore", [".env\n", ".env*\n!.env.example\n", "**/.env\n", "*\n!app.py\n", "/.env\n"])
def test_dv302_dockerignore_excludes_env(tmp_path: Path, ignore: str) -> None:
    assert check(tmp_path, RUNTIME + "COPY . .\n", "DV302", **{".env": "A=1\n", ".dockerignore": ignore}) == []


@pytest.mark.parametrize("ignore", ["", "*.pyc\n", ".env*\n!.env\n", "env\n"])
def test_dv302_dockerignore_lets_env_through(tmp_path: Path, ignore: str) -> None:
    found = check(tmp_path, RUNTIME + "COPY . .\n", "DV302", **{".env": "A=1\n", ".dockerignore": ignore})
    assert [(c, line) for c, _p, line, _m in found] == [("DV302", 3)]


def test_dv302_nested_env_file_and_dockerfile_specific_ignore(tmp_path: Path) -> None:
    files = {"config/prod.env": "A=1\n"}
    assert [m for *_x, m in check(tmp_path, RUNTIME + "COPY . .\n", "DV302", **files)] == [
        "COPY of the whole context ships config/prod.env: .dockerignore does not exclude it"]
    files["Dockerfile.dockerignore"] = "**/*.env\n"
    assert check(tmp_path, RUNTIME + "COPY . .\n", "DV302", **files) == []


def test_dv302_needs_an_env_file(tmp_path: Path) -> None:
    assert check(tmp_path, RUNTIME + "COPY . .\n", "DV302") == []


PEP668 = [
    ("ubuntu:24.04", "RUN apt-get update && apt-get install -y python3 python3-pip", True),
    ("ubuntu", "RUN apt-get install -y python3", True),
    ("debian:bookworm-slim", "RUN apt-get install -y python3-venv", True),
    ("debian:12", "RUN apt-get install -y python3", True),
    ("alpine:3.20", "RUN apk add --no-cache python3 py3-pip", True),
    ("docker.io/library/alpine:latest", "RUN apk add python3", True),
    ("ubuntu:24.04", "RUN apt-get install -y python3 && pip install --break-system-packages flask", False),
    ("ubuntu:24.04", "ENV PIP_BREAK_SYSTEM_PACKAGES=1\nRUN apt-get install -y python3", False),
    ("ubuntu:18.04", "RUN apt-get install -y python3-pip", False),
    ("ubuntu:jammy", "RUN apt-get install -y python3-pip", False),
    ("debian:bullseye", "RUN apt-get install -y python3-pip", False),
    ("alpine:3.13.0", "RUN apk add python3", False),
    ("python:3.12-slim", "RUN apt-get install -y python3", False),
    ("alpine:3.20", "RUN apk add curl", False),
]


@pytest.mark.parametrize(("base", "run", "expected"), PEP668, ids=[f"{b}|{r}" for b, r, _e in PEP668])
def test_dv501_pep668(tmp_path: Path, base: str, run: str, expected: bool) -> None:
    found = check(tmp_path, f"FROM {base}\n{run}\n", "DV501")
    assert found == ([("DV501", "Dockerfile", 1,
                       f"base {base} has a distro Python under PEP 668: installs need --break-system-packages")]
                     if expected else [])


def test_dv501_only_the_runtime_stage(tmp_path: Path) -> None:
    text = "FROM ubuntu:24.04 AS b\nRUN apt-get install -y python3\nFROM python:3.12-slim\n"
    assert check(tmp_path, text, "DV501") == []


PYPROJECT = '[project]\nname = "a"\nversion = "1"\ndependencies = ["flask>=3"]\n'


@pytest.mark.parametrize(("files", "expected"), [
    ({"pyproject.toml": PYPROJECT}, True),
    ({"pyproject.toml": PYPROJECT, "uv.lock": "version = 1\n"}, False),
    ({"pyproject.toml": PYPROJECT, "poetry.lock": ""}, False),
    ({"pyproject.toml": PYPROJECT, "requirements.txt": "flask==3.0.3\nwerkzeug==3.0.4 ; python_version >= '3.9'\n"}, False),
    ({"pyproject.toml": PYPROJECT,
      "requirements.txt": "flask==3.0.3 \\\n    --hash=sha256:abc\n# via app\n--index-url https://example.org\n"}, False),
    ({"pyproject.toml": PYPROJECT, "requirements.txt": "flask>=3\n"}, True),
    ({"pyproject.toml": PYPROJECT, "requirements-dev.txt": "pytest==8.0.0\n"}, True),
    ({"pyproject.toml": PYPROJECT, "requirements.txt": "-r base.txt\nflask==3.0.3\n", "base.txt": "six\n"}, True),
    ({"pyproject.toml": PYPROJECT, "requirements.txt": "-e .\n"}, True),
    ({"pyproject.toml": '[tool.poetry]\nname = "a"\n'}, False),
    ({}, False),
])
def test_dv502_no_lock(tmp_path: Path, files: dict[str, str], expected: bool) -> None:
    found = check(tmp_path, RUNTIME, "DV502", **files)
    assert found == ([("DV502", "pyproject.toml", 0, "no lock file: the image resolves dependency ranges at build time")]
                     if expected else [])


def test_dv502_needs_a_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    assert findings(read_project(tmp_path), Settings()) == []


@pytest.mark.parametrize(("text", "line", "used"), [
    ("RUN --mount=type=cache,target=/root/.cache pip install flask", 2, "--mount"),
    ("COPY --link app.py /app/", 2, "--link"),
    ("COPY --chmod=755 run.sh /", 2, "--chmod"),
    ("RUN <<EOF\necho hi\nEOF", 2, "heredoc"),
    ("RUN echo one\nRUN --network=none true\nRUN --mount=type=tmpfs,target=/t true", 3, "--network"),
])
def test_dv503_buildkit_syntax(tmp_path: Path, text: str, line: str, used: str) -> None:
    assert check(tmp_path, f"FROM python:3.12\n{text}\n", "DV503") == [
        ("DV503", "Dockerfile", line, f"{used} needs BuildKit but the file has no '# syntax=' line")]


@pytest.mark.parametrize("text", [
    "# syntax=docker/dockerfile:1\nFROM python:3.12\nRUN --mount=type=cache,target=/c true\n",
    "FROM python:3.12\nCOPY --from=b /a /a\nCOPY --chown=1:1 a /a\n",
])
def test_dv503_not_reported(tmp_path: Path, text: str) -> None:
    assert check(tmp_path, text, "DV503") == []
