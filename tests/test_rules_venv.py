"""DV1xx: every spelling of a venv in a Dockerfile, and look-alikes that are not one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockvenv.check import findings
from dockvenv.config import Settings
from dockvenv.project import read_project


def check(tmp: Path, dockerfile: str, prefix: str = "DV1", **files: str) -> list[tuple[str, int, str]]:
    (tmp / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (tmp / name).write_text(text)
    return [(f.code, f.line, f.message) for f in findings(read_project(tmp), Settings(select=(prefix,)))]


def codes(found: list[tuple[str, int, str]]) -> list[tuple[str, int]]:
    return [(c, line) for c, line, _m in found]


CREATED = [
    ("RUN python -m venv /opt/venv", "/opt/venv"),
    ("RUN python -mvenv /opt/venv", "/opt/venv"),
    ("RUN python3 -m venv /opt/venv", "/opt/venv"),
    ("RUN python3.12 -m venv --copies --upgrade-deps /opt/venv", "/opt/venv"),
    ("RUN /usr/local/bin/python3 -m venv --system-site-packages --without-pip /venv", "/venv"),
    ("RUN python -m virtualenv /opt/venv", "/opt/venv"),
    ("RUN virtualenv /opt/venv", "/opt/venv"),
    ("RUN virtualenv -p python3 --download /isso", "/isso"),
    ("RUN virtualenv --python=python3.12 /opt/venv", "/opt/venv"),
    ("RUN uv venv", "/app/.venv"),
    ("RUN uv venv --python 3.12", "/app/.venv"),
    ("RUN uv venv --seed /opt/venv", "/opt/venv"),
    ("RUN python -m venv venv", "/app/venv"),
    ("RUN python -m venv ./.venv", "/app/.venv"),
    ("RUN python -m venv ../env", "/env"),
    ("RUN apt-get update && python3 -m venv /v && /v/bin/pip --version", "/v"),
    ("RUN bash -c 'python -m venv /opt/venv'", "/opt/venv"),
    ('RUN ["python", "-m", "venv", "/opt/venv"]', "/opt/venv"),
    ("ENV VENV=/srv/v\nRUN python -m venv $VENV", "/srv/v"),
    ("ARG VENV_DIR=/srv/v\nRUN python -m venv ${VENV_DIR}", "/srv/v"),
    ("RUN <<EOF\nset -e\npython -m venv /opt/venv\nEOF", "/opt/venv"),
    ("RUN python -m venv /opt/venv > /dev/null 2>&1 && echo ok", "/opt/venv"),
    ("RUN python -m venv /opt/venv>/tmp/log", "/opt/venv"),
]


@pytest.mark.parametrize(("line", "venv"), CREATED, ids=[c[0] for c in CREATED])
def test_dv101_venv_created(tmp_path: Path, line: str, venv: str) -> None:
    found = check(tmp_path, f"FROM python:3.12\nWORKDIR /app\n{line}\n", "DV101")
    run_line = 3 + line[: line.index("RUN")].count("\n")
    assert found == [("DV101", run_line, f"virtualenv created in the image at {venv}")]


NOT_CREATED = [
    "RUN pip install --prefix=/install flask",
    "RUN pip install --user flask",
    "RUN pip install --target=/deps flask",
    "RUN echo python -m venv /opt/venv",
    "RUN pip install virtualenv",
    "RUN python -m pip install venv-tools",
    "RUN python -c 'import venv'",
    "RUN apt-get install -y python3-venv",
    "# RUN python -m venv /opt/venv",
    "RUN uv pip install --system flask",
    "RUN python3 -mpip --version && python3 -m venv --help > /dev/null",
    "RUN python -m venv -h 2>&1 | head -1",
]


@pytest.mark.parametrize("line", NOT_CREATED)
def test_dv1_not_reported_for_lookalikes(tmp_path: Path, line: str) -> None:
    assert check(tmp_path, f"FROM python:3.12\nWORKDIR /app\n{line}\n") == []


def test_stage_named_venv_is_not_a_venv(tmp_path: Path) -> None:
    text = ("FROM python:3.12 AS venv\nRUN pip install --prefix=/install flask\n"
            "FROM python:3.12-slim\nCOPY --from=venv /install /usr/local\nCMD [\"flask\"]\n")
    assert check(tmp_path, text) == []


def test_user_site_copied_between_stages_is_not_a_venv(tmp_path: Path) -> None:
    text = ("FROM python:3.12 AS deps\nRUN pip install --user flask\n"
            "FROM python:3.12-slim\nCOPY --from=deps /root/.local /root/.local\n"
            "ENV PATH=/root/.local/bin:$PATH\n")
    assert check(tmp_path, text) == []


ACTIVATED = [
    (". /opt/venv/bin/activate && pip install flask", "/opt/venv", "."),
    ("source /opt/venv/bin/activate; pip install flask", "/opt/venv", "source"),
    (". venv/bin/activate && pip install flask", "/app/venv", "."),
    (". ./.venv/bin/activate", "/app/.venv", "."),
    ("bash -c \". /opt/venv/bin/activate && pip install flask\"", "/opt/venv", "."),
    ("bash -lc 'source venv/bin/activate && flask --version'", "/app/venv", "source"),
    ("(python -m venv .venv && . .venv/bin/activate && pip install x)", "/app/.venv", "."),
]


@pytest.mark.parametrize(("run", "venv", "how"), ACTIVATED, ids=[a[0] for a in ACTIVATED])
def test_dv102_activation(tmp_path: Path, run: str, venv: str, how: str) -> None:
    found = check(tmp_path, f"FROM python:3.12\nWORKDIR /app\nRUN {run}\n", "DV102")
    assert len(found) == 1
    code, line, message = found[0]
    assert (code, line) == ("DV102", 3)
    assert message.startswith(f"virtualenv {venv} activated with '{how} ")


def test_dv102_after_shell_instruction(tmp_path: Path) -> None:
    text = ('FROM python:3.12\nSHELL ["/bin/bash", "-c"]\nWORKDIR /srv\n'
            "RUN python -m venv venv\nRUN source venv/bin/activate && pip install flask\n")
    assert codes(check(tmp_path, text)) == [("DV101", 4), ("DV102", 5)]


def test_dv102_ignores_other_dot_commands(tmp_path: Path) -> None:
    text = "FROM python:3.12\nRUN . /etc/os-release && echo $ID\nRUN source ~/.bashrc\n"
    assert check(tmp_path, text) == []


PATHS = [
    'ENV PATH=/opt/venv/bin:$PATH',
    'ENV PATH /opt/venv/bin:$PATH',
    'ENV PATH="/opt/venv/bin:$PATH"',
    "ENV PATH='/opt/venv/bin:$PATH'",
    'ENV PATH=/opt/venv/bin:${PATH}',
    'ENV PATH="/opt/venv/bin":$PATH',
    'ENV PATH="/opt/venv/bin/:$PATH"',
    'ENV LANG=C.UTF-8 PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1',
    'ENV VIRTUAL_ENV=/opt/venv\nENV PATH="$VIRTUAL_ENV/bin:$PATH"',
]


@pytest.mark.parametrize("env", PATHS)
def test_dv103_path_spellings(tmp_path: Path, env: str) -> None:
    found = [f for f in check(tmp_path, f"FROM python:3.12\n{env}\n", "DV103") if "PATH" in f[2]
             and not f[2].startswith("VIRTUAL_ENV")]
    assert len(found) == 1
    assert found[0][0] == "DV103"
    assert found[0][1] == 2 + env.count("\n")
    assert found[0][2].endswith(" first")


def test_dv103_appended_path_and_relative_venv(tmp_path: Path) -> None:
    text = "FROM python:3.12\nWORKDIR /srv\nRUN python -m venv venv\nENV PATH=$PATH:/srv/venv/bin\n"
    assert [m for c, _l, m in check(tmp_path, text) if c == "DV103"] == [
        "PATH puts the virtualenv's /srv/venv/bin on the search path"]


def test_dv103_virtual_env_variable(tmp_path: Path) -> None:
    assert check(tmp_path, "FROM python:3.12\nENV VIRTUAL_ENV=/opt/venv\n") == [
        ("DV103", 2, "VIRTUAL_ENV=/opt/venv points the image at a virtualenv")]


@pytest.mark.parametrize("env", [
    "ENV PATH=/root/.local/bin:$PATH",
    "ENV PATH=/usr/local/cuda/bin:/usr/local/bin:$PATH",
    "ENV PATH=/opt/poetry/bin:$PATH",
    "ENV PYTHONPATH=/opt/venv/lib",
    "ENV GOPATH=/go PATH=/go/bin:$PATH",
])
def test_dv103_not_reported_for_other_paths(tmp_path: Path, env: str) -> None:
    assert check(tmp_path, f"FROM python:3.12\n{env}\n") == []


EXECUTABLES = [
    ("RUN /opt/venv/bin/pip install -r requirements.txt", "RUN", "/opt/venv/bin/pip"),
    ("RUN /venv/bin/python3 -m pip install flask", "RUN", "/venv/bin/python3"),
    ('CMD ["/opt/venv/bin/gunicorn", "app:app"]', "CMD", "/opt/venv/bin/gunicorn"),
    ("CMD /opt/venv/bin/python -m app", "CMD", "/opt/venv/bin/python"),
    ('ENTRYPOINT ["/opt/venv/bin/python", "-m", "app"]', "ENTRYPOINT", "/opt/venv/bin/python"),
    ('ENTRYPOINT ["/bin/sh", "-c", "exec /opt/venv/bin/uvicorn app:app"]', "ENTRYPOINT", "/opt/venv/bin/uvicorn"),
    ("HEALTHCHECK --interval=5s CMD /opt/venv/bin/python -c 'import app'", "HEALTHCHECK", "/opt/venv/bin/python"),
    ('HEALTHCHECK CMD ["/opt/venv/bin/app", "health"]', "HEALTHCHECK", "/opt/venv/bin/app"),
    ('RUN "${VIRTUAL_ENV}/bin/pip" install flask', "RUN", "${VIRTUAL_ENV}/bin/pip"),
    ('ENTRYPOINT ["/sbin/tini", "--", "/opt/venv/bin/app"]', "ENTRYPOINT", "/opt/venv/bin/app"),
]


@pytest.mark.parametrize(("line", "cmd", "exe"), EXECUTABLES, ids=[e[0] for e in EXECUTABLES])
def test_dv104_venv_executable(tmp_path: Path, line: str, cmd: str, exe: str) -> None:
    found = check(tmp_path, f"FROM python:3.12\nENV VIRTUAL_ENV=/opt/venv\n{line}\n", "DV104")
    assert len(found) == 1
    assert found[0][:2] == ("DV104", 3)
    assert found[0][2].startswith(f"{cmd} runs {exe} from the virtualenv ")


@pytest.mark.parametrize("line", [
    "RUN /usr/local/bin/python -m pip install flask",
    'CMD ["/usr/bin/python3", "app.py"]',
    "RUN /snekbin/python/default/bin/python -m pip install --user numpy",
    'CMD ["python", "-c", "print(\'/opt/venv/bin/python\')"]',
])
def test_dv104_not_reported_for_system_paths(tmp_path: Path, line: str) -> None:
    assert check(tmp_path, f"FROM python:3.12\n{line}\n") == []


COPIES = [
    ("COPY --from=builder /opt/venv /opt/venv", "/opt/venv"),
    ("COPY --from=builder /opt/venv/ /opt/venv/", "/opt/venv/"),
    ("COPY --from=builder --chown=app:app /app/.venv /app/.venv", "/app/.venv"),
    ("COPY --link --from=0 /opt/venv /opt/venv", "/opt/venv"),
    ("COPY --from=builder $VIRTUAL_ENV $VIRTUAL_ENV", "$VIRTUAL_ENV"),
]


@pytest.mark.parametrize(("line", "src"), COPIES)
def test_dv105_venv_copied(tmp_path: Path, line: str, src: str) -> None:
    text = ("FROM python:3.12 AS builder\nENV VIRTUAL_ENV=/opt/venv\n"
            f"FROM python:3.12-slim\nENV VIRTUAL_ENV=/opt/venv\n{line}\n")
    found = check(tmp_path, text, "DV105")
    assert [(c, n) for c, n, _m in found] == [("DV105", 5)]
    assert found[0][2].startswith(f"virtualenv {src} copied from stage ")


def test_dv105_folder_holding_a_venv_is_reported_not_fixable(tmp_path: Path) -> None:
    text = ("FROM python:3.12 AS builder\nWORKDIR /opt/app\nRUN python -m venv .venv\n"
            "FROM python:3.12-slim\nCOPY --from=builder /opt/app /opt/app\n")
    (tmp_path / "Dockerfile").write_text(text)
    [f] = [f for f in findings(read_project(tmp_path), Settings(select=("DV105",)))]
    assert (f.line, f.fixable) == (5, False)
    assert f.message == "/opt/app copied from stage 'builder' holds the virtualenv /opt/app/.venv"


@pytest.mark.parametrize("line", [
    "COPY --from=builder /install /usr/local",
    "COPY --from=builder /root/.local /root/.local",
    "COPY --from=builder /app/dist /dist",
    "COPY --from=venv /usr/local/lib /usr/local/lib",
    "COPY venv-notes.txt /docs/",
])
def test_dv105_not_reported_for_other_copies(tmp_path: Path, line: str) -> None:
    text = f"FROM python:3.12 AS builder\nFROM python:3.12 AS venv\nFROM python:3.12-slim\n{line}\n"
    assert check(tmp_path, text) == []


TOOLS = [
    ("RUN uv sync --frozen", "uv sync"),
    ("RUN poetry install --no-root", "poetry install"),
    ("RUN pipenv install --deploy", "pipenv install"),
    ("RUN pipenv sync", "pipenv sync"),
]


@pytest.mark.parametrize(("line", "tool"), TOOLS)
def test_dv106_tool_venv(tmp_path: Path, line: str, tool: str) -> None:
    assert check(tmp_path, f"FROM python:3.12\n{line}\n", "DV106") == [
        ("DV106", 2, f"'{tool}' installs the project into a virtualenv")]


@pytest.mark.parametrize("text", [
    "ENV UV_PROJECT_ENVIRONMENT=/usr/local\nRUN uv sync --frozen",
    "RUN uv sync --system",
    "ENV POETRY_VIRTUALENVS_CREATE=false\nRUN poetry install",
    "RUN poetry config virtualenvs.create false && poetry install",
    "RUN pipenv install --system --deploy",
    "RUN poetry export -f requirements.txt -o r.txt",
])
def test_dv106_not_reported_when_the_tool_installs_into_the_system(tmp_path: Path, text: str) -> None:
    assert check(tmp_path, f"FROM python:3.12\n{text}\n", "DV106") == []


def test_uv_project_environment_at_the_system_prefix_is_no_venv(tmp_path: Path) -> None:
    text = ("FROM python:3.12 AS b\nENV UV_PROJECT_ENVIRONMENT=/usr/local\nRUN uv sync --frozen\n"
            "FROM python:3.12-slim\nCOPY --from=b /usr/local /usr/local\nENV PATH=/usr/local/bin:$PATH\n"
            'CMD ["/usr/local/bin/python", "-m", "app"]\n')
    assert check(tmp_path, text) == []
    venv = text.replace("/usr/local\nRUN", "/opt/venv\nRUN")
    assert codes(check(tmp_path, venv)) == [("DV106", 3)]
