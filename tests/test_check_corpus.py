"""``dockvenv check`` on the shared corpus of real projects.

Every project must be checked without an error (exit 0 or 1), and for the projects
below the findings are asserted exactly: each expectation was decided by reading the
Dockerfile, not by copying the tool's output (the comment says why where it is not
obvious).  The corpus keeps only packaging files, so "no lock" and "no .env" are
judged on what the corpus holds.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from dockvenv.check import findings
from dockvenv.cli import main
from dockvenv.config import load
from dockvenv.project import read_project
from tests.conftest import CORPUS, ROOT, corpus_projects, needs_corpus


def found(project: Path) -> list[tuple[str, str, int]]:
    proj = read_project(project)
    return sorted((f.code, f.path, f.line) for f in findings(proj, load(proj.text("pyproject.toml"))))


@needs_corpus
@pytest.mark.parametrize("project", corpus_projects(), ids=lambda p: p.name)
def test_check_never_fails_on_a_corpus_project(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(project)])  # any exception other than exit 2 propagates: a traceback
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert err == ""
    assert (code == 1) == bool(out.strip())


@needs_corpus
def test_check_whole_corpus_in_one_process_exits_1_without_stderr() -> None:
    run = subprocess.run([sys.executable, "-m", "dockvenv", "check", "--format", "json",
                          *map(str, corpus_projects())], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    assert run.stderr == ""
    assert "Traceback" not in run.stdout


EXPECTED: dict[str, list[tuple[str, str, int]]] = {
    # A stage *named* venv is no virtualenv: no DV1xx. gcc sits in the base stage the final
    # image is built from; requirements.pip is pip-compile output, fully pinned, so no DV502.
    "python-discord__snekbox": [
        ("DV203", "Dockerfile", 26),
        ("DV201", "Dockerfile", 47),
        ("DV201", "Dockerfile", 75),  # pip install /snekbox_src[...] from a bind mount of the context
        ("DV503", "Dockerfile.pydis", 9),  # COPY --link, no '# syntax='
    ],
    # pip install --user and COPY ~/.local between stages: no venv anywhere.
    "freqtrade__freqtrade": [
        ("DV203", ".github/.devcontainer/Dockerfile", 9),  # apt-get -y install ... build-essential
        ("DV201", ".github/.devcontainer/Dockerfile", 18),
        ("DV201", ".github/.devcontainer/Dockerfile", 18),
        ("DV202", "Dockerfile", 50),
        ("DV201", "Dockerfile", 52),
        ("DV202", "docker/Dockerfile.armhf", 50),
        ("DV201", "docker/Dockerfile.armhf", 52),
        ("DV201", "docker/Dockerfile.develop", 6),
        ("DV201", "docker/Dockerfile.freqai", 8),
        ("DV201", "docker/Dockerfile.freqai_rl", 8),
        ("DV201", "docker/Dockerfile.plot", 8),
        ("DV502", "pyproject.toml", 0),  # requirements.txt has httpx>=0.24.1: not a lock
    ],
    # pip install --prefix=/install, copied to /usr/local: no venv, no source install at run time.
    "pypiserver__pypiserver": [
        ("DV502", "pyproject.toml", 0),
    ],
    # ENV VIRTUAL_ENV=./venv relative to WORKDIR /src.
    "kripoochek__Yandex-Backend-Task": [
        ("DV103", "Dockerfile", 4),
        ("DV101", "Dockerfile", 5),
        ("DV103", "Dockerfile", 6),
        ("DV201", "Dockerfile", 10),
        ("DV401", "requirements.txt", 13),  # pytest==7.1.2, installed into the image
    ],
    # '. .venv/bin/activate' (and 'source' under SHELL bash) in every RUN; HEALTHCHECK uses the
    # venv's executable. `make` in the base is a runtime tool, not a compiler. Pinned
    # requirements-runtime.txt is a lock.
    "localstack__localstack": [
        ("DV503", "Dockerfile", 8),
        ("DV101", "Dockerfile", 110),
        ("DV102", "Dockerfile", 110),
        ("DV102", "Dockerfile", 119),
        ("DV105", "Dockerfile", 127),
        ("DV102", "Dockerfile", 140),
        ("DV201", "Dockerfile", 140),
        ("DV102", "Dockerfile", 146),
        ("DV102", "Dockerfile", 151),
        ("DV102", "Dockerfile", 154),
        ("DV104", "Dockerfile", 173),
        ("DV503", "Dockerfile.s3", 11),
        ("DV101", "Dockerfile.s3", 55),
        ("DV102", "Dockerfile.s3", 55),
        ("DV102", "Dockerfile.s3", 64),
        ("DV105", "Dockerfile.s3", 74),
        ("DV102", "Dockerfile.s3", 87),
        ("DV201", "Dockerfile.s3", 87),
        ("DV102", "Dockerfile.s3", 93),
        ("DV104", "Dockerfile.s3", 104),
        ("DV402", "requirements-runtime.txt", 306),  # responses: pip-compile output, kept and reported
    ],
    # virtualenv --download /isso + activate; the builder's tools (pip install virtualenv,
    # gcc) stay in the builder.
    "isso-comments__isso": [
        ("DV101", "Dockerfile", 49),
        ("DV102", "Dockerfile", 49),
        ("DV102", "Dockerfile", 57),
        ("DV503", "Dockerfile", 57),
        ("DV102", "Dockerfile", 70),
        ("DV105", "Dockerfile", 81),
        ("DV104", "Dockerfile", 99),
        ("DV502", "pyproject.toml", 0),
    ],
    # ENV PATH="/opt/venv/bin":$PATH (odd quoting); Dockerfile.full has CRLF line endings.
    # alpine:3.13 predates PEP 668: no DV501.
    "smicallef__spiderfoot": [
        ("DV101", "Dockerfile", 42),
        ("DV103", "Dockerfile", 43),
        ("DV202", "Dockerfile", 75),
        ("DV105", "Dockerfile", 76),
        ("DV103", "Dockerfile", 77),
        ("DV104", "Dockerfile", 84),
        ("DV202", "Dockerfile.full", 82),
        ("DV103", "Dockerfile.full", 84),
        ("DV103", "Dockerfile.full", 86),
        ("DV101", "Dockerfile.full", 87),
        ("DV201", "Dockerfile.full", 99),
        ("DV201", "Dockerfile.full", 105),
    ],
    # POETRY_VIRTUALENVS_IN_PROJECT puts poetry's venv at $PYSETUP_PATH/.venv = $VENV_PATH.
    "michaeloliverx__python-poetry-docker-example": [
        ("DV103", "docker/Dockerfile", 18),  # $VENV_PATH/bin after $POETRY_HOME/bin
        ("DV106", "docker/Dockerfile", 36),
        ("DV105", "docker/Dockerfile", 46),  # $PYSETUP_PATH holds the venv
        ("DV106", "docker/Dockerfile", 54),
        ("DV105", "docker/Dockerfile", 84),  # COPY --from=builder-base $VENV_PATH $VENV_PATH
    ],
    # python3 -m venv --system-site-packages --without-pip /venv; /venv/bin/python3 -m pip.
    "pgadmin-org__pgadmin4": [
        ("DV503", "Dockerfile", 39),
        ("DV101", "Dockerfile", 76),
        ("DV104", "Dockerfile", 76),
        ("DV104", "Dockerfile", 87),
        ("DV104", "Dockerfile", 88),
        ("DV104", "Dockerfile", 97),
        ("DV105", "Dockerfile", 172),
        ("DV104", "Dockerfile", 195),
    ],
    # python3 -m venv "$(dirname "${PSR_VENV_BIN}")" and "${PSR_VENV_BIN}/pip"; COPY . ./ is
    # not reported: .dockerignore is '*' plus two named files.
    "python-semantic-release__python-semantic-release": [
        ("DV101", "src/gh_action/Dockerfile", 14),
        ("DV104", "src/gh_action/Dockerfile", 14),  # ${PSR_VENV_BIN}/pip
        ("DV104", "src/gh_action/Dockerfile", 14),  # ${PSR_VENV_BIN}/semantic-release inside bash -c
        ("DV201", "src/gh_action/Dockerfile", 14),
        ("DV203", "src/gh_action/Dockerfile", 14),  # wheel
        ("DV203", "src/gh_action/Dockerfile", 14),  # gcc, python3-dev
    ],
    # COPY production.env ./.env
    "EdixonAlberto__api-blog-platzi": [
        ("DV301", "dockerfile", 8),
        ("DV201", "dockerfile", 10),
    ],
    "kdvillavicencio__sandbox-ai": [
        ("DV101", "Dockerfile", 2),
        ("DV103", "Dockerfile", 3),
        ("DV105", "Dockerfile", 11),
        ("DV103", "Dockerfile", 13),
    ],
    "psf__black": [
        ("DV103", "Dockerfile", 5),
        ("DV103", "Dockerfile", 10),
        ("DV101", "Dockerfile", 11),
        ("DV105", "Dockerfile", 24),
        ("DV103", "Dockerfile", 25),
        ("DV104", "Dockerfile", 27),
        ("DV502", "pyproject.toml", 0),
    ],
    # ubuntu:18.04 predates PEP 668; '-r <(pipenv lock -r)' reads a lock through a pipe.
    "postmanlabs__httpbin": [
        ("DV204", "Dockerfile", 1),
        ("DV203", "Dockerfile", 11),
        ("DV202", "Dockerfile", 17),
        ("DV201", "Dockerfile", 18),
    ],
    "iisidorov__rocketdata_test": [
        ("DV201", "Dockerfile", 5),
        ("DV202", "Dockerfile", 6),
        ("DV301", "Dockerfile", 7),
    ],
    # FROM scratch + COPY --from=build / /: the build stage *is* the runtime image. Its
    # compilers come and go in one RUN (apk add --virtual .build ... apk del .build).
    "squidfunk__mkdocs-material": [
        ("DV201", "Dockerfile", 41),
        ("DV402", "requirements.txt", 24),  # mkdocs: the image's ENTRYPOINT runs it
        ("DV402", "requirements.txt", 25),  # mkdocs-material-extensions: the project is a dev tool itself
        ("DV502", "pyproject.toml", 0),
    ],
    # Dockerfile.otel installs "$(echo dist/*.whl)[otel]": a built wheel, not the source tree.
    "locustio__locust": [
        ("DV101", "Dockerfile", 20),
        ("DV103", "Dockerfile", 21),
        ("DV105", "Dockerfile", 40),
        ("DV103", "Dockerfile", 41),
        ("DV101", "Dockerfile.ci", 10),
        ("DV103", "Dockerfile.ci", 11),
        ("DV105", "Dockerfile.ci", 19),
        ("DV103", "Dockerfile.ci", 20),
        ("DV402", "pyproject.toml", 51),  # pytest: locust is a pytest plugin (pytest11), so it stays
        ("DV502", "pyproject.toml", 0),
    ],
    # uv venv (no path) and uv pip install --requirements X --requirements Y.
    "searxng__searxng": [
        ("DV503", ".devcontainer/Dockerfile", 7),
        ("DV101", "container/builder.dockerfile", 10),
        ("DV201", "container/builder.dockerfile", 10),
        ("DV201", "container/builder.dockerfile", 10),
        ("DV503", "container/builder.dockerfile", 10),
        ("DV105", "container/dist.dockerfile", 7),
    ],
    "kiwitcms__Kiwi": [
        ("DV103", "Dockerfile", 11),
        ("DV103", "Dockerfile", 11),
        ("DV101", "Dockerfile", 27),
        ("DV105", "Dockerfile", 58),
    ],
}


@needs_corpus
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_project_findings_exactly(name: str) -> None:
    assert found(CORPUS / name) == sorted(EXPECTED[name])


@needs_corpus
def test_corpus_messages_name_the_resolved_venv() -> None:
    by_line = {(f.code, f.path, f.line, f.message) for f in findings(
        read_project(CORPUS / "python-semantic-release__python-semantic-release"), load(None))}
    assert ("DV101", "src/gh_action/Dockerfile", 14, "virtualenv created in the image at /opt/psr/.venv") in by_line
    kripo = findings(read_project(CORPUS / "kripoochek__Yandex-Backend-Task"), load(None))
    assert [f.message for f in kripo if f.code == "DV101"] == ["virtualenv created in the image at /src/venv"]
    snek = findings(read_project(CORPUS / "python-discord__snekbox"), load(None))
    assert not [f for f in snek if f.code.startswith("DV1")]


@needs_corpus
def test_enough_corpus_projects_are_pinned_exactly() -> None:
    present = [name for name in EXPECTED if (CORPUS / name).is_dir()]
    assert len(present) >= 10


@needs_corpus
def test_corpus_findings_doc_is_current() -> None:
    spec = importlib.util.spec_from_file_location("corpus_findings", ROOT / "bench" / "corpus_findings.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (ROOT / "docs" / "corpus-findings.md").read_text(encoding="utf-8")
    assert committed == module.markdown(CORPUS), "run: python bench/corpus_findings.py"
