"""CMD/ENTRYPOINT reading (what each command needs) and the ``python app.py`` -> ``python -m app`` rewrite."""

from __future__ import annotations

import pytest

from dockvenv.analysis import analyze
from dockvenv.dockerfile import parse
from dockvenv.packaging.cmdline import rewrite_dockerfile, rewrite_span
from dockvenv.packaging.commands import (
    entries,
    module_of_script,
    simple_commands,
    targets,
)


def _t(argv: list[str]) -> list[tuple[str, str, str]]:
    return [(t.kind, t.value, t.runner) for cmd in simple_commands(tuple(argv)) for t in targets(cmd)]


TARGETS = [
    (["python", "app.py"], [("script", "app.py", "python")]),
    (["python3", "-u", "-W", "ignore", "app.py", "--port", "80"], [("script", "app.py", "python")]),
    (["/opt/venv/bin/python", "-m", "app.main", "serve"], [("module", "app.main", "python")]),
    (["python", "-mapp"], [("module", "app", "python")]),
    (["python", "-c", "import app"], []),
    (["python", "manage.py", "runserver", "0.0.0.0:8000"], [("script", "manage.py", "python")]),
    (["gunicorn", "-b", "0.0.0.0:80", "-w", "4", "app:create_app()"],
     [("program", "gunicorn", "gunicorn"), ("object", "app:create_app()", "gunicorn")]),
    (["gunicorn", "--reload", "mysite.wsgi", "-c", "gunicorn.conf.py"],
     [("program", "gunicorn", "gunicorn"), ("module", "mysite.wsgi", "gunicorn"), ("file", "gunicorn.conf.py", "gunicorn")]),
    (["gunicorn", "-c", "python:conf.gunicorn", "app:app"],
     [("program", "gunicorn", "gunicorn"), ("object", "app:app", "gunicorn"), ("module", "conf.gunicorn", "gunicorn")]),
    (["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "80", "--proxy-headers"],
     [("program", "uvicorn", "uvicorn"), ("object", "main:app", "uvicorn")]),
    (["python", "-m", "uvicorn", "--factory", "api.app:build"],
     [("module", "uvicorn", "python"), ("object", "api.app:build", "uvicorn")]),
    (["celery", "-A", "proj", "worker", "-l", "info"], [("program", "celery", "celery"), ("app", "proj", "celery")]),
    (["celery", "--app=proj.celery:app", "beat"], [("program", "celery", "celery"), ("app", "proj.celery:app", "celery")]),
    (["flask", "--app", "web:create_app", "run"], [("program", "flask", "flask"), ("object", "web:create_app", "flask")]),
    (["alembic", "upgrade", "head"], [("program", "alembic", "alembic"), ("file", "alembic.ini", "alembic")]),
    (["streamlit", "run", "dashboard.py"], [("program", "streamlit", "streamlit"), ("file", "dashboard.py", "streamlit")]),
    (["myapp", "serve", "--config", "conf/app.yaml"],
     [("program", "myapp", "myapp"), ("file", "conf/app.yaml", "myapp")]),
    (["/venv/bin/greet", "world"], [("program", "greet", "greet")]),
    (["./entrypoint.sh", "web"], [("file", "./entrypoint.sh", "exec")]),
    (["/usr/bin/tini", "--", "python", "app.py"], [("script", "app.py", "python")]),
    (["sh", "-c", "python manage.py migrate && exec gunicorn mysite.wsgi"],
     [("script", "manage.py", "python"), ("program", "gunicorn", "gunicorn"), ("module", "mysite.wsgi", "gunicorn")]),
    (["bash", "-lc", "exec uvicorn main:app"], [("program", "uvicorn", "uvicorn"), ("object", "main:app", "uvicorn")]),
    (["env", "A=1", "python", "-m", "app"], [("module", "app", "python")]),
    (["gosu", "app", "python", "-m", "app"], [("module", "app", "python")]),
    (["nginx", "-g", "daemon off;"], []),
    (["$APP_BIN"], []),
]


@pytest.mark.parametrize(("argv", "expected"), TARGETS)
def test_targets(argv: list[str], expected: list[tuple[str, str, str]]) -> None:
    assert _t(argv) == expected


def _entries(text: str) -> list[tuple[str, ...]]:
    df = parse(text)
    return [e.argv for e in entries(df, analyze(df))]


def test_entrypoint_and_cmd_join_as_docker_joins_them() -> None:
    assert _entries('FROM x\nENTRYPOINT ["python"]\nCMD ["app.py", "-v"]\n') == [("python", "app.py", "-v")]
    assert _entries('FROM x\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["gunicorn", "a:b"]\n') == [
        ("/entrypoint.sh",), ("gunicorn", "a:b")]
    assert _entries("FROM x\nCMD python app.py\n") == [("/bin/sh", "-c", "python app.py")]
    assert _entries('FROM x\nENTRYPOINT python app.py\nCMD ["ignored"]\n') == [("/bin/sh", "-c", "python app.py")]
    assert _entries('FROM x\nCMD ["a"]\nFROM x AS b\nRUN true\n') == []


def test_entrypoint_resets_an_inherited_cmd() -> None:
    text = 'FROM python:3.11 AS base\nCMD ["python", "old.py"]\nFROM base\nENTRYPOINT ["myapp"]\n'
    assert _entries(text) == [("myapp",)]


@pytest.mark.parametrize(("path", "module"), [
    ("app.py", "app"), ("./app.py", "app"), ("pkg/cli.py", "pkg.cli"), ("pkg/__main__.py", "pkg"),
    ("my-script.py", None), ("../x.py", None), ("run.sh", None), ("2fa.py", None),
])
def test_module_of_script(path: str, module: str | None) -> None:
    assert module_of_script(path) == module


R = {"app.py": "app", "manage.py": "manage", "/app/server.py": "server"}
REWRITES = [
    ('CMD ["python", "app.py"]\n', 'CMD ["python", "-m", "app"]\n'),
    ('CMD ["python3", "-u", "app.py", "--debug"]\n', 'CMD ["python3", "-u", "-m", "app", "--debug"]\n'),
    ("CMD python app.py\n", "CMD python -m app\n"),
    ("CMD exec python3.11 -O /app/server.py\n", "CMD exec python3.11 -O -m server\n"),
    ('CMD ["sh", "-c", "python manage.py migrate && gunicorn x.wsgi"]\n',
     'CMD ["sh", "-c", "python -m manage migrate && gunicorn x.wsgi"]\n'),
    ('CMD ["python", \\\n     "app.py"]\n', 'CMD ["python", \\\n     "-m", "app"]\n'),
    ("HEALTHCHECK --interval=5s CMD python app.py --check\n", "HEALTHCHECK --interval=5s CMD python -m app --check\n"),
    ("RUN python manage.py collectstatic --noinput\n", "RUN python -m manage collectstatic --noinput\n"),
]
UNCHANGED = [
    'CMD ["python", "-m", "app"]\n',
    'CMD ["gunicorn", "app.py"]\n',
    'CMD ["python", "myapp.py"]\n',
    "CMD python app.pyc\n",
    "CMD cat app.py\n",
    'CMD ["python", "-c", "print(1)", "app.py"]\n',
]


@pytest.mark.parametrize(("before", "after"), REWRITES)
def test_rewrite_pairs_and_idempotence(before: str, after: str) -> None:
    assert rewrite_span(before, R) == after
    assert rewrite_span(after, R) == after


@pytest.mark.parametrize("text", UNCHANGED)
def test_rewrite_leaves_alone(text: str) -> None:
    assert rewrite_span(text, R) == text


def test_rewrite_dockerfile_touches_only_the_runtime_stage_after_the_wheel_install() -> None:
    text = (
        "FROM python:3.11 AS tools\nRUN python app.py\n"
        "FROM python:3.11\nRUN python manage.py early\n"
        "RUN --mount=from=dockvenv-builder,source=/dist,target=/wheels pip install /wheels/*.whl\n"
        "RUN python manage.py collectstatic\n"
        'ENTRYPOINT ["python"]\nCMD ["app.py"]\n'
    )
    after, reasons = rewrite_dockerfile(text, "Dockerfile", R)
    assert after == (
        "FROM python:3.11 AS tools\nRUN python app.py\n"
        "FROM python:3.11\nRUN python manage.py early\n"
        "RUN --mount=from=dockvenv-builder,source=/dist,target=/wheels pip install /wheels/*.whl\n"
        "RUN python -m manage collectstatic\n"
        'ENTRYPOINT ["python"]\nCMD ["-m", "app"]\n'
    )
    assert reasons and "python app.py -> python -m app" in reasons[0]
    assert rewrite_dockerfile(after, "Dockerfile", R) == (after, ())


def test_rewrite_dockerfile_without_rewrites_is_the_identity() -> None:
    text = 'FROM x\nCMD ["python", "app.py"]\n'
    assert rewrite_dockerfile(text, "Dockerfile", {}) == (text, ())
