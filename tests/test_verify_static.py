"""``dockvenv verify`` without Docker: how each CMD/ENTRYPOINT target resolves, the report, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockvenv.dockerfile import parse
from dockvenv.verify import Report, render
from dockvenv.verify.entrypoints import Check, check, image
from dockvenv.verify.wheel import Built, Installed
from tests.packaging_support import FIXTURES

WHEEL = Installed(
    files={"app.py", "web/__init__.py", "web/wsgi.py", "tasks/__init__.py", "tasks/celery.py", "cli/__init__.py",
           "cli/__main__.py", "lib/__init__.py", "gunicorn.conf.py"},
    scripts={"myapp": "cli:main"},
    requires={"gunicorn", "celery", "flask", "uvicorn"},
)


def _checks(tmp_path: Path, dockerfile: str, files: tuple[str, ...] = (), deps: frozenset[str] = frozenset()
            ) -> list[tuple[str, bool, str]]:
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    found = check(image(parse(dockerfile), tmp_path, deps), WHEEL)
    return [(f"{c.target.kind} {c.target.value}", c.resolved, c.why) for c in found]


CASES = [
    ('CMD ["python", "-m", "app"]', [("module app", True, "app.py is in the wheel")]),
    ('CMD ["python", "-m", "cli"]', [("module cli", True, "cli/__main__.py is in the wheel")]),
    ('CMD ["python", "-m", "lib"]', [("module lib", False, ("lib is a package in the wheel without a __main__.py: "
                                                           "python -m cannot run it"))]),
    ('CMD ["python", "-m", "nothere"]', [("module nothere", False, ("nothere is not in the wheel, nor a module of "
                                                                   "its dependencies"))]),
    ('CMD ["python", "-m", "http.server"]', [("module http.server", True, "http is in the standard library")]),
    ('CMD ["gunicorn", "web.wsgi:application"]', [
        ("program gunicorn", True, ("a program of the dependency gunicorn (dependencies are not installed here: "
                                   "not checked)")),
        ("object web.wsgi:application", True, "web/wsgi.py is in the wheel")]),
    ('CMD ["uvicorn", "missing:app"]', [
        ("program uvicorn", True, ("a program of the dependency uvicorn (dependencies are not installed here: "
                                  "not checked)")),
        ("object missing:app", False, "missing is not in the wheel, nor a module of its dependencies")]),
    ('CMD ["celery", "-A", "tasks.celery.app", "worker"]', [
        ("program celery", True, ("a program of the dependency celery (dependencies are not installed here: "
                                 "not checked)")),
        ("app tasks.celery.app", True, "tasks/celery.py is in the wheel")]),
    ('ENTRYPOINT ["myapp"]\nCMD ["serve"]', [("program myapp", True, "console script of the wheel (cli:main)")]),
    ('CMD ["otherapp"]', [("program otherapp", False, ("not a console script of the wheel, nor a program of its "
                                                       "dependencies"))]),
    ('RUN apt-get install -y otherapp\nCMD ["otherapp"]', [
        ("program otherapp", True, "installed by a RUN step of the Dockerfile (not checked)")]),
    ('CMD ["python", "app.py"]', [("script app.py", False, ("app.py is in the wheel as the module app, not in the "
                                                           "working directory: run it as python -m app"))]),
    ('COPY run.py .\nCMD ["python", "run.py"]', [("script run.py", True, ("copied into the image at /app/run.py by "
                                                                         "the Dockerfile"))]),
    ('CMD ["gunicorn", "-c", "gunicorn.conf.py", "web.wsgi"]', [
        ("program gunicorn", True, ("a program of the dependency gunicorn (dependencies are not installed here: "
                                   "not checked)")),
        ("module web.wsgi", True, "web/wsgi.py is in the wheel"),
        ("file gunicorn.conf.py", False, ("in the wheel (site-packages), not at /app/gunicorn.conf.py where the "
                                         "command looks"))]),
    ('COPY conf/ ./conf/\nCMD ["myapp", "--config", "conf/app.yaml"]', [
        ("program myapp", True, "console script of the wheel (cli:main)"),
        ("file conf/app.yaml", True, "copied into the image at /app/conf/app.yaml by the Dockerfile")]),
    ('COPY --from=assets /out /app/static\nCMD ["myapp", "static/site.json"]', [
        ("program myapp", True, "console script of the wheel (cli:main)"),
        ("file static/site.json", True, ("copied into the image at /app/static/site.json from the stage assets "
                                        "(not checked)"))]),
    ('COPY entrypoint.sh /entrypoint.sh\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["myapp"]', [
        ("file /entrypoint.sh", True, "copied into the image at /entrypoint.sh by the Dockerfile"),
        ("program myapp", True, "console script of the wheel (cli:main)")]),
    ('CMD ["sh", "-c", "python -m app && exec myapp"]', [
        ("module app", True, "app.py is in the wheel"),
        ("program myapp", True, "console script of the wheel (cli:main)")]),
]


@pytest.mark.parametrize(("instructions", "expected"), CASES)
def test_resolution(tmp_path: Path, instructions: str, expected: list[tuple[str, bool, str]]) -> None:
    dockerfile = f"FROM python:3.11-slim\nWORKDIR /app\n{instructions}\n"
    files = ("run.py", "conf/app.yaml", "entrypoint.sh")
    assert _checks(tmp_path, dockerfile, files) == expected


def test_dependencies_from_requirements_count(tmp_path: Path) -> None:
    got = _checks(tmp_path, 'FROM python:3.11\nCMD ["streamlit", "hello"]\n', deps=frozenset({"streamlit"}))
    assert got == [("program streamlit", True, ("a program of the dependency streamlit (dependencies are not "
                                               "installed here: not checked)"))]


def test_copy_of_the_build_stage_only_counts_from_the_runtime_stage(tmp_path: Path) -> None:
    text = "FROM python:3.11 AS build\nCOPY run.py /app/run.py\nFROM python:3.11\nWORKDIR /app\n" \
           'CMD ["python", "run.py"]\n'
    ((name, ok, why),) = _checks(tmp_path, text, ("run.py",))
    assert (name, ok) == ("script run.py", False) and "not copied into the image" in why


def test_render_and_json_shape() -> None:
    from dockvenv.packaging.commands import Target

    report = Report("/x", (Built(".", "a-1-py3-none-any.whl", "uv build --wheel"),),
                    (Check("Dockerfile", 9, "CMD", Target("module", "app", "python"), True, "app.py is in the wheel"),
                     Check("Dockerfile", 9, "CMD", Target("file", "x.ini", "gunicorn"), False, "not copied")))
    assert render(report) == (
        "wheel .: built a-1-py3-none-any.whl (uv build --wheel)\n"
        "Dockerfile:9: CMD module app (python): resolved: app.py is in the wheel\n"
        "Dockerfile:9: CMD file x.ini (gunicorn): not resolved: not copied\n"
        "2 target(s): 1 resolved, 1 not resolved\n")
    data = report.as_json()
    assert data["version"] == 1 and data["ok"] is False
    assert data["targets"][1] == {"dockerfile": "Dockerfile", "line": 9, "instruction": "CMD", "kind": "file",
                                  "target": "x.ini", "runner": "gunicorn", "resolved": False, "why": "not copied"}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dockvenv", "verify", *args], check=False, capture_output=True,
                          text=True, timeout=600)


def test_a_project_without_packaging_is_not_verified(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "flask-app", tmp_path / "app")
    p = _cli("--json", str(tmp_path / "app"))
    assert p.returncode == 1, p.stderr
    data = json.loads(p.stdout)
    assert data["version"] == 1 and data["ok"] is False
    (project,) = data["projects"]
    assert project["wheels"] == [{"folder": ".", "built": False, "wheel": None, "tool": "",
                                  "error": "no packaging (pyproject.toml, setup.py or setup.cfg): run 'dockvenv "
                                           "migrate' first"}]
    assert project["targets"][0]["target"] == "app.py" and project["targets"][0]["resolved"] is True


def test_no_dockerfile_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print(1)\n")
    p = _cli(str(tmp_path))
    assert p.returncode == 2
    assert p.stderr.startswith("dockvenv: error: ") and "no Dockerfile to verify" in p.stderr


def test_a_target_that_does_not_resolve_exits_1(tmp_path: Path) -> None:
    tree = tmp_path / "cli"
    shutil.copytree(FIXTURES / "setuppy-cli", tree)
    (tree / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools>=64"]\n'
                                         'build-backend = "setuptools.build_meta"\n')
    (tree / "Dockerfile").write_text("FROM python:3.11-slim\nWORKDIR /src\nCOPY . .\nRUN pip install .\n"
                                     'CMD ["python", "-m", "greet.missing"]\n')
    p = _cli(str(tree))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Dockerfile:5: CMD module greet.missing (python): not resolved: greet.missing is not in the wheel" \
           in p.stdout
    assert not (tree / "build").exists() and not list(tree.glob("*.egg-info"))


def test_a_wheel_that_does_not_build_exits_1(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FROM python:3.11\nCOPY . .\nRUN pip install .\nCMD ["x"]\n')
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["hatchling"]\n'
                                             'build-backend = "hatchling.build"\n[project]\nname = "x"\n')
    p = _cli(str(tmp_path))
    assert p.returncode == 1
    assert "wheel .: not built: " in p.stdout
