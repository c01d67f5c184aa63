"""The checks of ``dockvenv verify --docker`` and its report, as values.

Pure: ``docker.py`` measures both images (build, smoke, probe, history, HTTP) and
hands the measurements here as ``Image`` values; this module derives the smoke
command and the HTTP port from an image's config, judges every check, and says why
a failing one failed.  Nothing here runs a process or reads a file.
"""

from __future__ import annotations

import posixpath
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dockvenv.config import Settings

if TYPE_CHECKING:
    from dockvenv.project import Project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PASS, FAIL, SKIP, INFO = "pass", "fail", "skip", "info"
SERVERS = frozenset({"gunicorn", "uvicorn", "hypercorn", "daphne", "granian", "waitress-serve", "fastapi",
                     "flask", "streamlit", "celery"})
_WRAPPERS = frozenset({"tini", "tini-static", "dumb-init", "catatonit"})
_USER_WRAPPERS = frozenset({"gosu", "su-exec"})  # take the user as their first argument
_ENV_EXAMPLES = re.compile(r"\.env\.(example|sample|template|dist|defaults?)$")
_PY = re.compile(r"^python(3(\.\d+)?)?$")


@dataclass(frozen=True)
class VerifyOptions:
    base: str = "HEAD"  # the git REF the original comes from (when the working tree is migrated)
    dockerfile: str | None = None  # which Dockerfile, relative to the project; default: the migrated one
    smoke: tuple[str, ...] | None = None  # argv; None derives it from ENTRYPOINT/CMD
    http: str | None = None  # URL path to GET from the running server of both images
    rebuild: bool = False  # time a rebuild after a one-line code change
    keep: bool = False  # keep images (and the temporary trees)
    strip_syntax: bool = False  # drop '# syntax=' (offline engines cannot pull the frontend)
    no_cache: bool = False  # cold builds
    timeout: float = 120.0  # seconds a container may take (smoke, server start)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # PASS, FAIL, SKIP or INFO
    detail: str = ""  # one line: what was measured, or the cause of a failure
    original: str = ""  # the original image's value, for the table
    migrated: str = ""


@dataclass(frozen=True)
class Layer:
    size: int
    created_by: str


@dataclass(frozen=True)
class Run:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Http:
    port: int
    path: str
    status: int | None  # None: the server never answered
    error: str = ""


@dataclass(frozen=True)
class Probe:
    """What the probe script found in an image, section by section (see docker.PROBE)."""

    sections: Mapping[str, tuple[str, ...]]

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self.sections.get(key, ())


@dataclass(frozen=True)
class Image:
    label: str  # "original" or "migrated"
    source: str  # where its tree came from: "git HEAD", "working tree", "working tree + plan"
    tag: str
    built: bool = False
    build_seconds: float = 0.0
    build_error: str = ""  # the cause, when it did not build
    size: int | None = None
    layers: int | None = None
    largest: tuple[Layer, ...] = ()
    config: Mapping[str, object] = field(default_factory=dict)  # docker image inspect .Config
    smoke: Run | None = None
    probe: Probe | None = None
    probe_error: str = ""
    http: Http | None = None
    rebuild_seconds: float | None = None
    rebuild_error: str = ""


@dataclass(frozen=True)
class Facts:
    """What the project itself says, read before anything was built."""

    name: str = ""  # the distribution name (canonical)
    packages: tuple[str, ...] = ()  # top-level import packages of the project
    scripts: tuple[str, ...] = ()  # console scripts it declares
    kept: tuple[str, ...] = ()  # dev tools the dependency analysis keeps on purpose (runtime needs them)
    runtime_declared: Mapping[str, str] = field(default_factory=dict)  # dev tool -> where still declared
    locks: Mapping[str, str] = field(default_factory=dict)  # lock file -> text, of the migrated tree
    present: frozenset[str] = frozenset()  # every path of the project tree
    settings: Settings = field(default_factory=Settings)
    init_files: tuple[str, ...] = ()  # the project's __init__.py files


@dataclass(frozen=True)
class VerifyReport:
    root: str
    dockerfile: str
    context: str
    original: Image
    migrated: Image
    smoke: tuple[str, ...] = ()
    smoke_origin: str = ""
    checks: tuple[Check, ...] = ()
    notes: tuple[str, ...] = ()
    error: str = ""  # verify could not do its job (exit 2)
    smoke_original: tuple[str, ...] = ()  # the original's own smoke, when its ENTRYPOINT/CMD gave another

    @property
    def exit_code(self) -> int:
        if self.error:
            return 2
        return 1 if any(c.status == FAIL for c in self.checks) else 0

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == FAIL)


# -- what to run ----------------------------------------------------------------------------
def command_of(config: Mapping[str, object]) -> list[str]:
    """ENTRYPOINT + CMD as one argv, with shell forms and init wrappers taken apart."""
    argv = [str(a) for key in ("Entrypoint", "Cmd") for a in _list(config.get(key))]
    if len(argv) >= 3 and posixpath.basename(argv[0]) in ("sh", "bash", "ash", "dash") and argv[1] == "-c":
        argv = _last_shell_command(argv[2])
    while argv and posixpath.basename(argv[0]) in _WRAPPERS | _USER_WRAPPERS:
        user = posixpath.basename(argv[0]) in _USER_WRAPPERS
        argv = argv[1:]
        while argv and argv[0].startswith("-"):
            done, argv = argv[0] == "--", argv[1:]
            if done:
                break
        if user and argv:
            argv = argv[1:]
    return argv


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple, dict)) else []


def _last_shell_command(script: str) -> list[str]:
    try:
        words = shlex.split(script, posix=True)
    except ValueError:
        return []
    segments, current = [], []
    for w in words:
        if w in ("&&", "||", ";", "|") or w.endswith(";"):
            if w.endswith(";") and w != ";":
                current.append(w[:-1])
            segments.append(current)
            current = []
        else:
            current.append(w)
    segments.append(current)
    last = next((s for s in reversed(segments) if s), [])
    while last and (last[0] == "exec" or re.match(r"^[A-Za-z_]\w*=", last[0])):
        last = last[1:]
    return last


def derive_smoke(config: Mapping[str, object], facts: Facts) -> tuple[tuple[str, ...], str]:
    """A command that finishes and proves the app is there, from the image's ENTRYPOINT/CMD.

    Returns (argv, how it was derived); an empty argv when nothing can be derived.
    """
    argv = command_of(config)
    prog = posixpath.basename(argv[0]) if argv else ""
    if _PY.match(prog):
        if "-m" in argv[1:-1]:
            module = argv[argv.index("-m", 1) + 1]
            if module.split(".")[0] in SERVERS:
                return _server_target(argv[argv.index("-m", 1) + 2:], facts, f"python -m {module} target")
            return (argv[0], "-c", _find_module(module)), f"import of the -m target {module}"
        script = next((a for a in argv[1:] if not a.startswith("-")), None)
        if script and script.endswith(".py"):
            code = 'import sys; p = sys.argv[1]; compile(open(p).read(), p, "exec"); print("compiles", p)'
            return (argv[0], "-c", code, script), f"{script} exists and compiles"
    elif prog in SERVERS:
        return _server_target(argv[1:], facts, f"{prog} target")
    elif prog and prog in facts.scripts:
        return (prog, "--help"), f"console script {prog} --help"
    if facts.packages:
        names = ", ".join(facts.packages)
        code = "; ".join(f"import {p}" for p in facts.packages) + f'; print("imported", "{names}")'
        return ("python3", "-c", code), f"import of the project's packages ({names})"
    return (), "none: pass --smoke"


def _server_target(args: list[str], facts: Facts, origin: str) -> tuple[tuple[str, ...], str]:
    target = next((a for a in args if re.fullmatch(r"[A-Za-z_][\w.]*:[\w.()\[\]'\", =]+", a)), None)
    if target is None:
        target = next((a for a in args if re.fullmatch(r"[A-Za-z_][\w.]*", a) and "." in a), None)
    if target is None:
        return derive_smoke({}, facts)
    module = target.split(":", 1)[0]
    code = f'import importlib; importlib.import_module("{module}"); print("imported", "{module}")'
    return ("python3", "-c", code), f"import of the {origin} {module}"


def _find_module(module: str) -> str:
    return (f'import importlib.util as u, sys; sys.exit("No module named {module}") '
            f'if u.find_spec("{module}") is None else print("found", "{module}")')


def http_port(config: Mapping[str, object]) -> int | None:
    """The port a server listens on: the CMD's bind (``-b 0.0.0.0:8000``, ``--port 8000``), else EXPOSE."""
    argv = command_of(config)
    for i, a in enumerate(argv):
        value = None
        if a in ("-b", "--bind", "--port", "-p", "--listen") and i + 1 < len(argv):
            value = argv[i + 1]
        elif a.startswith(("--bind=", "--port=", "--listen=", "--server.port=")):
            value = a.split("=", 1)[1]
        if value and (m := re.search(r"(\d{2,5})$", value)):
            return int(m.group(1))
    ports = sorted(int(str(p).split("/")[0]) for p in _list(config.get("ExposedPorts"))
                   if str(p).endswith("/tcp"))
    return ports[0] if ports else None


def is_server(config: Mapping[str, object]) -> bool:
    argv = command_of(config)
    prog = posixpath.basename(argv[0]) if argv else ""
    module = argv[argv.index("-m") + 1] if "-m" in argv[:-1] else ""
    return prog in SERVERS or module.split(".")[0] in SERVERS or bool(config.get("ExposedPorts"))


# -- probe output ---------------------------------------------------------------------------
def parse_probe(stderr: str) -> tuple[Probe | None, str]:
    """(the probe's sections, the stderr that follows ``@@end``); None when the probe did not finish."""
    sections: dict[str, list[str]] = {}
    current = None
    lines = stderr.splitlines()
    for n, line in enumerate(lines):
        if line == "@@end":
            return Probe({k: tuple(v) for k, v in sections.items()}), "\n".join(lines[n + 1:])
        if line.startswith("@@"):
            current = line[2:]
            sections[current] = []
        elif current is not None and line.strip():
            sections[current].append(line.rstrip())
    return None, stderr


def dists(probe: Probe) -> list[str]:
    """Installed distributions (canonical names) from the ``*.dist-info`` / ``*.egg-info`` paths."""
    from dockvenv.deps.devtools import canonical

    out = set()
    for path in probe["dists"]:
        base = posixpath.basename(path)
        stem = re.sub(r"\.(dist|egg)-info$", "", base)
        out.add(canonical(re.split(r"-(?=\d)", stem, maxsplit=1)[0]))
    return sorted(out)


def dev_tools_in(probe: Probe, facts: Facts) -> list[str]:
    from dockvenv.deps.devtools import is_dev_tool

    found = {d for d in dists(probe) if is_dev_tool(d, facts.settings)}
    for pkg in probe["ospkgs"]:  # distro packages: py3-pytest (apk), python3-pytest (dpkg)
        pkg = re.sub(r"-\d[\w.]*(-r\d+)?$", "", pkg.split()[0])  # apk info -v adds "-8.2.1-r0"
        name = re.sub(r"^(py3|python3?)-", "", pkg)
        if name != pkg and is_dev_tool(name, facts.settings):
            found.add(f"{name} ({pkg})")
    return sorted(found - set(facts.kept))


def env_files(probe: Probe) -> list[str]:
    return [p for p in probe["dotenv"] if not _ENV_EXAMPLES.search(p)]


def caches(probe: Probe) -> list[str]:
    return [f"{line.split(None, 1)[1]} ({mb(int(line.split()[0]) * 1024)})" for line in probe["caches"]
            if len(line.split(None, 1)) == 2 and line.split()[0].isdigit()]


def source_dirs(probe: Probe) -> list[str]:
    return sorted({posixpath.dirname(p) for p in probe["srcdirs"]} | set(probe["manifests"]))


def pip_problems(probe: Probe) -> tuple[int | None, list[str]]:
    """(pip check's exit code, its lines); None when the image has no pip."""
    lines = list(probe["pipcheck"])
    if not lines or lines[0] == "nopip":
        return None, []
    rc = next((int(x[3:]) for x in lines if x.startswith("rc=") and x[3:].isdigit()), None)
    return rc, [x for x in lines if not x.startswith("rc=") and not x.startswith("No broken requirements")]


# -- the checks -----------------------------------------------------------------------------
def checks(original: Image, migrated: Image, facts: Facts, options: VerifyOptions,
           smoke: tuple[str, ...] = ()) -> tuple[Check, ...]:
    out = [_builds(original, migrated)]
    if not (original.built and migrated.built):
        return tuple(out)
    out.append(_smoke(original, migrated, facts, smoke))
    if options.http is not None:
        out.append(_http(original, migrated))
    out += _size(original, migrated)
    out += _contents(original, migrated, facts)
    if options.rebuild:
        out.append(_rebuild(original, migrated))
    return tuple(out)


def _builds(o: Image, m: Image) -> Check:
    ot = f"{o.build_seconds:.1f} s" if o.built else "failed"
    mt = f"{m.build_seconds:.1f} s" if m.built else "failed"
    if not o.built:
        return Check("builds", SKIP, f"the original does not build: {o.build_error}", ot, mt)
    if not m.built:
        return Check("builds", FAIL, f"the migrated image does not build: {m.build_error}", ot, mt)
    return Check("builds", PASS, f"build time {o.build_seconds:.1f} s -> {m.build_seconds:.1f} s", ot, mt)


def _smoke(o: Image, m: Image, facts: Facts, smoke: tuple[str, ...]) -> Check:
    if not smoke:
        return Check("smoke", SKIP, "nothing to run: ENTRYPOINT/CMD gave no smoke command; pass --smoke CMD")
    if o.smoke is None or m.smoke is None:
        return Check("smoke", SKIP, "the smoke command did not run")
    os_, ms = o.smoke, m.smoke
    ov, mv = f"exit {os_.returncode}", f"exit {ms.returncode}"
    if (os_.returncode, os_.stdout) == (ms.returncode, ms.stdout):
        both = "" if os_.returncode == 0 else f" (both exit {os_.returncode}: the original fails it too)"
        return Check("smoke", PASS, f"same exit code and output{both}", ov, mv)
    if os_.returncode != ms.returncode:
        why = explain_failure(ms.stderr or ms.stdout, facts) if ms.returncode else \
            f"the original fails it: {last_line(os_.stderr or os_.stdout)}"
        return Check("smoke", FAIL, f"exit {os_.returncode} -> {ms.returncode}: {why}", ov, mv)
    a, b = os_.stdout.splitlines(), ms.stdout.splitlines()
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    x, y = (a[n] if n < len(a) else "<end>"), (b[n] if n < len(b) else "<end>")
    return Check("smoke", FAIL, f"same exit code, different output at line {n + 1}: {x!r} -> {y!r}", ov, mv)


def _http(o: Image, m: Image) -> Check:
    if o.http is None or m.http is None:
        return Check("http", SKIP, "no HTTP server to start (no EXPOSE or server CMD)")
    ov, mv = str(o.http.status or "no answer"), str(m.http.status or "no answer")
    what = f"GET {m.http.path} on port {m.http.port}"
    if o.http.status is None:
        return Check("http", SKIP, f"{what}: the original never answered: {o.http.error}", ov, mv)
    if o.http.status == m.http.status:
        return Check("http", PASS, f"{what}: {m.http.status} in both", ov, mv)
    return Check("http", FAIL, f"{what}: {ov} -> {mv}" + (f": {m.http.error}" if m.http.error else ""), ov, mv)


def _size(o: Image, m: Image) -> list[Check]:
    if o.size is None or m.size is None:
        return [Check("size", SKIP, "sizes unknown")]
    delta = m.size - o.size
    detail = f"{mb(o.size)} -> {mb(m.size)} ({'+' if delta > 0 else ''}{mb(delta)}, {delta / o.size:+.0%})"
    out = [Check("size", PASS if delta <= 0 else FAIL, detail + ("" if delta <= 0 else ": the migrated image "
                 "is larger"), mb(o.size), mb(m.size))]
    if o.layers is not None and m.layers is not None:
        out.append(Check("layers", INFO, f"{o.layers} -> {m.layers} ({m.layers - o.layers:+d})",
                         str(o.layers), str(m.layers)))
    return out


def _contents(o: Image, m: Image, facts: Facts) -> list[Check]:
    names = ("no virtualenv", "no .env files", "no dev tools", "no uv", "no pip cache", "no source tree",
             "pip check")
    if m.probe is None:
        return [Check(n, SKIP, f"could not look inside the migrated image: {m.probe_error}") for n in names]
    op, mp = o.probe or Probe({}), m.probe
    out = []
    for name, get, why in (
        ("no virtualenv", lambda p: list(p["pyvenv"]), "pyvenv.cfg at"),
        ("no .env files", env_files, ".env files at"),
        ("no dev tools", lambda p: dev_tools_in(p, facts), None),
        ("no uv", lambda p: list(p["uv"]) + [f"uv ({d})" for d in dists(p) if d == "uv"], "uv at"),
        ("no pip cache", caches, "caches at"),
        ("no source tree", source_dirs, "the project's source outside site-packages at"),
    ):
        before, after = get(op) if o.probe else [], get(mp)
        ov = _count(before) if o.probe else "?"
        if not after:
            out.append(Check(name, PASS, "none", ov, "none"))
        elif why is None:
            out.append(Check(name, FAIL, f"{', '.join(after)}: {explain_dev_tools(after, facts)}", ov,
                             _count(after)))
        else:
            out.append(Check(name, FAIL, f"{why} {', '.join(after[:5])}" + (" ..." if len(after) > 5 else ""),
                             ov, _count(after)))
    out.append(_pip_check(op, mp))
    return out


def _count(items: list[str]) -> str:
    return "none" if not items else items[0] if len(items) == 1 else f"{len(items)} found"


def _pip_check(o: Probe, m: Probe) -> Check:
    rc, lines = pip_problems(m)
    orc, olines = pip_problems(o)
    if rc is None:
        return Check("pip check", SKIP, "no pip in the migrated image", "", "no pip")
    ov = "no pip" if orc is None else "ok" if orc == 0 else f"{len(olines)} problems"
    new = [x for x in lines if x not in olines]
    if rc == 0 or not new:
        return Check("pip check", PASS, "no broken requirements" if rc == 0 else
                     "only problems the original has too", ov, "ok" if rc == 0 else f"{len(lines)} problems")
    return Check("pip check", FAIL, "; ".join(new[:3]) + (" ..." if len(new) > 3 else ""), ov,
                 f"{len(lines)} problems")


def _rebuild(o: Image, m: Image) -> Check:
    if o.rebuild_error or m.rebuild_error:
        return Check("rebuild", FAIL, f"code-change rebuild: {m.rebuild_error or o.rebuild_error}")
    if o.rebuild_seconds is None or m.rebuild_seconds is None:
        return Check("rebuild", SKIP, "no Python file to change")
    ratio = m.rebuild_seconds / o.rebuild_seconds if o.rebuild_seconds else 0.0
    return Check("rebuild", INFO, f"after a one-line code change: {o.rebuild_seconds:.1f} s -> "
                 f"{m.rebuild_seconds:.1f} s (x{ratio:.2f})", f"{o.rebuild_seconds:.1f} s",
                 f"{m.rebuild_seconds:.1f} s")


# -- why ------------------------------------------------------------------------------------
def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


def explain_failure(output: str, facts: Facts) -> str:
    """The last line of a failing command's output, and what in the project it points at."""
    line = last_line(output)
    if m := re.search(r"No such file or directory: '([^']+)'", line):
        rel = m.group(1).lstrip("./")
        hits = sorted(p for p in facts.present if p == rel or p.endswith("/" + rel)
                      or posixpath.basename(p) == posixpath.basename(rel))
        if hits:
            return (f"{line} ({hits[0]} is in the project but not in the migrated image: files the app reads "
                    "at run time and the wheel does not carry must be copied into the runtime stage)")
    if m := re.search(r"No module named '?([\w.]+)'?", line):
        name = m.group(1)
        top = name.split(".")[0]
        if top in facts.packages:
            return f"{line} ({top} is installed, but has no module {name})"
        local = next((p for p in (f"{top}.py", f"src/{top}.py", top, f"src/{top}") if p in facts.present), None)
        where = f"; {local} is in the project tree but the wheel does not carry it" if local else ""
        pk = ", ".join(facts.packages) or "none found"
        return f"{line} (the command names {name}; the wheel installs {pk}{where})"
    if re.search(r"executable file not found|: not found$|command not found", line):
        return f"{line} (the command is not on the migrated image's PATH)"
    return line


def explain_dev_tools(found: list[str], facts: Facts) -> str:
    from dockvenv.deps.devtools import canonical

    names = [f.split(" ", 1)[0] for f in found]
    causes: dict[str, list[str]] = {}
    uv = _uv_lock_deps(facts.locks.get("uv.lock", ""), facts.name)
    poetry = _poetry_main(facts.locks.get("poetry.lock", ""))
    for n in names:
        if n in facts.runtime_declared:
            cause = f"still declared as runtime dependencies ({facts.runtime_declared[n]})"
        elif canonical(n) in uv:
            cause = (f"uv.lock still lists them as dependencies of {facts.name}: the migration moved them out of "
                     "the runtime dependencies but the lock is stale; run 'uv lock' and rebuild")
        elif canonical(n) in poetry:
            cause = ("poetry.lock still has them in the main group: the lock is stale; run 'poetry lock' "
                     "and rebuild")
        else:
            cause = "not declared by the project: pulled in by another dependency or the base image"
        causes.setdefault(cause, []).append(n)
    return "; ".join(f"{', '.join(v)}: {k}" if len(causes) > 1 else k for k, v in causes.items())


def _uv_lock_deps(text: str, name: str) -> set[str]:
    from dockvenv.deps.devtools import canonical

    try:
        data = tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError:
        return set()
    for pkg in data.get("package", []):
        if canonical(str(pkg.get("name", ""))) == name:
            return {canonical(str(d.get("name", ""))) for d in pkg.get("dependencies", []) if isinstance(d, dict)}
    return set()


def _poetry_main(text: str) -> set[str]:
    from dockvenv.deps.devtools import canonical

    try:
        data = tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError:
        return set()
    return {canonical(str(p.get("name", ""))) for p in data.get("package", [])
            if "main" in (p.get("groups") or [p.get("category", "")])}


def build_cause(log: str) -> str:
    """The failing step of a BuildKit ``--progress=plain`` log and its last output lines, as one line."""
    lines = log.splitlines()
    failed = next((m.group(1) for ln in reversed(lines) if (m := re.match(r"#(\d+) ERROR:", ln))), None)
    step = next((" ".join(ln.strip(" >:").split()) for ln in lines if ln.startswith(" > [")), "")
    step = step if len(step) <= 90 else step[:89] + "…"
    out: list[str] = []
    if failed:
        for ln in lines:
            if (m := re.match(rf"#{failed} \d+\.\d+ (.*)", ln)) and m.group(1).strip():
                out.append(m.group(1).strip())
    if not out:
        out = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")][-3:]
    tail = [ln for ln in out if not ln.startswith(("[notice]", "WARNING: Running pip"))][-2:] or out[-1:]
    final = next((ln for ln in reversed(lines) if ln.startswith(("error:", "ERROR:", "failed to solve"))), "")
    msg = " | ".join(tail) or final or "see the build log"
    return f"{step}: {msg}" if step else msg


def mb(n: float) -> str:
    return f"{n / 1e3:.0f} kB" if abs(n) < 1e5 else f"{n / 1e6:.1f} MB"


# -- the project ----------------------------------------------------------------------------
_NOT_PACKAGES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "example", "scripts", "benchmarks",
                           "bench", "build", "dist", "fixtures", "migrations"})


def project_facts(original: Project, migrated: Project, settings: Settings) -> Facts:
    """Names, scripts and dependency facts, from the two trees as read (no file access here)."""
    from dockvenv.deps import analyze_dependencies
    from dockvenv.deps.devtools import canonical, is_dev_tool

    data = _toml(migrated.text("pyproject.toml") or "")
    project, poetry = data.get("project", {}), data.get("tool", {}).get("poetry", {})
    scripts = [*project.get("scripts", {}), *project.get("gui-scripts", {}), *poetry.get("scripts", {})]
    cfg = migrated.text("setup.cfg") or ""
    if m := re.search(r"console_scripts\s*=\s*\n((?:[ \t]+\S.*\n?)+)", cfg):
        scripts += re.findall(r"^\s*([\w.-]+)\s*=", m.group(1), re.MULTILINE)
    kept = analyze_dependencies(original, settings).kept
    declared = analyze_dependencies(migrated, settings).declared
    return Facts(
        name=canonical(str(project.get("name") or poetry.get("name") or "")),
        packages=packages(migrated),
        scripts=tuple(dict.fromkeys(scripts)),
        kept=tuple(sorted({d.name for d, _why in kept})),
        runtime_declared={d.name: f"{d.path}:{d.line} {d.table}" for d in declared
                          if is_dev_tool(d.name, settings)},
        locks={n: migrated.text(n) or "" for n in ("uv.lock", "poetry.lock") if migrated.text(n)},
        present=frozenset(migrated.files) | migrated.dirs | frozenset(migrated.env_files),
        settings=settings,
        init_files=tuple(sorted(p for p in migrated.files if p.endswith("/__init__.py"))),
    )


def packages(project: Project) -> tuple[str, ...]:
    """Top-level import packages: folders with an ``__init__.py`` whose parent has none (tests and docs aside)."""
    inits = {p.rsplit("/", 1)[0] for p in project.files if p.endswith("/__init__.py") or p == "__init__.py"}
    tops = {d for d in inits if posixpath.dirname(d) not in inits}
    names = {posixpath.basename(d) for d in tops
             if not _NOT_PACKAGES & set(d.split("/")) and not any(part.startswith(".") for part in d.split("/"))}
    return tuple(sorted(n for n in names if n.isidentifier()))[:8]


def code_file(facts: Facts) -> str | None:
    """A module of the project to change by one line for the rebuild timing: the shortest package __init__.py."""
    found = [p for p in facts.init_files if p.split("/")[-2] in facts.packages]
    return min(found, key=lambda p: (p.count("/"), p)) if found else None


def _toml(text: str) -> dict:
    try:
        return tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError:
        return {}
