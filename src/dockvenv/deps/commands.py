"""Programs the project runs in its containers: Dockerfiles, Procfile, compose files.

Every Dockerfile and every stage counts, RUN included: a test run during the build
breaks as surely as a CMD if its tool goes missing.  Wrappers are looked through
(``uv run``, ``poetry run``, ``exec``, ``dumb-init --``, ``sh -c``), and
``python -m X`` / ``coverage run -m X`` name module X.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from dockvenv.deps.devtools import program_distribution
from dockvenv.dockerfile import parse as parse_dockerfile
from dockvenv.errors import InputError
from dockvenv.project import Project
from dockvenv.shell import commands

_RUNNERS = frozenset({"uv", "poetry", "pipenv", "pdm", "hatch", "rye", "uvx", "pipx"})
_PASS_THROUGH = frozenset({"exec", "env", "dumb-init", "tini", "nohup", "time", "command", "sudo"})
_USER_SWITCH = frozenset({"gosu", "su-exec", "chpst"})
_PY = re.compile(r"^python(\d(\.\d+)?)?$")
_COMPOSE = re.compile(r"^(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml$")


@dataclass(frozen=True)
class Run:
    distribution: str  # of the program, e.g. "pytest" for py.test
    modules: tuple[str, ...]  # top-level modules run with -m
    path: str
    line: int
    text: str


def runs(project: Project) -> list[Run]:
    out: list[Run] = []
    for path in sorted(project.files):
        name = path.rsplit("/", 1)[-1]
        text = project.files[path].text
        if path in project.dockerfiles:
            out.extend(_dockerfile(path, text))
        elif name == "Procfile":
            for no, line in enumerate(text.splitlines(), 1):
                _, sep, cmd = line.partition(":")
                if sep and not line.lstrip().startswith("#"):
                    out.extend(_shell(cmd, path, no))
        elif _COMPOSE.match(name):
            out.extend(_compose(path, text))
    return out


def _dockerfile(path: str, text: str) -> Iterator[Run]:
    try:
        df = parse_dockerfile(text, path)
    except InputError:
        return  # the Dockerfile rules report it
    for ins in df.instructions:
        if ins.cmd not in ("RUN", "CMD", "ENTRYPOINT"):
            continue
        if ins.json:
            yield from _argv(tuple(ins.value), path, ins.start_line, " ".join(ins.value))
        else:
            yield from _shell(ins.shell_text, path, ins.start_line)


def _shell(text: str, path: str, line: int) -> Iterator[Run]:
    for cmd in commands(text):
        yield from _argv(cmd.argv, path, line, text.strip())


def _argv(argv: tuple[str, ...], path: str, line: int, text: str) -> Iterator[Run]:
    args = list(argv)
    modules: list[str] = []
    while args:
        prog = posixpath.basename(args[0])
        if prog in _PASS_THROUGH or prog == "--":
            args = args[1:]
            while args and (args[0].startswith("-") or "=" in args[0]):
                args = args[1:]
        elif prog in _USER_SWITCH:
            args = args[2:]
        elif prog in _RUNNERS and len(args) > 1 and args[1] in ("run", "exec", "x"):
            args = _skip_options(args[2:])
        elif prog in ("uvx", "pipx") and len(args) > 1:
            args = _skip_options(args[1:])
        elif _PY.match(prog):
            rest = _skip_options(args[1:], stop="-m")
            if rest and rest[0] == "-m" and len(rest) > 1:
                modules.append(rest[1].split(".")[0])
                args = rest[1:]
            elif rest and rest[0].startswith("-m") and len(rest[0]) > 2:
                modules.append(rest[0][2:].split(".")[0])
                args = rest
            break
        else:
            break
    if not args:
        return
    prog = posixpath.basename(args[0])
    if prog == "coverage" and "-m" in args:
        idx = args.index("-m")
        if idx + 1 < len(args):
            modules.append(args[idx + 1].split(".")[0])
    if _PY.match(prog) and modules:
        prog = ""
    yield Run(program_distribution(prog) if prog else "", tuple(modules), path, line, text)


def _skip_options(args: list[str], stop: str = "") -> list[str]:
    while args and args[0].startswith("-") and args[0] != stop and not (stop and args[0].startswith(stop)):
        if args[0] in ("--with", "--from", "--python", "-p", "--env-file", "--extra", "--group", "-W"):
            args = args[1:]
        args = args[1:]
    return args


def _compose(path: str, text: str) -> Iterator[Run]:
    lines = text.splitlines()
    for no, line in enumerate(lines, 1):
        m = re.match(r"^(\s*)(command|entrypoint):\s*(.*?)\s*$", line)
        if not m:
            continue
        indent, value = len(m.group(1)), m.group(3)
        if value.startswith("["):
            try:
                argv = tuple(str(v) for v in json.loads(value))
            except ValueError:
                argv = tuple(v.strip().strip("'\"") for v in value.strip("[]").split(","))
            yield from _argv(argv, path, no, value)
        elif value and value not in ("|", ">", "|-", ">-"):
            yield from _shell(value.strip("'\"") if value[:1] in "'\"" else value, path, no)
        else:
            items: list[str] = []
            block: list[str] = []
            for nxt in lines[no:]:
                if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                    break
                s = nxt.strip()
                if s.startswith("- "):
                    items.append(s[2:].strip().strip("'\""))
                elif s:
                    block.append(s)
            if items:
                yield from _argv(tuple(items), path, no, " ".join(items))
            elif block:
                yield from _shell(" ".join(block), path, no)
