"""What the image's CMD/ENTRYPOINT run, and what each command needs: a module, a file, a program.

``entries`` gives the commands the image starts (ENTRYPOINT and CMD combined as Docker
does); ``targets`` reads one command's words as its runner does: ``python app.py``
needs the file app.py, ``python -m app`` the module app, ``gunicorn app:app`` the module
of an object, ``celery -A proj`` an app module, ``myapp serve`` a console script.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from dockvenv.analysis import Facts
from dockvenv.dockerfile import Dockerfile, Instruction
from dockvenv.shell import commands, shell_script

PYTHON = re.compile(r"^python(\d(\.\d+)?)?$")
SERVERS = frozenset({"gunicorn", "uvicorn", "hypercorn", "daphne", "waitress-serve", "granian"})
# Programs that are not the app's: the shell, init wrappers, the interpreter, system tools.
SYSTEM = frozenset({"sh", "bash", "ash", "dash", "zsh", "exec", "env", "tini", "dumb-init", "gosu", "su-exec",
                    "nice", "timeout", "true", "false", "echo", "cat", "sleep", "test", "[", "set", "cd", "export",
                    "nginx", "supervisord", "cron", "crond", "caddy", "node", "npm", "java", "tail", "wait",
                    "trap", "ls", "printf", "chown", "chmod", "mkdir", "rm", "cp", "mv", "su", "runuser", "sudo"})
SYSTEM_BIN = ("/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/")
FILE_SUFFIXES = (".py", ".sh", ".ini", ".conf", ".cfg", ".yaml", ".yml", ".toml", ".json")
# Server options that take no value (everything else starting with "-" takes the next word).
_FLAGS = frozenset({"--reload", "--preload", "-D", "--daemon", "--capture-output", "--check-config", "--print-config",
                    "--spew", "--no-sendfile", "--reuse-port", "--enable-stdio-inheritance", "-R",
                    "--strip-header-spaces", "--proxy-protocol", "--suppress-ragged-eofs", "--initgroups",
                    "--use-colors", "--no-use-colors", "--access-log", "--no-access-log", "--proxy-headers",
                    "--no-proxy-headers", "--server-header", "--no-server-header", "--date-header",
                    "--no-date-header", "--factory", "--debug", "-v", "--verbose", "--help", "--version"})
_FILE_OPTIONS = frozenset({"-c", "--config", "--log-config", "--env-file", "--paste", "--certfile", "--keyfile",
                           "--ssl-certfile", "--ssl-keyfile"})
_PY_VALUE_OPTIONS = frozenset({"-W", "-X", "--check-hash-based-pycs"})
# ``python -m X`` where X is a runner: its arguments are read as X's own.
_RUNNER_MODULES = SERVERS | {"celery", "flask", "streamlit", "alembic", "django-admin"}


@dataclass(frozen=True)
class Target:
    kind: str  # "script", "module", "object", "app", "file", "program"
    value: str  # "app.py", "app", "main:app", "proj", "gunicorn.conf.py", "myapp"
    runner: str  # the program that needs it: "python", "gunicorn", "celery", ...
    word: str = ""  # the word as written, when it differs from value

    def describe(self) -> str:
        return f"{self.kind} {self.value}" + (f" ({self.runner})" if self.runner != self.value else "")


@dataclass(frozen=True)
class Entry:
    """One command the image runs, and the instructions it comes from."""

    instructions: tuple[Instruction, ...]
    argv: tuple[str, ...]


def argv_of(ins: Instruction) -> tuple[str, ...]:
    if ins.json:
        return tuple(ins.value)
    return ("/bin/sh", "-c", ins.args) if ins.args.strip() else ()


def entries(df: Dockerfile, facts: Facts) -> list[Entry]:
    """The commands the final image starts: ENTRYPOINT + CMD as Docker joins them."""
    entry: Instruction | None = None
    cmd: Instruction | None = None
    for step in facts.steps:
        if not facts.in_runtime(step):
            continue
        if step.ins.cmd == "ENTRYPOINT":
            entry, cmd = step.ins, None  # a new ENTRYPOINT resets an inherited CMD
        elif step.ins.cmd == "CMD":
            cmd = step.ins
    if entry is None:
        return [Entry((cmd,), argv_of(cmd))] if cmd is not None and argv_of(cmd) else []
    ep = argv_of(entry)
    if not entry.json or cmd is None:
        return [Entry((entry,), ep)] if ep else []
    rest = argv_of(cmd)
    if _wraps(ep):  # "/entrypoint.sh" / tini: CMD is a command of its own
        return [e for e in (Entry((entry,), ep), Entry((cmd,), rest)) if e.argv]
    return [Entry((entry, cmd), ep + rest)]


def _wraps(argv: tuple[str, ...]) -> bool:
    prog = posixpath.basename(argv[0]) if argv else ""
    return prog.endswith(".sh") or prog in ("tini", "dumb-init", "gosu", "su-exec", "sh", "bash") or "entrypoint" in prog


def simple_commands(argv: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The simple commands of one argv: ``sh -c`` scripts opened, wrappers (exec, tini, env) dropped."""
    script = shell_script(argv)
    if script is not None:
        out = []
        for c in commands(script):
            if not c.nested:  # a nested sh -c is opened by the recursion
                out += simple_commands(c.argv)
        return out
    argv = _unwrap(argv)
    return [argv] if argv else []


def _unwrap(argv: tuple[str, ...]) -> tuple[str, ...]:
    while argv:
        prog = posixpath.basename(argv[0])
        if prog in ("exec", "nice"):
            argv = argv[1:]
        elif prog in ("tini", "dumb-init"):
            rest = argv[1:]
            argv = rest[rest.index("--") + 1:] if "--" in rest else tuple(w for w in rest if not w.startswith("-"))
        elif prog in ("gosu", "su-exec") and len(argv) > 2 or prog == "timeout" and len(argv) > 2:
            argv = argv[2:]
        elif prog == "env":
            argv = tuple(_drop_assignments(argv[1:]))
        else:
            return argv
    return argv


def _drop_assignments(words: tuple[str, ...]) -> list[str]:
    out = list(words)
    while out and (re.match(r"^[A-Za-z_]\w*=", out[0]) or out[0].startswith("-")):
        out.pop(0)
    return out


def targets(argv: tuple[str, ...]) -> list[Target]:
    """What one simple command needs from the image."""
    if not argv:
        return []
    first = argv[0]
    prog = posixpath.basename(first)
    if PYTHON.match(prog):
        return _python(argv)
    if "/" in first and not first.startswith(SYSTEM_BIN) and ("/bin/" not in first or first.endswith(".sh")):
        return [Target("file", first, "exec"), *_files(argv[1:], prog)]
    if prog in SYSTEM or first.startswith(SYSTEM_BIN) or "$" in first:
        return _files(argv[1:], prog) if prog not in ("sh", "bash") else []
    return [Target("program", prog, prog, first), *_runner(prog, argv[1:])]


def _python(argv: tuple[str, ...]) -> list[Target]:
    i = 1
    while i < len(argv):
        w = argv[i]
        if w == "-m" or (w.startswith("-m") and not w.startswith("--")):
            module = argv[i + 1] if w == "-m" and i + 1 < len(argv) else w[2:]
            if not module:
                return []
            rest = argv[i + 2:] if w == "-m" else argv[i + 1:]
            if module in _RUNNER_MODULES:
                return [Target("module", module, "python"), *_runner(module, rest)]
            return [Target("module", module, "python"), *_files(rest, "python")]
        if w.startswith("-c") or w == "-":
            return []
        if w in _PY_VALUE_OPTIONS:
            i += 2
            continue
        if w.startswith("-"):
            i += 1
            continue
        return [Target("script", w, "python"), *_files(argv[i + 1:], "python")]
    return []


def _runner(prog: str, args: tuple[str, ...]) -> list[Target]:
    if prog in SERVERS:
        return _server(prog, args)
    if prog == "celery":
        value = _option(args, ("-A", "--app"))
        return [Target("app", value, prog)] if value else []
    if prog == "flask":
        value = _option(args, ("-A", "--app"))
        if value:
            return [Target("file", value, prog)] if value.endswith(".py") else [_object(value, prog)]
        return []
    if prog == "django-admin":
        value = _option(args, ("--settings",))
        return [Target("module", value, prog)] if value else []
    if prog == "alembic":
        value = _option(args, ("-c", "--config"))
        return [Target("file", value or "alembic.ini", prog)]
    if prog == "streamlit" and len(args) > 1 and args[0] == "run":
        return [Target("file", args[1], prog)]
    return _files(args, prog)


def _server(prog: str, args: tuple[str, ...]) -> list[Target]:
    out: list[Target] = []
    app: str | None = None
    i = 0
    while i < len(args):
        w = args[i]
        if w.startswith("-") and w != "-":
            name, eq, value = w.partition("=")
            if not eq and name not in _FLAGS:
                value = args[i + 1] if i + 1 < len(args) else ""
                i += 1
            if name in _FILE_OPTIONS and value:
                out.append(Target("module", value[7:], prog) if value.startswith("python:")
                           else Target("file", value, prog))
        elif app is None:
            app = w
        i += 1
    if app and "$" not in app:
        out.insert(0, _object(app, prog))
    return out


def _object(value: str, runner: str) -> Target:
    if ":" in value:
        return Target("object", value, runner)
    return Target("module", value, runner)


def _option(args: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    for i, w in enumerate(args):
        for name in names:
            if w == name and i + 1 < len(args):
                return args[i + 1]
            if w.startswith(name + "="):
                return w[len(name) + 1:]
            if len(name) == 2 and w.startswith(name) and len(w) > 2 and not w.startswith("--"):
                return w[2:]
    return None


def _files(words: tuple[str, ...], runner: str) -> list[Target]:
    """Words that name files by a path relative to the working directory (``--config app.yaml``)."""
    out = []
    for w in words:
        value = w.partition("=")[2] if w.startswith("-") else w
        if value.endswith(FILE_SUFFIXES) and not value.startswith(("/", "$", "-")) and "*" not in value:
            out.append(Target("file", value, runner))
    return out


def module_of_script(path: str) -> str | None:
    """``app.py`` -> ``app``; ``pkg/cli.py`` -> ``pkg.cli``; None for a name Python cannot import."""
    path = posixpath.normpath(path.removeprefix("./"))
    if not path.endswith(".py") or path.startswith("../"):
        return None
    parts = path[:-3].split("/")
    if parts[-1] == "__main__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)
