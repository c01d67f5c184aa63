"""The projects in fixtures/check/: each one's findings, exactly (code, path, line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockvenv.check import findings
from dockvenv.cli import main
from dockvenv.config import load
from dockvenv.project import read_project
from tests.conftest import FIXTURES

CHECK = FIXTURES / "check"


def found(project: Path) -> list[tuple[str, str, int]]:
    proj = read_project(project)
    return sorted((f.code, f.path, f.line) for f in findings(proj, load(proj.text("pyproject.toml"))))


EXPECTED: dict[str, list[tuple[str, str, int]]] = {
    "venv-multistage": [
        ("DV101", "Dockerfile", 6),  # python -mvenv /opt/venv
        ("DV103", "Dockerfile", 7),  # ENV VIRTUAL_ENV=/opt/venv
        ("DV103", "Dockerfile", 8),  # legacy ENV PATH /opt/venv/bin:$PATH
        ("DV104", "Dockerfile", 11),  # /opt/venv/bin/pip install
        ("DV105", "Dockerfile", 15),  # COPY --from=builder /opt/venv /opt/venv
        ("DV103", "Dockerfile", 16),  # ENV PATH="/opt/venv/bin:${PATH}"
        ("DV104", "Dockerfile", 18),  # HEALTHCHECK CMD /opt/venv/bin/python
        ("DV104", "Dockerfile", 19),  # CMD ["/opt/venv/bin/gunicorn", ...]
    ],
    "lookalikes": [],
    "activation": [
        ("DV101", "Dockerfile", 4),  # python3 -m venv venv (relative to WORKDIR /srv)
        ("DV102", "Dockerfile", 5),  # source venv/bin/activate after SHELL ["/bin/bash", ...]
        ("DV102", "Dockerfile", 6),  # bash -c ". ./venv/bin/activate && ..."
        ("DV101", "Dockerfile", 7),  # virtualenv /opt/tools
        ("DV203", "Dockerfile", 7),  # pip install virtualenv in the (only) runtime stage
        ("DV101", "Dockerfile", 8),  # sh -c "uv venv && ..."
        ("DV102", "Dockerfile", 8),
        ("DV103", "Dockerfile", 9),  # ENV PATH=$PATH:/srv/venv/bin (appended)
        ("DV104", "Dockerfile", 11),  # ENTRYPOINT sh -c "exec ./venv/bin/python app.py"
    ],
    "dotenv": [
        ("DV302", "Dockerfile", 2),  # COPY . /src in the builder: .env reaches a layer too
        ("DV301", "Dockerfile", 8),  # COPY config/prod.env /app/.env
        ("DV301", "Dockerfile", 9),  # ADD .env.production settings.ini /app/
        ("DV202", "Dockerfile", 10),
        ("DV302", "Dockerfile", 10),
        ("DV503", "Dockerfile", 11),  # RUN --mount without '# syntax='
    ],
    "suppressed": [
        ("DV104", "Dockerfile", 8),  # the only line left unsilenced; DV5xx ignored in pyproject.toml
    ],
    "layouts": [
        ("DV101", ".devcontainer/Dockerfile", 2),
        ("DV101", "Containerfile", 2),
        ("DV101", "Dockerfile", 2),
        ("DV101", "Dockerfile.dev", 2),
        ("DV101", "docker/Dockerfile.prod", 2),
        ("DV101", "worker.Dockerfile", 2),
    ],
    "crlf-bom": [
        ("DV101", "Dockerfile", 2),
        ("DV104", "Dockerfile", 2),
        ("DV105", "Dockerfile", 6),
        ("DV103", "Dockerfile", 7),
    ],
}


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in CHECK.iterdir() if p.is_dir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_findings_exactly(name: str) -> None:
    assert found(CHECK / name) == sorted(EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_exit_code(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(CHECK / name)]) == (1 if EXPECTED[name] else 0)
    out, err = capsys.readouterr()
    assert err == ""
    assert bool(out) == bool(EXPECTED[name])


def test_crlf_fixture_really_has_bom_and_crlf() -> None:
    data = (CHECK / "crlf-bom" / "Dockerfile").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == data.count(b"\n")


def test_lookalike_fixture_really_holds_the_traps() -> None:
    text = (CHECK / "lookalikes" / "Dockerfile").read_text()
    for trap in ("AS venv", "--prefix=/install", "--user", "--target", "/root/.local/bin", "python -m venv"):
        assert trap in text
