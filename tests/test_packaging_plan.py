"""plan_packaging: what is generated, rewritten and copied for each kind of project, and why."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from dockvenv.packaging import PackagingPlan
from dockvenv.project import read_project
from tests.packaging_support import FIXTURES, make_project, packaging_for, wired_changes

VENV_DOCKERFILE = """\
FROM python:3.11-slim
RUN python -m venv /venv
ENV PATH=/venv/bin:$PATH
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD {cmd}
"""


def _plan(tmp_path: Path, files: dict[str, str], cmd: str = '["python", "app.py"]') -> PackagingPlan:
    files = {"Dockerfile": VENV_DOCKERFILE.format(cmd=cmd), "requirements.txt": "flask==3.0.3\n", **files}
    pk = packaging_for(make_project(tmp_path, files))
    assert pk is not None
    return pk


def _pyproject(pk: PackagingPlan) -> dict:
    (edit,) = pk.edits
    assert edit.after is not None
    return tomllib.loads(edit.after)


# -- the fixture apps ------------------------------------------------------------------------
def test_flask_app() -> None:
    pk = packaging_for(read_project(FIXTURES / "flask-app"))
    assert pk is not None and pk.makes_packageable
    data = _pyproject(pk)
    assert data["project"]["dependencies"] == ["flask==3.0.3"]
    assert data["project"]["requires-python"] == ">=3.11"
    assert data["project"]["scripts"] == {"app": "app:main"}
    assert data["build-system"]["build-backend"] == "hatchling.build"
    assert data["tool"]["hatch"]["build"]["targets"]["wheel"]["only-include"] == ["app.py", "static", "templates"]
    assert dict(pk.cmd_rewrites) == {"app.py": "app"}
    assert pk.runtime_files == ()
    assert set(pk.package_data) == {"templates", "static"}
    assert any("Flask" in r or "app.py reads it" in r for r in pk.reasons)


def test_django_site() -> None:
    pk = packaging_for(read_project(FIXTURES / "django-site"))
    assert pk is not None and pk.makes_packageable
    assert pk.modules == ("manage", "mysite", "pages")
    assert dict(pk.cmd_rewrites) == {"manage.py": "manage"}
    include = _pyproject(pk)["tool"]["hatch"]["build"]["targets"]["wheel"]["only-include"]
    assert include == ["manage.py", "mysite", "pages", "static", "templates"]
    assert pk.runtime_files == ()  # STATIC_URL = "static/" is a URL, not a file


def test_fastapi_requirements_only() -> None:
    pk = packaging_for(read_project(FIXTURES / "fastapi-reqs"))
    assert pk is not None and pk.makes_packageable
    assert dict(pk.cmd_rewrites) == {}  # uvicorn main:app keeps working: main is in the wheel
    assert pk.runtime_files == ("config.json",)
    assert pk.package_data == ("messages/hello.txt",)
    assert _pyproject(pk)["project"]["dependencies"] == ["fastapi==0.115.0", "uvicorn==0.30.6"]


def test_setup_py_only_gets_a_build_system_and_keeps_setup_py() -> None:
    project = read_project(FIXTURES / "setuppy-cli")
    pk = packaging_for(project)
    assert pk is not None and pk.makes_packageable
    (edit,) = pk.edits
    assert edit.path == "pyproject.toml" and edit.before is None
    assert tomllib.loads(edit.after or "") == {
        "build-system": {"requires": ["setuptools>=64"], "build-backend": "setuptools.build_meta"}}
    assert "setup.py stays" in edit.reasons[0]
    assert pk.cmd_rewrites == {} and pk.runtime_files == ()


@pytest.mark.parametrize("app", ["flask-app", "django-site", "fastapi-reqs", "setuppy-cli"])
def test_idempotent_once_written(tmp_path: Path, app: str) -> None:
    import shutil

    dest = tmp_path / app
    shutil.copytree(FIXTURES / app, dest)
    for edit in wired_changes(read_project(dest)):
        (dest / edit.path).write_text(edit.after or "")
    project = read_project(dest)
    assert packaging_for(project) is None
    assert wired_changes(project) == []


# -- the build-system table alone -------------------------------------------------------------
@pytest.mark.parametrize(("files", "backend", "requires"), [
    ({"setup.py": "from setuptools import setup\nsetup(name='x', setup_requires=['cython'])\n"},
     "setuptools.build_meta", ["setuptools>=64", "cython"]),
    ({"setup.cfg": "[metadata]\nname = x\n"}, "setuptools.build_meta", ["setuptools>=64"]),
    ({"pyproject.toml": '[project]\nname = "x"\nversion = "1"\n'}, "setuptools.build_meta", ["setuptools>=64"]),
    ({"pyproject.toml": '[tool.poetry]\nname = "x"\nversion = "1"\n'}, "poetry.core.masonry.api",
     ["poetry-core>=1.0.0"]),
])
def test_build_system_added_when_missing(tmp_path: Path, files: dict[str, str], backend: str,
                                         requires: list[str]) -> None:
    pk = _plan(tmp_path, files)
    (edit,) = pk.edits
    data = tomllib.loads(edit.after or "")
    assert data["build-system"] == {"requires": requires, "build-backend": backend}
    old = files.get("pyproject.toml")
    if old:
        assert (edit.after or "").endswith(old) and edit.before == old  # every byte of the file kept


def test_nothing_when_the_project_builds_already(tmp_path: Path) -> None:
    files = {"Dockerfile": VENV_DOCKERFILE.format(cmd='["app"]'),
             "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                               '[project]\nname = "x"\nversion = "1"\n'}
    assert packaging_for(make_project(tmp_path, files)) is None


def test_nothing_when_there_is_nothing_python(tmp_path: Path) -> None:
    files = {"Dockerfile": "FROM nginx\nCOPY site /usr/share/nginx/html\n", "site/index.html": "<p>hi</p>\n"}
    assert packaging_for(make_project(tmp_path, files)) is None


# -- generation details ------------------------------------------------------------------------
def test_tool_only_pyproject_keeps_its_tables_below(tmp_path: Path) -> None:
    old = "[tool.black]\nline-length = 100  # house style\n"
    pk = _plan(tmp_path, {"app.py": "print(1)\n", "pyproject.toml": old})
    (edit,) = pk.edits
    assert edit.before == old and (edit.after or "").endswith("\n" + old)
    assert _pyproject(pk)["tool"]["black"] == {"line-length": 100}


def test_requires_python_and_name(tmp_path: Path) -> None:
    dockerfile = "ARG PY=3.10\nFROM python:${PY}-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n" \
                 'CMD ["python", "app.py"]\n'
    project = make_project(tmp_path / "My_Service.v2", {"Dockerfile": dockerfile, "requirements.txt": "click\n",
                                                         "app.py": "print(1)\n"})
    pk = packaging_for(project)
    assert pk is not None
    data = _pyproject(pk)["project"]
    assert data["requires-python"] == ">=3.10"
    assert data["name"] == "my-service-v2"
    assert data["version"] == "0.0.0"


def test_no_requires_python_on_a_distro_base(tmp_path: Path) -> None:
    files = {"Dockerfile": "FROM debian:12\nRUN apt-get install -y python3-pip\nCOPY . /app\n"
                           "RUN pip install -r /app/requirements.txt\nCMD [\"python3\", \"/app/app.py\"]\n",
             "requirements.txt": "flask\n", "app.py": "print(1)\n"}
    pk = packaging_for(make_project(tmp_path, files))
    assert pk is not None
    assert "requires-python" not in _pyproject(pk)["project"]
    assert any("requires-python not set" in r for r in pk.reasons)
    assert dict(pk.cmd_rewrites) == {"/app/app.py": "app"}


def test_version_from_the_package(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"svc/__init__.py": '__version__ = "2.3.1"\n', "svc/__main__.py": "print(1)\n"},
               cmd='["python", "-m", "svc"]')
    assert _pyproject(pk)["project"]["version"] == "2.3.1"


def test_dev_tools_go_to_the_dev_extra(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"app.py": "import flask\n", "requirements.txt": "flask==3.0.3\npytest==8.0.0\n"})
    data = _pyproject(pk)["project"]
    assert data["dependencies"] == ["flask==3.0.3"]
    assert data["optional-dependencies"] == {"dev": ["pytest==8.0.0"]}


def test_pipfile_when_there_is_no_requirements_file(tmp_path: Path) -> None:
    files = {"Dockerfile": VENV_DOCKERFILE.format(cmd='["python", "app.py"]').replace(
        "RUN pip install -r requirements.txt", "RUN pip install pipenv && pipenv install --system"),
        "Pipfile": '[packages]\nflask = "==3.0.3"\n', "app.py": "print(1)\n"}
    pk = packaging_for(make_project(tmp_path, files))
    assert pk is not None and pk.requirement_files == ("Pipfile",)
    assert _pyproject(pk)["project"]["dependencies"] == ["flask==3.0.3"]


def test_requirements_file_found_through_the_copy(tmp_path: Path) -> None:
    files = {"Dockerfile": "FROM python:3.12\nCOPY deploy/requirements-prod.txt /tmp/req.txt\nRUN pip install -r /tmp/req.txt\n"
                           "COPY . /srv\nWORKDIR /srv\nCMD [\"python\", \"app.py\"]\n",
             "deploy/requirements-prod.txt": "-r ../requirements/base.txt\ngunicorn==22.0.0\n",
             "requirements/base.txt": "flask==3.0.3\n", "app.py": "print(1)\n"}
    pk = packaging_for(make_project(tmp_path, files))
    assert pk is not None
    assert pk.requirement_files == ("deploy/requirements-prod.txt", "requirements/base.txt")
    assert _pyproject(pk)["project"]["dependencies"] == ["gunicorn==22.0.0", "flask==3.0.3"]


def test_direct_references_are_allowed_for_hatchling(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"app.py": "print(1)\n",
                          "requirements.txt": "lib @ git+https://github.com/org/lib.git@v1\n"})
    assert _pyproject(pk)["tool"]["hatch"]["metadata"] == {"allow-direct-references": True}


# -- modules, scripts and data -----------------------------------------------------------------
def test_tests_docs_and_build_scripts_stay_out(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"app.py": "import models\n", "models.py": "x = 1\n", "setup_db.py": "x = 1\n",
                          "test_app.py": "x = 1\n", "conftest.py": "", "tests/__init__.py": "", "docs/conf.py": "",
                          "gunicorn.conf.py": "workers = 2\n", "noxfile.py": ""})
    assert pk.modules == ("app", "models", "setup_db")


def test_namespace_folder_named_by_the_cmd(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"app/main.py": "from app import routes\n", "app/routes.py": "x = 1\n"},
               cmd='["uvicorn", "app.main:api", "--host", "0.0.0.0"]')
    assert pk.makes_packageable and pk.modules == ("app",)


def test_namespace_folder_imported_by_a_module(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"app.py": "from services import mail\n", "services/mail.py": "x = 1\n",
                          "scripts/tool.py": "x = 1\n"})
    assert pk.modules == ("app", "services")
    assert any("services/ (no __init__.py) goes into the wheel" in r for r in pk.reasons)


def test_script_in_a_folder_run_as_a_module(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"app/main.py": "from app import util\n", "app/util.py": "x = 1\n"},
               cmd='["python", "app/main.py"]')
    assert dict(pk.cmd_rewrites) == {"app/main.py": "app.main"}


def test_script_importing_its_neighbours_stays_a_file(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"src/main.py": "import helpers\n", "src/helpers.py": "x = 1\n"},
               cmd='["python", "src/main.py"]')
    assert dict(pk.cmd_rewrites) == {}
    assert pk.runtime_files == ("src",)
    assert any("imports its neighbours (helpers)" in r for r in pk.reasons)


def test_entrypoint_python_with_the_script_in_cmd(tmp_path: Path) -> None:
    files = {"Dockerfile": VENV_DOCKERFILE.format(cmd='["sf.py", "-l", "0.0.0.0:5001"]').replace(
        "CMD", 'ENTRYPOINT ["/venv/bin/python"]\nCMD'), "sf.py": "print(1)\n"}
    pk = packaging_for(make_project(tmp_path, files))
    assert pk is not None and dict(pk.cmd_rewrites) == {"sf.py": "sf"}


def test_a_module_shadowing_the_standard_library_blocks(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"app.py": "import queue\n", "queue.py": "x = 1\n"})
    assert not pk.makes_packageable and pk.cmd_rewrites == {} and pk.runtime_files == ()
    assert any("shadows the standard library's queue" in r for r in pk.reasons)
    assert pk.edits  # still shown, with the reason, so the user sees what is missing


def test_an_unused_stdlib_named_module_is_left_out(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"app.py": "print(1)\n", "test.py": "x = 1\n", "code.py": "x = 1\n"})
    assert pk.makes_packageable and pk.modules == ("app",)


def test_runtime_files_from_the_cmd_and_the_code(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {
        "app.py": 'import json\nSETTINGS = json.load(open("settings.json"))\nCONFIG_FILE = "conf/logging.ini"\n',
        "settings.json": "{}", "conf/logging.ini": "", "gunicorn.conf.py": "workers = 2\n",
        "alembic.ini": "", "alembic/env.py": "", "requirements.txt": "flask\ngunicorn\nalembic\n"},
        cmd='["gunicorn", "--log-config", "conf/logging.ini", "app:app"]')
    assert set(pk.runtime_files) == {"conf/logging.ini", "gunicorn.conf.py", "settings.json", "alembic.ini",
                                     "alembic"}


def test_secrets_and_ignored_files_are_never_shipped_or_copied(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {
        "app.py": 'from pathlib import Path\nE = Path(__file__).parent / ".env"\nopen("local.json")\n'
                  'D = Path(__file__).parent / "data"\n',
        ".env": "SECRET=x\n", "local.json": "{}", "data/a.txt": "a", ".dockerignore": "local.json\n"})
    assert pk.runtime_files == ()
    assert pk.package_data == ("data",)


def test_a_dockerignored_pyproject_blocks(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"app.py": "print(1)\n", ".dockerignore": "*.toml\n"})
    assert not pk.makes_packageable
    assert any("left out of the build context by .dockerignore" in r for r in pk.reasons)


def test_runtime_files_merge_with_the_plan_s() -> None:
    pk = PackagingPlan(cmd_rewrites={"app.py": "app"}, runtime_files=("config.yaml",))
    assert pk.merged_runtime_files(("app.py", "entrypoint.sh", "config.yaml")) == ("entrypoint.sh", "config.yaml")


def test_a_script_left_out_by_name_goes_in_when_the_cmd_runs_it(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"tasks.py": "print(1)\n"}, cmd='["python", "tasks.py"]')
    assert pk.makes_packageable and pk.modules == ("tasks",) and dict(pk.cmd_rewrites) == {"tasks.py": "tasks"}


def test_django_settings_named_by_string_are_in_the_wheel(tmp_path: Path) -> None:
    pk = _plan(tmp_path, {"manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.settings")\n',
                          "conf/settings.py": "X = 1\n"}, cmd='["python", "manage.py", "runserver"]')
    assert pk.makes_packageable and pk.modules == ("conf", "manage")
    assert "Django settings conf.settings (named by manage.py): in the wheel" in pk.reasons
