"""Hypothesis generators: Dockerfiles and packaging files shaped like the corpus's.

Dockerfiles are assembled from instruction shapes seen in ../shared/corpus (written
out here by hand, so the suite runs without the corpus) and, when the corpus is
there, from its real instruction spans, read in place at import time.  Each
generated file comes with the *markers* it carries: tokens of instructions that are
not venv machinery and that a migration must keep (``echo keep3``, ``LABEL keep4=x``).

The number of examples comes from ``DOCKVENV_FUZZ_EXAMPLES`` (default 60, with
``derandomize`` so CI is stable); ``bench/fuzz_long.py`` sets it to 10,000.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from dockvenv.project import Project, TextFile

EXAMPLES = int(os.environ.get("DOCKVENV_FUZZ_EXAMPLES", "60"))
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def fuzz_settings(share: float = 1.0) -> Callable:  # type: ignore[type-arg]
    """``EXAMPLES`` examples (times ``share`` in a short run); derandomized unless it is a long run."""
    return settings(
        max_examples=EXAMPLES if EXAMPLES > 1000 else max(10, int(EXAMPLES * share)),
        derandomize=EXAMPLES <= 1000,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


# -- Dockerfiles ---------------------------------------------------------------------------------

VENVS = ("/opt/venv", "/venv", "/app/.venv", ".venv", "venv", "/home/app/venv", "$VIRTUAL_ENV", "${VENV_PATH}")
STAGE_NAMES = ("builder", "build", "base", "venv", "python-deps", "Builder", "compile-image", "deps")
BASES = ("python:3.12-slim", "python:${PY}-slim", "python:3.11-alpine", "debian:bookworm-slim", "ubuntu:24.04",
         "ghcr.io/astral-sh/uv:python3.12-bookworm-slim", "python:3.12", "--platform=$BUILDPLATFORM python:3.12")


def _venv_cmds(v: str) -> list[str]:
    return [f"python -m venv {v}", f"python3 -m venv --copies {v}", f"python3.12 -mvenv {v}", f"virtualenv {v}",
            f"uv venv {v}", "uv venv", f"python -m virtualenv -p python3 {v}", "python3 -m venv --help > /dev/null"]


def _activate(v: str) -> list[str]:
    return [f". {v}/bin/activate", f"source {v}/bin/activate"]


def _installs(v: str) -> list[str]:
    return [
        "pip install --no-cache-dir -r requirements.txt", f"{v}/bin/pip install --upgrade pip setuptools wheel",
        f"{v}/bin/python -m pip install .", "pip install -e .", "pip install .[server]", "pip3 install --no-cache-dir .",
        "uv pip install -r requirements.txt", "uv pip install --system .", "uv sync --frozen --no-dev",
        "uv sync --locked --no-install-project", "poetry install --no-root --only main",
        "poetry config virtualenvs.in-project true", "pipenv install --deploy --system", "pip install uv==0.4.0",
        "pip install poetry==1.8.3", "pip install gunicorn==22.0.0", f"{v}/bin/pip install -r requirements.txt",
        "python -m pip install --user .", "pip install dist/*.whl", "pip install -r requirements.txt > /tmp/pip.log 2>&1",
        "pip install --prefix=/install .", "poetry export -f requirements.txt -o requirements.txt",
    ]


def _others(v: str, keep: Callable[[], str]) -> list[Callable[[], str]]:
    return [
        lambda: f"echo {keep()}", lambda: "apt-get update", lambda: "rm -rf /var/lib/apt/lists/*",
        lambda: "apt-get install -y --no-install-recommends gcc libpq-dev", lambda: "cd /app", lambda: "set -eux",
        lambda: "apk add --no-cache --virtual .build-deps gcc musl-dev", lambda: "apk del .build-deps",
        lambda: "useradd -m app", lambda: f"mkdir -p /data/{keep()}", lambda: f"{v}/bin/python -m compileall /app",
        lambda: "chown -R app:app /app", lambda: "npm ci", lambda: "python manage.py collectstatic --noinput",
        lambda: f"(cd /tmp && echo {keep()})", lambda: f"if [ -f x ]; then echo {keep()}; fi",
        lambda: f"bash -c 'echo {keep()}'", lambda: "python3 --version | tee /VERSION.txt",
    ]


@dataclass
class _State:
    """What the generator knows while it writes one Dockerfile."""

    draw: Callable  # type: ignore[type-arg]
    venv: str
    stage: str = "0"
    stages: list[str] = field(default_factory=list)
    markers: list[tuple[str, str]] = field(default_factory=list)  # (stage key, token)
    n: int = 0

    def keep(self) -> str:
        self.n += 1
        token = f"keep{self.n}"
        self.markers.append((self.stage, token))
        return token

    def pick(self, items):  # type: ignore[no-untyped-def]
        return self.draw(st.sampled_from(list(items)))


def _run(s: _State) -> str:
    """A RUN: one to four commands, joined in one of the layouts the corpus uses."""
    v = s.venv
    pools = [_venv_cmds(v), _activate(v), _installs(v)]
    cmds = []
    for _ in range(s.draw(st.integers(1, 4))):
        kind = s.draw(st.integers(0, 4))
        cmds.append(s.pick(_others(v, s.keep))() if kind >= 3 else s.pick(pools[kind]))
    flags = s.pick(["", "", "--mount=type=cache,target=/root/.cache/pip ",
                    ("--mount=type=cache,target=/root/.cache/uv --mount=type=bind,source=uv.lock,target=uv.lock "),
                    "--network=host "])
    layout = s.draw(st.integers(0, 7))
    if layout == 0:
        body = " && ".join(cmds)
    elif layout == 1:
        body = " \\\n    && ".join(cmds)
    elif layout == 2:  # comment lines and a blank line inside the continuation
        body = " \\\n    # step\n    && ".join(cmds) + (" \\\n\n    && true" if s.draw(st.booleans()) else "")
    elif layout == 3:
        body = "set -eux; \\\n    " + "; \\\n    ".join(cmds)
    elif layout == 4:
        return f"RUN {flags}<<EOF\n" + "\n".join(cmds) + "\nEOF"
    elif layout == 5:
        return f"RUN {flags}<<-EOT bash\n\tset -e\n" + "".join(f"\t{c}\n" for c in cmds) + "EOT"
    elif layout == 6:
        return f'RUN ["sh", "-c", "{" && ".join(c.replace(chr(34), "") for c in cmds)}"]'
    else:
        body = f"bash -c '{' && '.join(c.replace(chr(39), '') for c in cmds)}'"
    return f"RUN {flags}{body}"


def _env(s: _State) -> str:
    v = s.venv
    abs_v = v if v.startswith("/") else "/app/" + v
    return s.pick([
        lambda: f"ENV VIRTUAL_ENV={abs_v}", lambda: f"ENV VIRTUAL_ENV {abs_v}", lambda: f'ENV PATH="{v}/bin:$PATH"',
        lambda: f"ENV PATH={v}/bin:${{PATH}}", lambda: 'ENV PATH="$VIRTUAL_ENV/bin:$PATH"',
        lambda: f'ENV PYTHONUNBUFFERED=1 \\\n    KEEP_{s.keep()}=yes \\\n    PATH="{v}/bin:$PATH"',
        lambda: "ENV UV_PROJECT_ENVIRONMENT=/opt/venv", lambda: "ENV POETRY_VIRTUALENVS_IN_PROJECT=true",
        lambda: f"ENV KEEP_{s.keep()}=1", lambda: "ENV POETRY_VIRTUALENVS_CREATE=false",
        lambda: "ENV PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1", lambda: "ENV VENV_PATH=/venv",
        lambda: f'ENV VIRTUAL_ENV={abs_v} PATH="{abs_v}/bin:$PATH" KEEP_{s.keep()}="a b"',
    ])()


def _copy(s: _State) -> str:
    v = s.venv if s.venv.startswith("/") else "/app/" + s.venv
    prev = s.pick(s.stages) if s.stages else "0"
    fixed = ["COPY . .", "COPY . /app", "COPY requirements.txt .", "COPY pyproject.toml uv.lock ./",
             "COPY setup.py setup.cfg ./", "COPY pyproject.toml poetry.lock* ./", f"COPY --from={prev} {v} {v}",
             f"COPY --from={prev} --chown=app:app {v} {v}", f"COPY --from={prev} /app/.venv /app/.venv",
             "COPY .env .env", "COPY .env* ./", "ADD .env.production /app/.env", 'COPY ["src/", "/app/src/"]',
             f"COPY --from={prev} /app/dist /dist", "COPY --chmod=755 entrypoint.sh /entrypoint.sh", "COPY app.py .",
             "COPY src/ ./src/", f"COPY --link --from={prev} /usr/local /usr/local"]
    return s.pick([*(lambda t=t: t for t in fixed), lambda: f"COPY {s.keep()}.txt /app/",
                   lambda: f"COPY <<EOF /app/{s.keep()}.ini\n[section]\nkey = value\nEOF"])()


def _cmd(s: _State) -> str:
    v = s.venv
    return s.pick([
        f'CMD ["{v}/bin/gunicorn", "-b", "0.0.0.0:8000", "app:app"]', f"CMD {v}/bin/python -m app",
        f'ENTRYPOINT ["{v}/bin/python", "-m", "app"]', f"CMD . {v}/bin/activate && exec python app.py",
        'CMD ["poetry", "run", "python", "-m", "app"]', 'CMD ["uv", "run", "app"]', "CMD uv run --no-dev app",
        'CMD ["python", "-m", "app"]', 'CMD ["gunicorn", "app:app"]', 'ENTRYPOINT ["/entrypoint.sh"]',
        "CMD python app.py", f'HEALTHCHECK --interval=30s CMD {v}/bin/python -c "import app" || exit 1',
        "HEALTHCHECK NONE", f'CMD ["sh", "-c", "{v}/bin/python -m app"]',
    ])


def _kept(s: _State) -> str:
    """Instructions no migration may touch."""
    return s.pick([
        lambda: f'LABEL {s.keep()}="x"', lambda: f"EXPOSE {8000 + s.n}", lambda: "USER app", lambda: "USER 1000:1000",
        lambda: "WORKDIR /app", lambda: "WORKDIR /srv", lambda: "STOPSIGNAL SIGINT", lambda: f"VOLUME /{s.keep()}",
        lambda: f"ARG KEEP_{s.keep()}=1", lambda: 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
        lambda: f"ONBUILD RUN echo {s.keep()}", lambda: "MAINTAINER someone@example.org", lambda: "ARG PY",
    ])()


def _comment(s: _State) -> str:
    return s.pick(["# a comment", "# hadolint ignore=DL3008,DL3013", "# dockvenv: ignore[DV101]", "#",
                   "# syntax=not/a-directive-here", "", "", "   "])


def _corpus_shapes() -> tuple[str, ...]:
    """Every instruction span of the corpus Dockerfiles (LF, without FROM), read in place."""
    if not CORPUS.is_dir():
        return ()
    from dockvenv import dockerfile
    from dockvenv.project import is_dockerfile

    out: list[str] = []
    for path in sorted(CORPUS.rglob("*")):
        if not (path.is_file() and is_dockerfile(path.name)):
            continue
        try:
            df = dockerfile.parse(path.read_bytes().decode("utf-8").replace("\r\n", "\n").lstrip("\ufeff"))
        except Exception:  # noqa: BLE001 - a shape we cannot read is just not a shape
            continue
        out += [df.span_text(i).rstrip("\n") for i in df.instructions if i.cmd not in ("FROM",) and df.escape == "\\"]
    return tuple(dict.fromkeys(out))


CORPUS_SHAPES = _corpus_shapes()
_PIECES = (_run, _run, _run, _env, _copy, _copy, _cmd, _kept, _kept, _comment)


@dataclass(frozen=True)
class DockerfileCase:
    text: str
    markers: tuple[tuple[str, str], ...]  # (stage key, token): tokens a migration must keep
    crlf: bool
    bom: bool

    def __repr__(self) -> str:  # hypothesis prints this on failure: make it pasteable
        return f"DockerfileCase(text={self.text!r})"


@st.composite
def dockerfiles(draw: Callable, junk: bool = False) -> DockerfileCase:  # type: ignore[type-arg]
    """A Dockerfile of one to three stages; with ``junk``, also random lines and bytes."""
    s = _State(draw, draw(st.sampled_from(VENVS)))
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["# syntax=docker/dockerfile:1", "# syntax=docker/dockerfile:1.7",
                                           "# check=skip=JSONArgsRecommended", "# escape=\\"])))
    lines += draw(st.lists(st.sampled_from(["ARG PY=3.12", "ARG BASE=python:3.12-slim", "# build args", ""]),
                           max_size=2))
    if s.venv == "${VENV_PATH}":
        lines.append("ARG VENV_PATH=/opt/venv")
    n_stages = draw(st.integers(1, 3))
    for index in range(n_stages):
        name = draw(st.sampled_from(STAGE_NAMES)) if index < n_stages - 1 or draw(st.booleans()) else None
        if name and name.lower() in (x.lower() for x in s.stages):
            name = None
        base = draw(st.sampled_from(BASES + tuple(s.stages[-1:])))
        lines.append(f"FROM {base}" + (f" AS {name}" if name else ""))
        s.stage = (name or str(index)).lower()
        if s.venv == "$VIRTUAL_ENV" and draw(st.booleans()):
            lines.append("ENV VIRTUAL_ENV=/opt/venv")
        for _ in range(draw(st.integers(0, 9))):
            if CORPUS_SHAPES and draw(st.integers(0, 5)) == 0:
                lines.append(draw(st.sampled_from(CORPUS_SHAPES)))
            elif junk and draw(st.integers(0, 6)) == 0:
                lines.append(draw(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)))
            else:
                lines.append(draw(st.sampled_from(_PIECES))(s))
        if name:
            s.stages.append(name)
    lines = [_restyle(draw, line) for line in lines]
    text = "\n".join(lines) + ("\n" if draw(st.integers(0, 5)) else "")
    crlf, bom = draw(st.integers(0, 4)) == 0, draw(st.integers(0, 6)) == 0
    if crlf:
        text = text.replace("\n", "\r\n")
    if bom:
        text = "\ufeff" + text
    return DockerfileCase(text, tuple(s.markers), crlf, bom)


def _restyle(draw: Callable, line: str) -> str:  # type: ignore[type-arg]
    """Lower-case keywords, indentation, trailing blanks: what real files have."""
    how = draw(st.integers(0, 12))
    if how == 0 and line[:1].isalpha():
        word, _, rest = line.partition(" ")
        return f"{word.lower()} {rest}"
    if how == 1:
        return "  " + line
    if how == 2 and "\n" not in line:
        return line + " \t"
    return line


# -- packaging files -----------------------------------------------------------------------------

RUNTIME_REQS = ("flask>=3.0", "requests", "uvicorn[standard]>=0.30", "django~=5.0", 'tomli; python_version < "3.11"',
                "gunicorn==22.0.0", "python-dotenv>=1", "Jinja2", "pydantic_settings", "app-core @ file:///src/core")
DEV_REQS = ("pytest>=8", "pytest-cov", "mypy==1.10.0", "ruff", "black>=24", "coverage[toml]>=7", "Flake8",
            "pytest_mock", "pre-commit", "ipython", "types-requests", "django-stubs>=5")
REQS = st.sampled_from(RUNTIME_REQS + DEV_REQS)


def _array(draw: Callable, items: list[str]) -> str:  # type: ignore[type-arg]
    style = draw(st.integers(0, 3))
    quoted = [json.dumps(i) for i in items]
    if style == 0 or not items:
        return "[" + ", ".join(quoted) + "]"
    comma = "," if style != 2 else ""
    body = ",\n".join(f"    {q}" + ("  # why" if k % 2 and style == 3 else "") for k, q in enumerate(quoted))
    return "[\n" + body + comma + "\n]"


@st.composite
def pyprojects(draw: Callable) -> str:  # type: ignore[type-arg]
    """A pyproject.toml in one of the shapes projects use: PEP 621, dotted keys, Poetry, groups."""
    deps = draw(st.lists(REQS, max_size=6, unique=True))
    dev = draw(st.lists(st.sampled_from(DEV_REQS), max_size=3, unique=True))
    shape = draw(st.integers(0, 5))
    out = []
    if shape == 0:  # PEP 621 tables
        out += ["[project]", 'name = "app"', 'version = "1.0"', f"dependencies = {_array(draw, deps)}", ""]
        if dev or draw(st.booleans()):
            out += ["[project.optional-dependencies]", f"server = {_array(draw, ['gunicorn'])}",
                    f"dev = {_array(draw, dev)}", ""]
    elif shape == 1:  # dotted keys: the tomlkit trap
        out += ['project.name = "app"', 'project.version = "1.0"', f"project.dependencies = {_array(draw, deps)}", ""]
    elif shape == 2:  # Poetry
        out += ["[tool.poetry]", 'name = "app"', 'version = "0.1.0"', "", "[tool.poetry.dependencies]",
                'python = "^3.11"']
        out += [f'{_bare(d)} = "*"' for d in deps]
        if dev:
            out += ["", "[tool.poetry.group.dev.dependencies]", *(f'{_bare(d)} = "*"' for d in dev)]
        out.append("")
    elif shape == 3:  # PEP 621 with dependency groups, uv and a dockvenv table
        out += ["[project]", 'name = "app"', 'version = "1.0"', f"dependencies = {_array(draw, deps)}", "",
                "[dependency-groups]", f"dev = {_array(draw, dev)}", "", "[tool.uv]",
                f"dev-dependencies = {_array(draw, dev[:1])}", ""]
        if draw(st.booleans()):
            out += ["[tool.dockvenv]", 'dev-target = "group"', ""]
    elif shape == 4:  # inline project table
        out += [f'project = {{ name = "app", version = "1", dependencies = [{", ".join(map(json.dumps, deps))}] }}', ""]
    else:  # PDM
        out += ["[project]", 'name = "app"', f"dependencies = {_array(draw, deps)}", "", "[tool.pdm.dev-dependencies]",
                f"test = {_array(draw, dev)}", ""]
    if draw(st.booleans()):
        out += ["[build-system]", 'requires = ["hatchling"]', 'build-backend = "hatchling.build"', ""]
    return "\n".join(out)


def _bare(req: str) -> str:
    return re.match(r"[A-Za-z0-9._-]+", req).group(0)  # type: ignore[union-attr]


@st.composite
def setup_cfgs(draw: Callable) -> str:  # type: ignore[type-arg]
    deps = draw(st.lists(REQS, max_size=5, unique=True))
    out = ["[metadata]", "name = app", "", "[options]", "packages = find:", "install_requires ="]
    out += [f"    {d}" + ("  # c" if draw(st.integers(0, 3)) == 0 else "") for d in deps]
    if draw(st.booleans()):
        out += ["", "[options.extras_require]", "dev =", *(f"    {d}" for d in draw(st.lists(
            st.sampled_from(DEV_REQS), max_size=2, unique=True)))]
    return "\n".join(out) + "\n"


@st.composite
def requirements(draw: Callable) -> str:  # type: ignore[type-arg]
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 9))
        if kind <= 5:
            lines.append(draw(REQS) + ("  # pinned" if kind == 5 else ""))
        else:
            lines.append(draw(st.sampled_from([
                "", "# runtime", "-r base.txt", "--index-url https://pypi.org/simple", "-e .",
                "gunicorn==22.0.0 \\\n    --hash=sha256:aa", "pytest==8.2.0 ; python_version >= '3.9'",
                "--no-binary :all:"])))
    return "\n".join(lines) + ("\n" if lines else "")


def _endings(draw: Callable, text: str) -> str:  # type: ignore[type-arg]
    if draw(st.integers(0, 4)) == 0:
        text = text.replace("\n", "\r\n")
    if draw(st.integers(0, 8)) == 0:
        text = "\ufeff" + text
    return text


@st.composite
def projects(draw: Callable, junk: bool = False) -> tuple[dict[str, str], tuple[str, ...], DockerfileCase]:  # type: ignore[type-arg]
    """(files, env files, the Dockerfile case) of a small project: packaging, locks, sources."""
    case = draw(dockerfiles(junk=junk))
    files = {draw(st.sampled_from(DOCKERFILE_PATHS)): case.text}
    if draw(st.integers(0, 3)):
        files["pyproject.toml"] = _endings(draw, draw(pyprojects()))
    if draw(st.booleans()):
        files["requirements.txt"] = _endings(draw, draw(requirements()))
    if draw(st.integers(0, 4)) == 0:
        files["requirements-dev.txt"] = "-r requirements.txt\npytest\n"
    if draw(st.integers(0, 4)) == 0:
        files["setup.cfg"] = _endings(draw, draw(setup_cfgs()))
    if draw(st.integers(0, 5)) == 0:
        files["setup.py"] = "from setuptools import setup\nsetup()\n"
    lock = draw(st.sampled_from([None, None, "uv.lock", "poetry.lock"]))
    if lock:
        files[lock] = "version = 1\n"
    if draw(st.booleans()):
        files[".dockerignore"] = draw(st.sampled_from([".git\n", ".env\n", "*\n!src\n!pyproject.toml\n",
                                                       "**/__pycache__\n.venv\n", "# nothing\n"]))
    files[draw(st.sampled_from(["app.py", "src/app/__init__.py", "app/main.py"]))] = draw(st.sampled_from([
        "print('hi')\n", "import os\n", "from dotenv import load_dotenv\n\nload_dotenv()\n", "import pytest\n",
        "import requests\n"]))
    if draw(st.booleans()):
        files["entrypoint.sh"] = "#!/bin/sh\nexec \"$@\"\n"
    env_files = (".env",) if draw(st.booleans()) else ()
    return files, env_files, case


DOCKERFILE_PATHS = ("Dockerfile", "Dockerfile", "Dockerfile", "docker/Dockerfile", "Containerfile", "app.Dockerfile",
                    "Dockerfile.prod", "Dockerfile.dev")


def in_memory(files: dict[str, str], env_files: tuple[str, ...] = (), root: str = "/nonexistent/fuzz") -> Project:
    """The Project ``read_project`` would return for these files, without touching a disk."""
    dirs = {"/".join(p.split("/")[:k]) for p in files for k in range(1, p.count("/") + 1)}
    text = {p: TextFile(p, t, 0o644, 0, len(t.encode())) for p, t in files.items()}
    return Project(root, text, tuple(sorted(env_files)), frozenset(dirs))
