"""The builder stage ``dockvenv migrate`` writes: which files each of its steps mounts.

A code change must re-run as few steps as possible, so the lock export mounts only the
files it reads (and stays cached when only code changed) and the wheel build mounts the
context rather than copying it (no layer holds the source tree).  Where the export may read
more than that (a uv workspace, path dependencies), it runs in the wheel build's step with
the whole context.  The real engine runs these Dockerfiles in tests/test_e2e_docker.py; the
last test here runs the export of a fixture app with only the files its step mounts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dockvenv.cli import main
from dockvenv.dockerfile import Instruction, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VENV = "FROM python:3.12-slim\nRUN python -m venv /venv\nENV PATH=/venv/bin:$PATH\nWORKDIR /app\n"
PEP621 = ('[project]\nname = "app"\nversion = "1"\nreadme = "README.md"\ndependencies = ["click"]\n{extra}\n'
          '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
POETRY = ('[tool.poetry]\nname = "app"\nversion = "1"\ndescription = ""\nauthors = []\nreadme = "README.md"\n\n'
          '[tool.poetry.dependencies]\npython = "^3.11"\nclick = "^8"\n{extra}\n'
          '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n')


def builder_runs(tmp_path: Path, files: dict[str, str]) -> list[Instruction]:
    """The builder's RUN instructions after ``dockvenv migrate --yes`` of the project ``files``."""
    for rel, text in {"README.md": "# app\n", "app/__init__.py": "", **files}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert main(["migrate", "--yes", "--uv-version", "0.13.9", str(tmp_path)]) == 0
    df = parse((tmp_path / "Dockerfile").read_text(), "Dockerfile")
    builder = df.stages[0]
    assert builder.name == "dockvenv-builder"
    assert not [i for i in builder.instructions if i.cmd in ("COPY", "ADD")], "the builder copies the context"
    return [i for i in builder.instructions if i.cmd == "RUN" and i.flags]  # not the uv and Poetry installs


def mounts(ins: Instruction) -> list[str]:
    return [f.split("=", 1)[1] for f in ins.flags if f.startswith("--mount=")]


def command(ins: Instruction) -> str:
    return " ".join(ins.args.split())


def test_uv_lock_export_mounts_the_lock_and_pyproject_only(tmp_path: Path) -> None:
    export, build = builder_runs(tmp_path, {
        "pyproject.toml": PEP621.format(extra=""),
        "uv.lock": "version = 1\n",
        "Dockerfile": VENV + "COPY . .\nRUN uv sync --frozen --no-dev\n"})
    assert mounts(export) == ["type=bind,source=pyproject.toml,target=/src/pyproject.toml",
                              "type=bind,source=uv.lock,target=/src/uv.lock"]
    assert command(export).startswith("uv export --frozen")
    assert mounts(build) == ["type=bind,target=/src,rw", "type=cache,target=/root/.cache/uv"]
    assert command(build) == "uv build --wheel --out-dir /dist"


@pytest.mark.parametrize("extra", [
    '[tool.uv.workspace]\nmembers = ["libs/*"]\n',
    '[tool.uv.sources]\nshared = { path = "../shared" }\n',
], ids=["workspace", "path-source"])
def test_uv_export_that_reads_more_runs_with_the_whole_context(tmp_path: Path, extra: str) -> None:
    (build,) = builder_runs(tmp_path, {
        "pyproject.toml": PEP621.format(extra=extra), "uv.lock": "version = 1\n",
        "Dockerfile": VENV + "COPY . .\nRUN uv sync --frozen --no-dev\n"})
    assert mounts(build)[0] == "type=bind,target=/src,rw"
    assert "uv build --wheel" in command(build) and "uv export --frozen" in command(build)


def test_poetry_relock_mounts_the_readme_and_writes_only_the_lock(tmp_path: Path) -> None:
    export, build = builder_runs(tmp_path, {
        "pyproject.toml": POETRY.format(extra='pytest = "^8"\n'), "poetry.lock": "# lock\n",
        "Dockerfile": VENV + "COPY pyproject.toml poetry.lock ./\nRUN pip install poetry && poetry install --no-root\n"
                      "COPY . .\nRUN pip install --no-deps .\n"})
    # `poetry check --lock` insists on the declared README; `poetry lock` rewrites poetry.lock
    assert mounts(export) == ["type=bind,source=pyproject.toml,target=/src/pyproject.toml",
                              "type=bind,source=poetry.lock,target=/src/poetry.lock,rw",
                              "type=bind,source=README.md,target=/src/README.md"]
    assert command(export).startswith("mkdir -p /dist && (poetry check --lock || poetry lock) && poetry export")
    assert mounts(build)[0] == "type=bind,target=/src,rw"


def test_poetry_path_dependency_exports_with_the_whole_context(tmp_path: Path) -> None:
    (build,) = builder_runs(tmp_path, {
        "pyproject.toml": POETRY.format(extra='shared = { path = "libs/shared" }\n'), "poetry.lock": "# lock\n",
        "Dockerfile": VENV + "COPY . .\nRUN pip install poetry && poetry install\n"})
    assert "poetry export" in command(build) and mounts(build)[0] == "type=bind,target=/src,rw"


def test_pinned_requirements_are_copied_from_a_mount_of_that_file(tmp_path: Path) -> None:
    export, build = builder_runs(tmp_path, {
        "pyproject.toml": PEP621.format(extra=""), "requirements.txt": "click==8.1.7\n",
        "Dockerfile": VENV + "COPY . .\nRUN pip install -r requirements.txt && pip install .\n"})
    assert mounts(export) == ["type=bind,source=requirements.txt,target=/src/requirements.txt"]
    assert command(export) == "mkdir -p /dist && cp requirements.txt /dist/requirements.txt"
    assert command(build) == "uv build --wheel --out-dir /dist"


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed (a dev dependency)")
def test_the_export_runs_with_nothing_but_the_files_it_mounts(tmp_path: Path) -> None:
    """The uvlock-cli app, migrated: its export step succeeds in a folder holding only its mounts."""
    app = shutil.copytree(FIXTURES / "apps" / "uvlock-cli", tmp_path / "app")
    export = builder_runs(app, {})[0]
    src = tmp_path / "src"
    for m in mounts(export):
        opts = dict(kv.split("=", 1) for kv in m.split(",") if "=" in kv)
        dest = src / opts["target"].removeprefix("/src/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(app / opts["source"], dest)
    run = command(export).replace("/dist/", f"{tmp_path}/dist/")
    env = {**os.environ, "SSL_CERT_FILE": os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")}
    done = subprocess.run(run, shell=True, cwd=src, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    exported = [ln.split("==")[0] for ln in (tmp_path / "dist" / "requirements.txt").read_text().splitlines()
                if ln and not ln.startswith((" ", "#"))]
    assert exported == ["click"]  # mypy and pytest moved to dev, pruned from the export


def test_a_readme_the_context_leaves_out_is_not_mounted(tmp_path: Path) -> None:
    export, _build = builder_runs(tmp_path, {
        "pyproject.toml": POETRY.format(extra='pytest = "^8"\n'), "poetry.lock": "# lock\n",
        ".dockerignore": "*.md\n",
        "Dockerfile": VENV + "COPY . .\nRUN pip install poetry && poetry install --no-root\n"})
    assert [m.split(",")[1] for m in mounts(export)] == ["source=pyproject.toml", "source=poetry.lock"]


def test_a_lock_the_context_leaves_out_is_exported_as_before(tmp_path: Path) -> None:
    (build,) = builder_runs(tmp_path, {
        "pyproject.toml": PEP621.format(extra=""), "uv.lock": "version = 1\n", ".dockerignore": "uv.lock\n",
        "Dockerfile": VENV + "COPY . .\nRUN uv sync --frozen --no-dev\n"})
    assert "uv export --frozen" in command(build)


def wheel_install(tmp_path: Path, base: str, pyproject_extra: str = "", lock: bool = True) -> Instruction:
    files = {"pyproject.toml": PEP621.format(extra="") + pyproject_extra,
             "Dockerfile": VENV.replace("python:3.12-slim", base) + "COPY . .\nRUN pip install .\n"}
    if lock:
        files["uv.lock"] = "version = 1\n"
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    (tmp_path / "app").mkdir(exist_ok=True)
    assert main(["migrate", "--yes", "--uv-version", "0.13.9", str(tmp_path)]) == 0
    runtime = parse((tmp_path / "Dockerfile").read_text(), "Dockerfile").stages[-1]
    return [i for i in runtime.instructions if i.cmd == "RUN" and "target=/wheels" in " ".join(i.flags)][-1]


def test_the_wheel_after_a_lock_is_installed_by_the_builders_uv_on_an_official_python(tmp_path: Path) -> None:
    ins = wheel_install(tmp_path, "python:3.12-slim")
    assert mounts(ins) == ["from=dockvenv-builder,source=/dist,target=/wheels",
                           "from=dockvenv-builder,source=/usr/local/bin/uv,target=/usr/local/bin/uv",
                           "type=tmpfs,target=/tmp"]  # uv's lock file goes to the tmpfs, not into the layer
    assert command(ins) == "uv pip install --system --no-cache --no-deps --compile-bytecode /wheels/*.whl"


def test_uv_from_its_image_is_mounted_from_bin(tmp_path: Path) -> None:
    ins = wheel_install(tmp_path, "python:3.12-slim", '\n[tool.dockvenv]\nuv-source = "image"\n')
    assert "from=dockvenv-builder,source=/bin/uv,target=/usr/local/bin/uv" in mounts(ins)


@pytest.mark.parametrize(("base", "lock"), [
    ("ghcr.io/acme/python-base:3.12", True),  # where its pip puts uv is not known
    ("python:3.12-slim", False),  # the wheel's dependencies come from the index: pip and its configuration
], ids=["custom-base", "no-lock"])
def test_pip_installs_the_wheel_elsewhere(tmp_path: Path, base: str, lock: bool) -> None:
    ins = wheel_install(tmp_path, base, lock=lock)
    assert mounts(ins) == ["from=dockvenv-builder,source=/dist,target=/wheels"]
    assert command(ins).startswith("python3 -m pip install --no-cache-dir")
