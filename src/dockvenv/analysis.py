"""Facts about one Dockerfile that the rules and the rewrite share.

One pass over each stage follows ``WORKDIR``, ``ARG``/``ENV`` values and the venvs
the file creates, then classifies every simple command: a venv created, activated
or used by path, a source-tree install, a build tool installed, and so on.  The
rules only read these facts; they never look at shell text themselves.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace
from functools import cached_property

from dockvenv.dockerfile import Dockerfile, Instruction, Stage, parse_words
from dockvenv.shell import Command, commands, shell_script

_PY = re.compile(r"^python(\d(\.\d+)?)?$")
_PIP = re.compile(r"^pip(\d(\.\d+)?)?$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-=+]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_DIRNAME = re.compile(r"\$\(dirname\s+[\"']?([^\s$()\"']+)[\"']?\s*\)")
_GENERIC_VENV_BIN = re.compile(r"(?:^|/)(?:\.?venv|virtualenv|env|\.?[\w-]*venv[\w-]*)/bin/([\w.+-]+)$")
_SYSTEM_PREFIXES = frozenset({"", "/usr", "/usr/local"})
_VENV_VARS = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "VENV_PATH", "VENV", "VIRTUALENV_PATH")
BUILD_TOOLS = frozenset(
    {"uv", "poetry", "pipenv", "build", "wheel", "hatch", "pdm", "pip-tools", "virtualenv", "setuptools-scm"}
)


@dataclass(frozen=True)
class PipInstall:
    """``pip install`` (any spelling: pip3, python -m pip, uv pip, a venv's pip)."""

    targets: tuple[str, ...]  # positional arguments: '.', '/src', 'flask==3', 'dist/*.whl'
    requirements: tuple[str, ...]  # -r / --requirement files
    editable: tuple[str, ...]
    options: frozenset[str]  # long options seen, e.g. '--user', '--prefix', '--no-deps'
    via_uv: bool = False

    @property
    def local_targets(self) -> tuple[str, ...]:
        return tuple(t for t in (*self.targets, *self.editable) if is_local_path(t))


@dataclass(frozen=True)
class Step:
    """One instruction in context: its stage, working directory and the values in scope."""

    ins: Instruction
    stage: Stage
    workdir: str
    vars: dict[str, str]
    commands: tuple[Command, ...] = ()


@dataclass(frozen=True)
class Facts:
    df: Dockerfile
    steps: tuple[Step, ...]
    venvs: frozenset[str]  # every venv directory this file creates or names
    runtime: frozenset[int] = field(default=frozenset())  # stage indexes in the final image

    @cached_property
    def by_instruction(self) -> dict[int, Step]:
        return {id(s.ins): s for s in self.steps}

    def in_runtime(self, step: Step) -> bool:
        return step.stage.index in self.runtime


def expand(word: str, values: dict[str, str]) -> str:
    """Substitute ``$X``/``${X}``/``${X:-d}`` where X is known; leave the rest."""
    if "$" not in word:
        return word  # the common case, and nothing below can match without a "$"

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3)
        if name in values and values[name] != "":
            return values[name]
        if m.group(2) is not None:
            return m.group(2)
        return m.group(0)

    for _ in range(3):  # values may name each other
        new = _VAR.sub(sub, word)
        if new == word:
            break
        word = new
    # "$(dirname /opt/app/.venv/bin)" once the variable is known: a venv path spelled as its bin's parent
    return _DIRNAME.sub(lambda m: posixpath.dirname(m.group(1).rstrip("/")) or "/", word)


def is_local_path(target: str) -> bool:
    t = target.split("[", 1)[0].strip("'\"")
    if t.startswith("$(") and re.search(r"\.(whl|tar\.gz|zip)\b", t):
        return False  # "$(echo dist/*.whl)": a built wheel or sdist
    if t in (".", "..") or t.startswith(("./", "../", "/", "$")):
        return not t.endswith((".whl", ".tar.gz", ".tgz", ".zip"))  # a built wheel or sdist
    return False


def pip_install(cmd: Command) -> PipInstall | None:
    argv = list(cmd.argv)
    via_uv = False
    if not argv:
        return None
    prog = posixpath.basename(argv[0])
    if _PY.match(prog) and len(argv) > 2 and argv[1] == "-m" and argv[2] == "pip":
        rest = argv[3:]
    elif _PY.match(prog) and len(argv) > 1 and argv[1] == "-mpip":
        rest = argv[2:]
    elif _PIP.match(prog):
        rest = argv[1:]
    elif prog == "uv" and len(argv) > 1 and argv[1] == "pip":
        rest, via_uv = argv[2:], True
    else:
        return None
    if not rest or rest[0] != "install":
        return None
    targets: list[str] = []
    reqs: list[str] = []
    editable: list[str] = []
    options: set[str] = set()
    it = iter(rest[1:])
    for arg in it:
        if arg in ("-r", "--requirement", "--requirements", "-c", "--constraint", "--constraints"):
            val = next(it, "")
            if arg.startswith(("-r", "--requirement")) and val and not val.startswith("<"):
                reqs.append(val)  # "-r <(pipenv lock -r)" is a pipe from a lock, not a file
        elif arg.startswith(("--requirement=", "--requirements=")):
            reqs.append(arg.split("=", 1)[1])
        elif arg.startswith("-r") and len(arg) > 2 and not arg.startswith("--"):
            reqs.append(arg[2:])
        elif arg in ("-e", "--editable"):
            editable.append(next(it, ""))
        elif arg.startswith("--editable="):
            editable.append(arg.split("=", 1)[1])
        elif arg.startswith("--"):
            name = arg.split("=", 1)[0]
            options.add(name)
            if "=" not in arg and name in _OPTS_WITH_VALUE:
                next(it, None)
        elif arg.startswith("-") and len(arg) > 1:
            if arg in ("-t", "-i", "-f", "--target"):
                next(it, None)
            options.add(arg)
        else:
            targets.append(arg)
    return PipInstall(tuple(targets), tuple(reqs), tuple(editable), frozenset(options), via_uv)


_OPTS_WITH_VALUE = frozenset(
    {"--prefix", "--target", "--root", "--index-url", "--extra-index-url", "--find-links",
     "--python", "--trusted-host", "--cache-dir", "--src", "--platform", "--python-version",
     "--implementation", "--abi", "--progress-bar", "--constraint", "--timeout", "--retries",
     "--only-binary", "--no-binary", "--config-settings", "--global-option", "--log",
     "--upgrade-strategy", "--root-user-action", "--prefix", "--index", "--default-index",
     "--index-strategy", "--extra-index", "--keyring-provider", "--resolution", "--exclude-newer"}
)


def mounted_from(ins: Instruction) -> list[tuple[str, str]]:
    """(stage, target) of each ``--mount`` of a RUN that mounts another stage's files."""
    out = []
    for spec in ins.flag_values("mount"):
        parts = dict(p.split("=", 1) for p in spec.split(",") if "=" in p)
        if "from" in parts:
            out.append((parts["from"], parts.get("target", parts.get("dst", parts.get("destination", "")))))
    return out


def from_mount_install(ins: Instruction, pip: PipInstall) -> bool:
    """Whether every file a pip install reads comes from another stage's mount (a built artifact)."""
    targets = [t for _s, t in mounted_from(ins) if t]
    files = [*pip.requirements, *pip.local_targets]
    return bool(targets) and all(any(f.startswith(t) for t in targets) for f in files)


def venv_created(cmd: Command, workdir: str) -> str | None:
    """The directory a command makes a venv in (python -m venv, virtualenv, uv venv)."""
    argv = cmd.argv
    if not argv:
        return None
    prog = posixpath.basename(argv[0])
    rest: list[str] | None = None
    if _PY.match(prog) and len(argv) > 2 and argv[1] == "-m" and argv[2] in ("venv", "virtualenv"):
        rest = list(argv[3:])
    elif _PY.match(prog) and len(argv) > 1 and argv[1] in ("-mvenv", "-mvirtualenv"):
        rest = list(argv[2:])
    elif prog == "virtualenv":
        rest = list(argv[1:])
    elif prog == "uv" and len(argv) > 1 and argv[1] == "venv":
        rest = list(argv[2:])
    if rest is None or {"-h", "--help", "--version"} & set(rest):
        return None  # "python -m venv --help" creates nothing
    positional = []
    it = iter(rest)
    for arg in it:
        if arg in ("--python", "-p", "--prompt", "--extra-search-dir", "--index-url", "--activators",
                   "--creator", "--discovery", "--link-mode", "--cache-dir"):
            next(it, None)
        elif not arg.startswith("-"):
            positional.append(arg)
    if not positional and prog == "uv":
        return absolute(".venv", workdir)  # uv's default
    return absolute(positional[-1], workdir) if positional else None


def activated(cmd: Command, workdir: str) -> str | None:
    """The venv a ``. X/bin/activate`` / ``source X/bin/activate`` command enters."""
    argv = cmd.argv
    if len(argv) >= 2 and argv[0] in (".", "source") and argv[1].endswith("bin/activate"):
        return absolute(posixpath.dirname(posixpath.dirname(argv[1])) or ".", workdir)
    return None


def absolute(path: str, workdir: str) -> str:
    if path.startswith(("/", "$", "~")):
        return posixpath.normpath(path) if path.startswith("/") else path.rstrip("/")
    return posixpath.normpath(posixpath.join(workdir or "/", path))


def venv_of_executable(word: str, venvs: frozenset[str]) -> str | None:
    """The venv a path like ``/opt/venv/bin/pip`` runs from, if it is one."""
    if "/bin/" not in word:
        return None
    head = word.rsplit("/bin/", 1)[0] or "/"
    norm = posixpath.normpath(head) if head.startswith("/") else head
    if norm in venvs or head in venvs:
        return norm
    if re.search(r"\$\{?(VIRTUAL_ENV|VENV\w*|\w*_VENV\w*)\}?$", head):
        return head
    if _GENERIC_VENV_BIN.search(word):
        return norm
    return None


def path_venvs(path_value: str, venvs: frozenset[str]) -> list[str]:
    """Entries of a PATH value that are a venv's bin directory."""
    out = []
    for entry in path_value.strip("'\"").split(":"):
        entry = entry.strip("'\"")
        if not entry.rstrip("/").endswith("/bin") and entry not in ("bin",):
            continue
        head = entry.rstrip("/")[: -len("/bin")] or "/"
        norm = posixpath.normpath(head) if head.startswith("/") else head
        if norm in venvs or head in venvs or venv_of_executable(entry.rstrip("/") + "/x", venvs):
            out.append(entry)
    return out


def env_pairs(ins: Instruction) -> list[tuple[str, str]]:
    """``ENV``/``ARG`` key-value pairs, quotes removed."""
    if ins.cmd == "ENV":
        vals = list(ins.value)
        return [(vals[i], _dequote(vals[i + 1])) for i in range(0, len(vals) - 1, 2)]
    if ins.cmd == "ARG":
        out = []
        for word in ins.value:
            key, _, val = word.partition("=")
            out.append((key, _dequote(val)))
        return out
    return []


def _dequote(val: str) -> str:
    words = parse_words(val) if val else [val]
    joined = " ".join(words)
    if len(joined) >= 2 and joined[0] == joined[-1] and joined[0] in "'\"":
        return joined[1:-1]
    return joined.replace('"', "").replace("'", "") if joined.count('"') % 2 == 0 else joined


def analyze(df: Dockerfile) -> Facts:
    """The facts of ``df``, computed once per parsed object (rules, plan and rewrite all ask)."""
    facts = df.__dict__.get("_facts")
    if facts is None:
        facts = df.__dict__["_facts"] = _analyze(df)  # df is frozen; this is cached_property's own trick
    return facts


def _analyze(df: Dockerfile) -> Facts:
    stages = df.stages
    global_vars = {k: v for ins in df.global_args for k, v in env_pairs(ins)}
    steps: list[Step] = []
    venvs: set[str] = set()
    by_key = {st.key: st for st in stages}
    stage_env: dict[str, tuple[str, dict[str, str]]] = {}
    for st in stages:
        base = st.base.lower()
        workdir, values = stage_env.get(base, ("/", dict(global_vars)))
        values = dict(values)
        steps.append(Step(st.from_, st, workdir, dict(values)))
        for ins in st.instructions:
            cmds: tuple[Command, ...] = ()
            if ins.cmd == "WORKDIR" and ins.value:
                workdir = absolute(expand(ins.value[0], values), workdir)
            elif ins.cmd in ("ENV", "ARG"):
                for key, val in env_pairs(ins):
                    if ins.cmd == "ARG" and val == "" and key in global_vars:
                        val = global_vars[key]
                    values[key] = expand(val, values)
                    if key in _VENV_VARS and values[key]:
                        where = absolute(values[key], workdir)
                        if where.rstrip("/") not in _SYSTEM_PREFIXES:  # UV_PROJECT_ENVIRONMENT=/usr/local: no venv
                            venvs.add(where)
                    if key == "POETRY_VIRTUALENVS_IN_PROJECT" and values[key].lower() in ("true", "1"):
                        venvs.add(absolute(".venv", workdir))
            elif ins.cmd == "RUN":
                cmds = exec_form(ins.value) if ins.json else tuple(commands(ins.shell_text))
                for c in cmds:
                    made = venv_created(_expanded(c, values), workdir)
                    if made:
                        venvs.add(made)
                    act = activated(_expanded(c, values), workdir)
                    if act:
                        venvs.add(act)
            steps.append(Step(ins, st, workdir, dict(values), cmds))
        stage_env[st.key] = (workdir, values)
    runtime = _runtime_stages(stages, by_key)
    return Facts(df, tuple(steps), frozenset(venvs), runtime)


def exec_form(argv: tuple[str, ...]) -> tuple[Command, ...]:
    """A JSON-form RUN: one command whose words are the array's, and the commands of its ``sh -c`` script."""
    cmd = Command(tuple(argv), (), 0, 0)
    script = shell_script(cmd.argv)
    nested = [replace(c, nested=True) for c in commands(script)] if script is not None else []
    return (cmd, *nested)


def _expanded(cmd: Command, values: dict[str, str]) -> Command:
    if not any("$" in a for a in cmd.argv):
        return cmd
    return replace(cmd, argv=tuple(expand(a, values) for a in cmd.argv))


def expanded(cmd: Command, step: Step) -> Command:
    """``cmd`` with the values in scope at ``step`` substituted (once per pair: every rule asks)."""
    memo = step.__dict__.setdefault("_expanded", {})  # Step is frozen; its facts never change
    found = memo.get(cmd)
    if found is None:
        found = memo[cmd] = _expanded(cmd, step.vars)
    return found


def _runtime_stages(stages: tuple[Stage, ...], by_key: dict[str, Stage]) -> frozenset[int]:
    """The final stage, the stages it is built FROM, and stages it copies whole (``COPY --from=build / /``)."""
    if not stages:
        return frozenset()
    out: set[int] = set()
    todo: list[Stage] = [stages[-1]]
    while todo:
        st: Stage | None = todo.pop()
        while st is not None and st.index not in out:
            out.add(st.index)
            for ins in st.instructions:
                src = ins.flag("from")
                if ins.cmd == "COPY" and src and len(ins.value) >= 2 and all(v.strip("/") == "" for v in ins.value[:-1]):
                    whole = by_key.get(src.lower())
                    if whole is not None and whole.index < st.index:
                        todo.append(whole)
            parent = by_key.get(st.base.lower())
            st = parent if parent is not None and parent.index < st.index else None
    return frozenset(out)
