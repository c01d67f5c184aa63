"""The fixture apps, migrated: the generated pyproject validates, the wheel builds with the app's
modules and data in it, and ``dockvenv verify`` resolves every CMD/ENTRYPOINT target.

Each app is migrated and verified once (module scope): verify builds the wheel in a copy of the
build context (uv, or pip wheel) and installs it into a throwaway venv without its dependencies.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dockvenv.config import Settings
from dockvenv.project import read_project
from dockvenv.verify import Report, verify_project
from tests.packaging_support import app_names, migrated_copy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

APPS = app_names()
# What each wheel must carry (beyond its dist-info).
MEMBERS = {
    "flask-app": {"app.py", "templates/index.html", "static/style.css"},
    "django-site": {"manage.py", "mysite/settings.py", "mysite/wsgi.py", "pages/views.py",
                    "pages/templates/pages/index.html", "pages/management/commands/hello.py", "static/site.css",
                    "templates/base.html"},
    "fastapi-reqs": {"main.py", "messages/hello.txt"},
    "setuppy-cli": {"greet/__init__.py", "greet/cli.py"},
}
NOT_MEMBERS = {"flask-app": {"requirements.txt", "Dockerfile", "SMOKE"}, "fastapi-reqs": {"config.json"},
               "django-site": {"requirements.txt"}, "setuppy-cli": {"setup.py"}}


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory):
    done: dict[str, tuple[Path, Report, Path]] = {}

    def get(app: str) -> tuple[Path, Report, Path]:
        if app not in done:
            base = tmp_path_factory.mktemp(f"pk-{app}")
            tree = migrated_copy(app, base / app)
            work = base / "work"
            report = verify_project(read_project(tree), Settings(), work=work)
            done[app] = (tree, report, work)
        return done[app]

    return get


def _wheel(work: Path) -> zipfile.ZipFile:
    (found,) = list(work.glob("run-*/dist-*/*.whl"))
    return zipfile.ZipFile(found)


@pytest.mark.parametrize("app", APPS)
def test_generated_pyproject_validates(verified, app: str) -> None:
    from validate_pyproject.api import Validator

    tree, _report, _work = verified(app)
    data = tomllib.loads((tree / "pyproject.toml").read_text())
    Validator()(data)
    assert "build-system" in data


@pytest.mark.parametrize("app", APPS)
def test_wheel_builds_with_the_modules_and_data(verified, app: str) -> None:
    _tree, report, work = verified(app)
    assert [w.error for w in report.wheels] == [None], report.wheels
    names = set(_wheel(work).namelist())
    assert MEMBERS[app] <= names, sorted(names)
    assert not (NOT_MEMBERS[app] & names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".env")]


@pytest.mark.parametrize("app", APPS)
def test_verify_resolves_every_target(verified, app: str) -> None:
    _tree, report, _work = verified(app)
    assert report.checks, "the Dockerfile names no target: the check proves nothing"
    bad = [f"{c.target.describe()}: {c.why}" for c in report.checks if not c.resolved]
    assert not bad
    assert report.ok


def test_verify_resolves_through_the_wheel_not_the_source_tree(verified) -> None:
    _tree, report, _work = verified("flask-app")
    (check,) = report.checks
    assert (check.target.kind, check.target.value, check.resolved) == ("module", "app", True)
    assert check.why == "app.py is in the wheel"
    _tree, report, _work = verified("fastapi-reqs")
    assert {c.target.value: c.why for c in report.checks}["main:app"] == "main.py is in the wheel"


def test_migrated_dockerfiles_run_modules_and_copy_runtime_files(verified) -> None:
    assert 'CMD ["python", "-m", "app"]' in (verified("flask-app")[0] / "Dockerfile").read_text()
    assert "python -m manage check" in (verified("django-site")[0] / "Dockerfile").read_text()
    assert "COPY config.json ./config.json" in (verified("fastapi-reqs")[0] / "Dockerfile").read_text()


@pytest.mark.parametrize("app", APPS)
def test_the_user_tree_is_left_as_it_was(verified, app: str) -> None:
    tree, _report, _work = verified(app)
    left = {p.name for p in tree.iterdir()} & {"dist", "build", ".venv", "venv"}
    assert not left and not list(tree.glob("*.egg-info")) and not list(tree.rglob("__pycache__"))


def test_cli_verify_text_and_exit_code(verified) -> None:
    tree, _report, _work = verified("setuppy-cli")
    p = subprocess.run([sys.executable, "-m", "dockvenv", "verify", str(tree)], check=False, capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "wheel .: built greet_cli-1.2.0-py3-none-any.whl" in p.stdout
    assert "ENTRYPOINT+CMD program greet: resolved: console script of the wheel (greet.cli:main)" in p.stdout
    assert p.stdout.rstrip().endswith("1 target(s): 1 resolved, 0 not resolved")
