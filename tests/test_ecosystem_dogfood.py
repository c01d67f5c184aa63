"""dockvenv on itself: the repository checks clean, its Dockerfile is exactly what
``dockvenv migrate`` writes, ``exclude`` keeps the fixtures out, and the image builds and runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from dockvenv.cli import main
from dockvenv.config import Settings, documented_fields, load
from dockvenv.project import excluded, is_dockerfile, read_project

ROOT = Path(__file__).resolve().parents[1]

# What a first, naive Dockerfile for dockvenv looks like; `dockvenv migrate` turns it into ../Dockerfile.
BEFORE = """\
# syntax=docker/dockerfile:1
# dockvenv's own image, written by `dockvenv migrate` from a venv Dockerfile (the one in
# tests/test_ecosystem_dogfood.py); docs/how-it-decides.md explains every line.
#   docker build -t dockvenv .
#   docker run --rm -v "$PWD:/work" dockvenv check .
FROM python:3.12-slim
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
COPY . /src
RUN pip install /src
WORKDIR /work
ENTRYPOINT ["/opt/venv/bin/dockvenv"]
CMD ["--help"]
"""


def dockvenv(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dockvenv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_check_on_this_repository_finds_nothing() -> None:
    done = dockvenv("check", ".")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_no_migration_is_pending_in_this_repository() -> None:
    done = dockvenv("migrate", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "would change" not in done.stdout


def test_the_dockerfile_is_exactly_what_migrate_writes(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "README.md", "LICENSE", ".dockerignore"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "Dockerfile").write_text(BEFORE)
    done = dockvenv("migrate", "--yes", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "Dockerfile").read_text() == (ROOT / "Dockerfile").read_text()
    assert (tmp_path / ".dockerignore").read_text() == (ROOT / ".dockerignore").read_text()  # nothing to add


def test_the_dockerfile_has_the_pattern_of_the_brief() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("# syntax=docker/dockerfile:1\nFROM python:3.12-slim AS dockvenv-builder\n")
    for line in ("RUN python3 -m pip install --no-cache-dir uv==0.13.9", ("RUN --mount=type=bind,target=/src,rw \\\n"
                  "    --mount=type=cache,target=/root/.cache/uv \\\n"
                  "    uv build --wheel --out-dir /dist"),
                 ("RUN --mount=from=dockvenv-builder,source=/dist,target=/wheels \\\n"
                  "    python3 -m pip install --no-cache-dir /wheels/*.whl"),
                 'ENTRYPOINT ["dockvenv"]'):
        assert line in text
    assert text.count("\nFROM python:3.12-slim\n") == 1  # the runtime stage


def test_the_build_context_holds_what_the_wheel_needs_and_no_secrets() -> None:
    lines = [ln for ln in (ROOT / ".dockerignore").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "*"  # an allow list: fixtures, tests and caches stay out of the context
    assert {"!pyproject.toml", "!README.md", "!LICENSE", "!src/"} <= set(lines)
    assert lines.index(".env*") > lines.index("!src/")  # later lines win: .env stays out, even under src/


# -- exclude ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "rel", "expected"), [
    ("fixtures/**", "fixtures/apps/x/Dockerfile", True),
    ("fixtures/**", "fixtures", False),  # the folder itself is walked, everything in it skipped
    ("fixtures", "fixtures/apps/x/Dockerfile", True),  # a matching folder is skipped whole
    ("tests/data", "tests/database/Dockerfile", False),
    ("*.Dockerfile", "api.Dockerfile", True),
    ("*.Dockerfile", "docker/api.Dockerfile", False),  # * stays in one folder
    ("**/legacy", "services/a/legacy/Dockerfile", True),
    ("**/legacy", "legacy/Dockerfile", True),
    ("services/**/Dockerfile.dev", "services/a/b/Dockerfile.dev", True),
    ("a?c/Dockerfile", "abc/Dockerfile", True),
    ("a?c/Dockerfile", "a/c/Dockerfile", False),
    ("/fixtures/", "fixtures/x", True),  # slashes around a pattern change nothing
])
def test_exclude_globs(pattern: str, rel: str, expected: bool) -> None:
    assert excluded(rel, [pattern]) is expected


def test_read_project_skips_excluded_paths_but_knows_they_exist(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    bad = tmp_path / "fixtures" / "broken"
    bad.mkdir(parents=True)
    (bad / "Dockerfile").write_bytes(b"\xff\xfe not utf-8")  # would be an InputError if read
    (bad / ".env").write_text("X=1\n")
    (tmp_path / "legacy.Dockerfile").write_text("FROM python:3.12-slim\n")
    project = read_project(tmp_path, exclude=("fixtures/**", "legacy.*"))
    assert project.dockerfiles == ("Dockerfile",)
    assert project.env_files == ()
    assert project.exists("fixtures/broken") and project.exists("legacy.Dockerfile")


def test_exclude_is_a_documented_setting_and_the_cli_applies_it(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert "exclude" in {name for name, _default, _doc in documented_fields()}
    assert load('[tool.dockvenv]\nexclude = ["a/**"]\n').exclude == ("a/**",)
    assert Settings().exclude == ()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text("FROM python:3.12-slim\nRUN python -m venv /v\n")
    assert main(["check", str(tmp_path)]) == 1
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n\n'
                                             '[tool.dockvenv]\nexclude = ["a/**"]\nignore = ["DV502"]\n')
    capsys.readouterr()
    assert main(["check", str(tmp_path)]) == 0
    assert main(["migrate", "--check", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_a_bad_exclude_value_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.dockvenv]\nexclude = [1]\n')
    assert main(["check", str(tmp_path)]) == 2
    assert "exclude must be a list of strings" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["dockerfile.py", "Dockerfile.py"])
def test_python_modules_named_dockerfile_are_not_dockerfiles(name: str) -> None:
    assert not is_dockerfile(name)  # dockvenv's own src/dockvenv/dockerfile.py was read as one


# -- the image, on a real engine ------------------------------------------------------------------

def _engine() -> str | None:
    """Why no engine is usable here, or None."""
    from tests import e2e

    try:
        e2e.check_engine()
    except e2e.DockerUnavailable as exc:
        return str(exc)
    return None


@pytest.mark.docker
def test_the_image_builds_and_runs_dockvenv() -> None:
    why = _engine()
    if why:
        pytest.skip(f"no Docker engine: {why}")
    from tests import e2e

    e2e.ensure_base_images()
    tag = f"dv-ecosystem-self:{uuid.uuid4().hex[:8]}"
    try:
        built = e2e.build(ROOT, tag)
        assert built.ok, built.tail()
        done = e2e.docker("run", "--rm", tag)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("usage: dockvenv ")
        assert "dockvenv migrate --interactive ." in done.stdout
        fixture = ROOT / "fixtures" / "check" / "activation"
        done = e2e.docker("run", "--rm", "-v", f"{fixture}:/work:ro", tag, "check", ".")
        assert done.returncode == 1, done.stderr
        assert "DV101" in done.stdout and done.stdout.rstrip().endswith("fixable with `dockvenv migrate`).")
        probe = e2e.docker("run", "--rm", "--entrypoint", "sh", tag, "-c",
                           "ls -d /opt/venv /src /dist 2>/dev/null; command -v uv; "
                           "python3 -m pip list 2>/dev/null | grep -iE '^(pytest|uv|hatchling) ' || true")
        assert probe.stdout.strip() == "", probe.stdout  # no venv, no source tree, no build tools
    finally:
        e2e.remove_images(tag)


def test_the_image_test_is_selected_by_the_docker_marker() -> None:
    marks = {m.name for m in getattr(test_the_image_builds_and_runs_dockvenv, "pytestmark", [])}
    assert "docker" in marks
    assert os.access(ROOT / "scripts" / "docker-build", os.X_OK)
