"""Build contexts (contexts.resolve), the projects a Dockerfile installs (projects.installed_projects)
and ``dockvenv migrate --context DIR``.

Each case is a small repository written to a temporary folder and read with read_project,
as the pipeline reads it.  Known mistakes of the rewrite that show only in monorepos are
strict xfails at the end, each a minimal repro.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockvenv import contexts
from dockvenv.cli import main
from dockvenv.dockerfile import parse
from dockvenv.project import Project, read_project
from dockvenv.projects import installed_projects

PYPROJECT = '[project]\nname = "{name}"\nversion = "1"\n\n[build-system]\nrequires = ["hatchling"]\n' \
            'build-backend = "hatchling.build"\n'
VENV_DOCKERFILE = "FROM python:3.12-slim\nRUN python -m venv /venv\nENV PATH=/venv/bin:$PATH\nWORKDIR /app\n"


def repo(tmp_path: Path, files: dict[str, str]) -> Project:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return read_project(tmp_path)


def resolve(project: Project, path: str, override: str | None = None) -> contexts.Context:
    return contexts.resolve(project, path, parse(project.text(path) or "", path), override)


def installed(project: Project, path: str, context: str) -> list[str]:
    return [i.folder for i in installed_projects(project, context, parse(project.text(path) or "", path))]


def pyproject(name: str) -> str:
    return PYPROJECT.format(name=name)


# -- compose -----------------------------------------------------------------------------------


def test_compose_build_mapping_gives_context_dockerfile_and_target(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        "docker-compose.yml": "services:\n  api:\n    build:\n      context: ./services/api\n"
                              "      dockerfile: docker/Dockerfile\n      target: runtime\n"
                              "  tests:\n    build:\n      context: services/api\n"
                              "      dockerfile: docker/Dockerfile\n      target: test\n",
        "services/api/docker/Dockerfile": "FROM python AS test\nFROM python AS runtime\nCOPY . .\n",
    })
    assert resolve(p, "services/api/docker/Dockerfile") == contexts.Context(
        "services/api", "docker-compose.yml: service 'api' builds it", ("runtime", "test"))


def test_compose_build_string_and_compose_file_in_a_subfolder(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        "compose.yaml": "services:\n  web:\n    build: ./web\n",
        "deploy/compose.prod.yml": "services:\n  worker:\n    build:\n      context: ..\n"
                                   "      dockerfile: worker/Dockerfile\n",
        "web/Dockerfile": "FROM python\nCOPY . .\n",
        "worker/Dockerfile": "FROM python\nCOPY . .\n",
    })
    assert resolve(p, "web/Dockerfile").folder == "web"
    got = resolve(p, "worker/Dockerfile")
    assert (got.folder, got.evidence) == ("", "deploy/compose.prod.yml: service 'worker' builds it")


@pytest.mark.parametrize("context", ["${API_DIR}", "https://github.com/x/y.git#main", "$PWD"])
def test_compose_context_unknown_before_build_time_is_no_evidence(tmp_path: Path, context: str) -> None:
    p = repo(tmp_path, {
        "compose.yaml": f"services:\n  api:\n    build:\n      context: '{context}'\n",
        "Dockerfile": "FROM python\nCOPY pyproject.toml .\n", "pyproject.toml": pyproject("x"),
    })
    assert resolve(p, "Dockerfile").evidence == "the folder holding the files its COPY/ADD name"


def test_compose_wins_over_ci_whatever_the_file_names(tmp_path: Path) -> None:
    """The module's order of evidence, not the order of paths (.github sorts before compose)."""
    p = repo(tmp_path, {
        ".github/workflows/ci.yml": "jobs:\n  b:\n    steps:\n      - run: docker build -f app/Dockerfile .\n",
        "compose.yaml": "services:\n  app:\n    build: app\n",
        "app/Dockerfile": "FROM python\nCOPY . .\n",
    })
    assert resolve(p, "app/Dockerfile").folder == "app"


# -- CI and Makefiles --------------------------------------------------------------------------------


def test_workflow_run_across_continuation_lines_with_github_expressions(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        ".github/workflows/image.yml": "jobs:\n  b:\n    steps:\n      - run: |\n"
                                       "          docker build \\\n            -f docker/Dockerfile \\\n"
                                       "            --target app \\\n"
                                       "            -t ghcr.io/x/y:${{ github.sha }} \\\n            .\n",
        "docker/Dockerfile": "FROM python AS app\nCOPY . .\n",
    })
    assert resolve(p, "docker/Dockerfile") == contexts.Context(
        "", ".github/workflows/image.yml: 'docker build' builds it", ("app",))


def test_workflow_working_directory_of_step_and_job(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        ".github/workflows/a.yml": "jobs:\n  a:\n    steps:\n      - run: docker build -t a .\n"
                                   "        working-directory: ./services/a\n",
        ".github/workflows/b.yml": "jobs:\n  b:\n    defaults:\n      run:\n        working-directory: services\n"
                                   "    steps:\n      - run: docker buildx build --file=b/Dockerfile --target=prod b\n",
        "services/a/Dockerfile": "FROM python\nCOPY . .\n",
        "services/b/Dockerfile": "FROM python AS prod\nCOPY . .\n",
    })
    assert resolve(p, "services/a/Dockerfile").folder == "services/a"
    assert resolve(p, "services/b/Dockerfile") == contexts.Context(
        "services/b", ".github/workflows/b.yml: 'docker build' builds it", ("prod",))


def test_build_push_action(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        ".github/workflows/release.yml": "jobs:\n  r:\n    steps:\n      - uses: docker/build-push-action@v6\n"
                                         "        with:\n          context: .\n          file: backend/Dockerfile\n"
                                         "          target: production\n"
                                         "      - uses: docker/build-push-action@v6\n        with:\n"
                                         "          context: ${{ matrix.dir }}\n",
        "backend/Dockerfile": "FROM python AS production\nCOPY backend/app /app\n",
    })
    assert resolve(p, "backend/Dockerfile") == contexts.Context(
        "", ".github/workflows/release.yml: docker/build-push-action builds it", ("production",))


def test_makefile_runs_in_its_own_folder_and_gitlab_at_the_root(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        "services/api/Makefile": "image:\n\tdocker build -f docker/Dockerfile -t api .\n",
        ".gitlab-ci.yml": "build:\n  script:\n    - docker build -t w -f worker/Dockerfile worker --network host\n",
        "services/api/docker/Dockerfile": "FROM python\nCOPY . .\n",
        "worker/Dockerfile": "FROM python\nCOPY . .\n",
    })
    assert resolve(p, "services/api/docker/Dockerfile").folder == "services/api"
    assert resolve(p, "worker/Dockerfile").folder == "worker"  # --network's value is not the context


def test_a_build_of_another_dockerfile_is_no_evidence(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        "Makefile": "a:\n\tdocker build -f other/Dockerfile .\n\tpodman build $(CTX)\n",
        "app/Dockerfile": "FROM python\nCOPY . .\n",
    })
    assert resolve(p, "app/Dockerfile") == contexts.Context("app", "the folder holding the files its COPY/ADD name")


# -- from the COPY sources, and --context ------------------------------------------------------------


def test_sources_pick_the_nearest_folder_holding_the_most(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        "pyproject.toml": pyproject("root"), "src/root/__init__.py": "",
        "docker/Dockerfile": "FROM python\nCOPY pyproject.toml ./\nCOPY ./src/ src/\nCOPY \"README.md\" /x\n",
        "README.md": "",
        "svc/pyproject.toml": pyproject("svc"),
        "svc/Dockerfile": "FROM python\nCOPY pyproject.toml ./\n",  # root has one too: the nearer wins
    })
    assert resolve(p, "docker/Dockerfile").folder == ""
    assert resolve(p, "svc/Dockerfile").folder == "svc"


def test_sources_a_missing_file_counts_a_little_where_its_folder_is(tmp_path: Path) -> None:
    """``COPY docker/config.properties`` of a generated file: the root has docker/, docker/ has not."""
    p = repo(tmp_path, {"docker/Dockerfile": "FROM python\nCOPY ./ serve\nCOPY docker/config.properties /c\n"})
    assert resolve(p, "docker/Dockerfile").folder == ""


def test_whole_context_copies_only_keep_the_dockerfiles_folder(tmp_path: Path) -> None:
    p = repo(tmp_path, {"a/b/Dockerfile": "FROM python\nCOPY . .\nCOPY $X /x\nCOPY *.py /y/\n"})
    assert resolve(p, "a/b/Dockerfile").folder == "a/b"


def test_override_wins(tmp_path: Path) -> None:
    p = repo(tmp_path, {"compose.yaml": "services:\n  a:\n    build: a\n", "a/Dockerfile": "FROM python\n"})
    assert resolve(p, "a/Dockerfile", "./") == contexts.Context("", "--context on the command line")
    assert resolve(p, "a/Dockerfile", "a/") == contexts.Context("a", "--context on the command line")


# -- installed projects ---------------------------------------------------------------------------


def test_installs_in_install_order_from_copied_folders(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        "libs/core/pyproject.toml": pyproject("core"), "services/web/pyproject.toml": pyproject("web"),
        "docs/conf.py": "",
        "services/web/Dockerfile": VENV_DOCKERFILE + "COPY libs/core libs/core\nCOPY services/web services/web\n"
                                   "COPY docs docs\nRUN pip install ./services/web/../../libs/core \\\n"
                                   "    && pip install ./services/web ./docs ./libs/core\n",
    })
    assert installed(p, "services/web/Dockerfile", "") == ["libs/core", "services/web"]


def test_a_folder_copied_with_a_slash_fills_the_destination(tmp_path: Path) -> None:
    """``COPY libs/core/ ./core/`` puts core's files in ./core, not in ./core/core."""
    p = repo(tmp_path, {
        "libs/core/pyproject.toml": pyproject("core"), "services/worker/pyproject.toml": pyproject("worker"),
        "services/worker/Dockerfile": VENV_DOCKERFILE + "COPY libs/core/ ./core/\nCOPY services/worker/ ./worker/\n"
                                      "COPY services/worker/pyproject.toml /meta/\n"
                                      "RUN pip install ./core ./worker\n",
    })
    assert installed(p, "services/worker/Dockerfile", "") == ["libs/core", "services/worker"]


def test_cd_bind_mounts_and_build_commands(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        "a/pyproject.toml": pyproject("a"), "b/pyproject.toml": pyproject("b"), "c/setup.py": "",
        "Dockerfile": VENV_DOCKERFILE + "COPY a /src/a\nCOPY c /src/c\n"
                      "RUN --mount=type=bind,source=b,target=/mnt/b pip install /mnt/b\n"
                      "RUN cd /src/c && uv build && cd /src/a && pip install -e .\n",
    })
    assert installed(p, "Dockerfile", "") == ["b", "c", "a"]


def test_uv_and_poetry_project_directories(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        "api/pyproject.toml": pyproject("api"), "cli/pyproject.toml": pyproject("cli"),
        "Dockerfile": VENV_DOCKERFILE + "COPY . .\nRUN uv sync --frozen --directory api\n"
                      "RUN poetry install -C /app/cli\n",
    })
    assert installed(p, "Dockerfile", "") == ["api", "cli"]


def test_uv_sync_package_picks_the_workspace_member(tmp_path: Path) -> None:
    """``uv sync --package app`` at a workspace root installs the member named app."""
    p = repo(tmp_path, {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["backend", "libs/*"]\nexclude = ["libs/old"]\n',
        "backend/pyproject.toml": pyproject("App"), "libs/util/pyproject.toml": pyproject("my_util"),
        "libs/old/pyproject.toml": pyproject("old"),
        "Dockerfile": "FROM python:3.12\nWORKDIR /app/\nENV PATH=/app/.venv/bin:$PATH\n"
                      "RUN --mount=type=bind,source=pyproject.toml,target=pyproject.toml uv sync --package my-util\n"
                      "COPY ./backend/pyproject.toml /app/backend/\nCOPY ./libs /app/libs\n"
                      "RUN --mount=type=bind,source=pyproject.toml,target=pyproject.toml uv sync --package app\n"
                      "RUN uv sync --package old\n",
    })
    assert installed(p, "Dockerfile", "") == ["libs/util", "backend"]


def test_folders_without_packaging_do_not_count(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        "tools/requirements.txt": "ruff\n", "app/pyproject.toml": "[tool.ruff]\nline-length = 100\n",
        "Dockerfile": VENV_DOCKERFILE + "COPY . .\nRUN pip install ./tools ./app -r tools/requirements.txt\n",
    })
    assert installed(p, "Dockerfile", "") == []


def test_context_relative_folders(tmp_path: Path) -> None:
    p = repo(tmp_path, {
        "services/api/pyproject.toml": pyproject("api"),
        "services/api/docker/Dockerfile": VENV_DOCKERFILE + "COPY pyproject.toml ./\nRUN pip install .\n",
    })
    assert installed(p, "services/api/docker/Dockerfile", "services/api") == ["."]


# -- dockvenv migrate --context ------------------------------------------------------------------


def _two_projects(tmp_path: Path) -> Path:
    repo(tmp_path, {
        "pyproject.toml": pyproject("root"), "root/__init__.py": "",
        "svc/pyproject.toml": pyproject("svc"), "svc/svc/__init__.py": "",
        "svc/Dockerfile": VENV_DOCKERFILE + "COPY . .\nRUN pip install .\nCMD [\"python\", \"-m\", \"svc\"]\n",
    })
    return tmp_path


def test_migrate_context_flag_reaches_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _two_projects(tmp_path)
    assert main(["migrate", "--dry-run", str(root)]) == 0
    out, err = capsys.readouterr()
    assert "+++ b/svc/.dockerignore" in out and "+++ b/.dockerignore" not in out
    assert main(["migrate", "--dry-run", "--context", ".", str(root)]) == 0
    out, err = capsys.readouterr()
    assert "svc/Dockerfile: build context '.' (--context on the command line)" in err
    assert "+++ b/.dockerignore" in out


def test_migrate_context_absolute_and_relative_to_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = _two_projects(tmp_path)
    monkeypatch.chdir(root / "svc")  # DIR is taken from PATH, not from the working directory
    assert main(["migrate", "--dry-run", "--context", "svc", str(root)]) == 0
    assert "build context 'svc' (--context" in capsys.readouterr().err
    assert main(["migrate", "--dry-run", "--context", str(root), str(root)]) == 0
    assert "build context '.' (--context" in capsys.readouterr().err


@pytest.mark.parametrize(("context", "message"), [
    ("nowhere", "--context nowhere: no such folder in "),
    ("..", "--context ..: not inside the project "),
    ("svc/Dockerfile", "--context svc/Dockerfile: no such folder in "),
])
def test_migrate_context_bad_dir_is_a_one_line_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           context: str, message: str) -> None:
    root = _two_projects(tmp_path)
    before = (root / "svc" / "Dockerfile").read_text()
    assert main(["migrate", "--yes", "--context", context, str(root)]) == 2
    _out, err = capsys.readouterr()
    assert err.startswith("dockvenv: error: ") and message in err and err.count("\n") == 1, err
    assert (root / "svc" / "Dockerfile").read_text() == before
    assert not (root / ".dockerignore").exists()


def test_migrate_context_is_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["migrate", "--help"])
    assert "--context DIR" in capsys.readouterr().out


# -- known mistakes of plan.py / rewrite/dockerfile.py / rewrite/dockerignore.py: minimal repros ------


def _migrated(tmp_path: Path, files: dict[str, str], *args: str) -> Path:
    repo(tmp_path, files)
    assert main(["migrate", "--yes", "--uv-version", "0.13.9", *args, str(tmp_path)]) == 0
    return tmp_path


def test_copy_of_an_installed_project_leaves_the_runtime_stage(tmp_path: Path) -> None:
    root = _migrated(tmp_path, {
        "libs/core/pyproject.toml": pyproject("core"), "libs/core/src/core/__init__.py": "",
        "web/pyproject.toml": pyproject("web"), "web/src/web/__init__.py": "",
        "web/Dockerfile": VENV_DOCKERFILE + "COPY libs/core libs/core\nCOPY web web\n"
                          "RUN pip install ./libs/core ./web\nCMD [\"web\"]\n",
    })
    text = (root / "web" / "Dockerfile").read_text()
    assert "uv build --wheel --out-dir /dist libs/core" in text
    assert "COPY libs/core" not in text and "COPY web" not in text, text


def test_root_context_dockerignore_leaves_out_nested_env_files(tmp_path: Path) -> None:
    from dockvenv.dockerignore import ignored, patterns

    root = _migrated(tmp_path, {
        "services/api/pyproject.toml": pyproject("api"), "services/api/api/__init__.py": "",
        "services/api/.env": "SECRET_KEY=abcdefgh12345678\n",
        "compose.yaml": "services:\n  api:\n    build:\n      context: .\n      dockerfile: services/api/Dockerfile\n",
        "services/api/Dockerfile": VENV_DOCKERFILE + "COPY services/api /app/api\nRUN pip install /app/api\n",
    })
    rules = patterns((root / ".dockerignore").read_text())
    assert ignored(rules, "services/api/.env")


def test_context_override_writes_no_dockerignore_elsewhere(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": pyproject("root"), "root/__init__.py": "", "svc/.env": "A=1\n",
        "svc/Dockerfile": VENV_DOCKERFILE + "COPY . .\nRUN pip install .\n",
    }
    root = _migrated(tmp_path, files, "--context", ".")
    assert (root / ".dockerignore").exists()
    assert not (root / "svc" / ".dockerignore").exists()


@pytest.mark.xfail(strict=True, reason="plan.py build_spec looks for uv.lock only in the member's folder: a "
                   "uv workspace keeps one lock at its root, so a member's image floats (no locked export)")
def test_workspace_member_uses_the_workspace_lock(tmp_path: Path) -> None:
    from dockvenv.plan import build_spec

    p = repo(tmp_path, {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["backend"]\n', "uv.lock": "version = 1\n",
        "backend/pyproject.toml": pyproject("app"),
        "backend/Dockerfile": "FROM python:3.12\nWORKDIR /app/\nENV PATH=/app/.venv/bin:$PATH\n"
                              "COPY . .\nRUN uv sync --frozen --package app\n",
    })
    spec = build_spec(p, "", parse(p.text("backend/Dockerfile") or ""))
    assert spec.subdirs == ("backend",)
    assert spec.lock == "uv"


def test_no_packaging_uv_sync_never_loses_its_venv_from_path(tmp_path: Path) -> None:
    """A uv project with ``package = false``: either the install becomes the wheel's (packaging is
    generated), or ``uv sync`` stays and its ``.venv`` stays on PATH; never ``uv sync`` without it."""
    root = _migrated(tmp_path, {
        "pyproject.toml": '[tool.uv]\npackage = false\n\n[dependency-groups]\ndev = ["pytest"]\n',
        "uv.lock": "version = 1\n", "main.py": "",
        "Dockerfile": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.9.26 /uv /bin/uv\nWORKDIR /app\n"
                      "ENV PATH=\"/app/.venv/bin:$PATH\"\nCOPY pyproject.toml uv.lock ./\n"
                      "RUN uv sync --frozen --no-dev\nCOPY . .\nCMD [\"python\", \"main.py\"]\n",
    })
    text = (root / "Dockerfile").read_text()
    assert "uv sync" not in text or "/app/.venv/bin" in text, text


def test_dev_requirements_install_is_not_the_project(tmp_path: Path) -> None:
    root = _migrated(tmp_path, {
        "pyproject.toml": pyproject("app"), "app/__init__.py": "", "requirements-dev.txt": "pytest==8.3.3\n",
        ".devcontainer/Dockerfile": "FROM python:3.12\nRUN python -m venv /opt/venv\n"
                                    "ENV PATH=/opt/venv/bin:$PATH\nCOPY requirements-dev.txt /tmp/\n"
                                    "RUN pip install -r /tmp/requirements-dev.txt\n",
    }, "--include-dev")
    assert "pip install -r /tmp/requirements-dev.txt" in (root / ".devcontainer" / "Dockerfile").read_text()


def test_dev_image_running_pytest_keeps_the_source_tree(tmp_path: Path) -> None:
    root = _migrated(tmp_path, {
        "pyproject.toml": pyproject("app"), "app/__init__.py": "", "tests/test_app.py": "",
        "Dockerfile.dev": "FROM python:3.12\nRUN python -m venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\n"
                          "WORKDIR /app\nCOPY . .\nRUN pip install -e .\nCMD [\"pytest\", \"-q\"]\n",
    }, "--include-dev")
    assert "COPY . ." in (root / "Dockerfile.dev").read_text().split("AS dockvenv-builder", 1)[-1].split("FROM", 1)[-1]


@pytest.mark.parametrize("dockerfile", [
    ("FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nSHELL [\"pwsh\", \"-Command\"]\n"
     "RUN python -m venv C:/venv\nCOPY . C:/src\nRUN C:/venv/Scripts/pip.exe install C:/src\n"),
    ("FROM python:3.12-windowsservercore-ltsc2022\nRUN python -m venv C:\\venv\nCOPY . C:\\src\n"
     "RUN C:\\venv\\Scripts\\pip.exe install C:\\src\n"),
], ids=["pwsh", "windowsservercore-cmd"])
def test_windows_dockerfiles_are_unsupported(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             dockerfile: str) -> None:
    root = _migrated(tmp_path, {"pyproject.toml": pyproject("w"), "Dockerfile": dockerfile})
    assert (root / "Dockerfile").read_text() == dockerfile
    assert "unsupported: a Windows Dockerfile" in capsys.readouterr().err
