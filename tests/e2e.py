"""Docker helpers for the end-to-end migration check (tests/test_e2e_docker.py, bench/e2e_images.py).

One ``AppRun`` per fixture app: copy the app twice (original, migrated), build both with
``scripts/docker-build``, run the app's SMOKE argv, probe the image for a venv, ``.env`` files,
dev tools and uv, and time a rebuild after a one-line code change.  Everything goes through
Debian's client (``/usr/bin/docker``) against the engine of ``scripts/docker-env``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS_DIR = ROOT / "fixtures" / "apps"
DOCKER = "/usr/bin/docker"
DOCKER_ENV = ROOT / "scripts" / "docker-env"
DOCKER_BUILD = ROOT / "scripts" / "docker-build"
DEFAULT_HOST = "unix:///tmp/dockvenv-docker/docker.sock"
TAG_PREFIX = "dv-e2e-"

BUILD_TIMEOUT = 1200
RUN_TIMEOUT = 180
DEV_TOOLS = ("pytest", "mypy", "ruff", "black")
# Where an app's files live in the images of this kind of project (plus the image's WORKDIR).
APP_DIRS = ("/app", "/src", "/opt", "/venv", "/srv", "/code", "/workspace", "/usr/src", "/home", "/root")
# Keys of a .env whose values count as secrets that must not reach the image.
SECRET_KEY = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|_URL$|DSN", re.IGNORECASE)


class DockerUnavailable(Exception):
    """The engine cannot be used; the message says why (a test turns it into a skip)."""


def docker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DOCKER_HOST", DEFAULT_HOST)
    env["DOCKER_BUILDKIT"] = "1"
    return env


def check_engine(require_host: bool = True) -> None:
    """Raise DockerUnavailable unless Debian's client answers on DOCKER_HOST."""
    if not Path(DOCKER).is_file():
        raise DockerUnavailable(f"{DOCKER} (Debian's docker.io client) is missing")
    if require_host and not os.environ.get("DOCKER_HOST"):
        raise DockerUnavailable('DOCKER_HOST is unset (run: eval "$(scripts/docker-env start)")')
    try:
        p = subprocess.run([DOCKER, "version", "--format", "{{.Server.Version}}"], env=docker_env(),
                           capture_output=True, text=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        raise DockerUnavailable(f"the engine at {docker_env()['DOCKER_HOST']} did not answer in 20 s") from None
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or ["no output"])[-1]
        raise DockerUnavailable(f"the engine at {docker_env()['DOCKER_HOST']} is unreachable: {msg}")


def ensure_base_images() -> None:
    """Import the python:* stand-ins if missing (fast when they exist)."""
    p = subprocess.run(["bash", str(DOCKER_ENV), "images"], env=docker_env(), capture_output=True, check=False,
                       text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError(f"scripts/docker-env images failed:\n{p.stderr[-3000:]}")


def docker(*args: str, timeout: float = RUN_TIMEOUT, check: bool = False) -> subprocess.CompletedProcess:
    p = subprocess.run([DOCKER, *args], env=docker_env(), capture_output=True, text=True, timeout=timeout,
                       check=False)
    if check and p.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p


def image_id(tag: str) -> str | None:
    p = docker("image", "inspect", "-f", "{{.Id}}", tag)
    return p.stdout.strip() if p.returncode == 0 else None


def image_size(tag: str) -> int:
    return int(docker("image", "inspect", "-f", "{{.Size}}", tag, check=True).stdout.strip())


def image_config(tag: str) -> dict:
    return json.loads(docker("image", "inspect", "-f", "{{json .Config}}", tag, check=True).stdout)


def image_layers(tag: str) -> int:
    return int(docker("image", "inspect", "-f", "{{len .RootFS.Layers}}", tag, check=True).stdout.strip())


def remove_images(*refs: str) -> None:
    refs = tuple(r for r in refs if r)
    if refs:
        docker("rmi", "-f", *refs, timeout=600)


def builder_prune() -> None:
    docker("builder", "prune", "-af", timeout=900)


# vfs keeps a full copy of the file system per layer: a whole docker run of the suite fills tens
# of GB, and pruning it costs minutes, so a module prunes only when the disk runs short.
MIN_FREE_BYTES = int(float(os.environ.get("DV_E2E_MIN_FREE_GB", "30")) * 1e9)


def prune_if_short_of_disk() -> None:
    """Drop the engine's build cache when the disk holding it has less than MIN_FREE_BYTES free."""
    data = Path("/tmp/dockvenv-docker")
    if shutil.disk_usage(data if data.exists() else "/").free < MIN_FREE_BYTES:
        builder_prune()


def run_cache_ids() -> set[str]:
    """IDs of the build cache records of RUN steps (``docker system df -v``).

    Rebuilding never deletes such a record, so one that disappears was pruned by someone else
    on the shared engine: a build timed meanwhile may have re-run steps it would have reused.
    """
    p = docker("system", "df", "-v", "--format", "{{json .BuildCache}}", timeout=300)
    try:
        records = json.loads(p.stdout or "[]") or []
    except ValueError:
        return set()
    return {str(r.get("ID", "")).rstrip("*") for r in records
            if str(r.get("Description", "")).startswith("mount / from exec")}


LOCK_FILE = Path("/tmp/dockvenv-docker/e2e.lock")


@contextlib.contextmanager
def engine_lock(wait: float = 1800.0):
    """Hold an exclusive lock for a before/after run, so two such runs on the shared engine
    neither time their builds against each other nor prune each other's cache mid-run.
    Raises TimeoutError after ``wait`` seconds."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a") as f:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{LOCK_FILE} held by another run for {wait:.0f} s") from None
                time.sleep(2)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def own_tags() -> list[str]:
    p = docker("images", "--format", "{{.Repository}}:{{.Tag}}")
    return [t for t in p.stdout.split() if t.startswith(TAG_PREFIX)]


@dataclass
class Build:
    tag: str
    ok: bool
    seconds: float
    log: str
    image_id: str | None = None

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.splitlines()[-lines:])

    def steps_run(self) -> list[tuple[str, float]]:
        """(step, seconds) of the Dockerfile steps that ran (were not CACHED), from the plain log."""
        names: dict[str, str] = {}
        out = []
        for line in self.log.splitlines():
            m = re.match(r"(#\d+) \[([^\]]+)\] (.*)", line)
            if m and not m.group(2).startswith("internal") and not m.group(3).startswith("FROM "):
                names[m.group(1)] = f"[{m.group(2)}] {' '.join(m.group(3).split())[:70]}"
                continue
            m = re.match(r"(#\d+) DONE ([\d.]+)s", line)
            if m and m.group(1) in names:
                out.append((names[m.group(1)], float(m.group(2))))
        return out

    def failure(self, lines: int = 6) -> str:
        """The failed step's header, its last output lines and the ERROR line (BuildKit plain log)."""
        log = self.log.splitlines()
        err = next((i for i, line in enumerate(log) if re.match(r"#\d+ ERROR", line)), None)
        if err is None:
            return self.tail(lines + 2)
        step = log[err].split()[0] + " "
        own = [line for line in log[:err] if line.startswith(step)]
        return "\n".join(own[:1] + own[1:][-lines:] + [log[err]])


def build(context: Path, tag: str, no_cache: bool = False) -> Build:
    args = ["bash", str(DOCKER_BUILD), str(context), str(context / "Dockerfile"), tag, "--progress=plain"]
    if no_cache:
        args.append("--no-cache")
    t0 = time.perf_counter()
    p = subprocess.run(args, env=docker_env(), capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)
    seconds = time.perf_counter() - t0
    b = Build(tag, p.returncode == 0, seconds, p.stdout + p.stderr)
    if b.ok:
        b.image_id = image_id(tag)
    return b


@dataclass
class RunResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str


def default_command(tag: str, wait: float = 60.0) -> RunResult:
    """Run the image's own ENTRYPOINT/CMD.

    An image with a HEALTHCHECK is a server: start it, then run its healthcheck command in it
    until it passes (or ``wait`` runs out); the result is the healthcheck's.  Otherwise the
    default command is expected to finish, and its output is the result.
    """
    cfg = image_config(tag)
    test = (cfg.get("Healthcheck") or {}).get("Test") or []
    if not test or test[0] == "NONE":
        p = docker("run", "--rm", "--network", "none", tag)
        return RunResult([], p.returncode, p.stdout, p.stderr)
    if test[0] == "CMD":
        check = test[1:]
    else:  # CMD-SHELL
        check = ["/bin/sh", "-c", test[1]]
    cid = docker("run", "-d", "--network", "none", tag, check=True).stdout.strip()
    try:
        deadline = time.monotonic() + wait
        while True:
            p = docker("exec", cid, *check)
            if p.returncode == 0 or time.monotonic() > deadline:
                break
            if docker("inspect", "-f", "{{.State.Running}}", cid).stdout.strip() != "true":
                logs = docker("logs", cid)
                return RunResult(check, 125, logs.stdout, "server exited:\n" + logs.stderr[-3000:])
            time.sleep(1)
        return RunResult(check, p.returncode, p.stdout, p.stderr)
    finally:
        docker("rm", "-f", cid)


PROBE = r"""
workdir=$1; n=$2; shift 2
secrets=""
while [ "$n" -gt 0 ]; do secrets="$secrets$1
"; shift; n=$((n - 1)); done
{
echo "@@pyvenv"; find / -xdev -name pyvenv.cfg 2>/dev/null
echo "@@dotenv"
for d in "$workdir" APP_DIRS; do [ -d "$d" ] && find "$d" -xdev -name .env 2>/dev/null; done | sort -u
echo "@@secrets"
if [ -n "$secrets" ]; then
  printf '%s' "$secrets" >/tmp/.dv-e2e-secrets
  for d in "$workdir" APP_DIRS /usr/local; do
    [ -d "$d" ] && grep -rlsF -f /tmp/.dv-e2e-secrets "$d" 2>/dev/null
  done | grep -v '^/tmp/' | sort -u
fi
echo "@@devmodules"
python3 -c 'import importlib.util as u; [print(m) for m in "DEV_TOOLS".split() if u.find_spec(m)]' 2>&1
echo "@@devdists"
python3 -m pip list --format=freeze 2>/dev/null | cut -d= -f1 | tr A-Z a-z | grep -xE 'DEV_RE'
echo "@@devscripts"
for t in DEV_TOOLS; do command -v "$t"; done
echo "@@uv"
command -v uv
python3 -c 'import importlib.util as u; print("python module uv") if u.find_spec("uv") else None' 2>&1
echo "@@python"
command -v python3 && python3 -c 'import sys; print(sys.prefix)'
echo "@@end"
} 1>&2
rm -f /tmp/.dv-e2e-secrets
exec "$@"
""".replace("APP_DIRS", " ".join(APP_DIRS)).replace("DEV_TOOLS", " ".join(DEV_TOOLS)) \
   .replace("DEV_RE", "|".join(DEV_TOOLS))


@dataclass
class Probe:
    sections: dict[str, list[str]]
    raw: str

    def __getitem__(self, key: str) -> list[str]:
        return self.sections.get(key, [])


def smoke_and_probe(tag: str, argv: list[str], secrets: list[str]) -> tuple[RunResult, Probe]:
    """Probe the image, then run the SMOKE argv as the container's whole command, in one container.

    A container costs 10 to 20 s on the vfs driver, so the probe shares the smoke's: ``sh`` runs
    the probe with its output on stderr (sections up to ``@@end``), then ``exec``s the argv, so the
    smoke's stdout and exit code are the argv's own.  The argv is looked up on the image's PATH
    as ``--entrypoint argv[0]`` would be, whatever ENTRYPOINT the image has (uvlock-cli's would
    otherwise receive ``reporter summary`` as its arguments).
    """
    workdir = image_config(tag).get("WorkingDir") or "/"
    cmd = ["run", "--rm", "--network", "none", "--entrypoint", "sh", tag, "-c", PROBE, "probe", workdir,
           str(len(secrets)), *secrets, *argv]
    p = docker(*cmd)
    sections: dict[str, list[str]] = {}
    current = None
    lines = p.stderr.splitlines()
    end = None
    for n, line in enumerate(lines):
        if line == "@@end":
            end = n
            break
        if line.startswith("@@"):
            current = line[2:]
            sections[current] = []
        elif current is not None and line.strip():
            sections[current].append(line.strip())
    if end is None or not sections.get("python"):
        raise RuntimeError(f"probe of {tag} did not run to the end ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    probe_text = "\n".join(lines[:end])
    smoke_stderr = "\n".join(lines[end + 1:])
    return RunResult(argv, p.returncode, p.stdout, smoke_stderr), Probe(sections, probe_text)


def dotenv_secrets(app_dir: Path) -> list[str]:
    """Values of secret-looking keys in the app's .env (to look for them in the image)."""
    env = app_dir / ".env"
    if not env.is_file():
        return []
    out = []
    for line in env.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip().strip("'\"")
        if SECRET_KEY.search(key.removeprefix("export ").strip()) and len(value) >= 8 and " " not in value:
            out.append(value)
    return out


def package_file(app_dir: Path) -> Path:
    """The app package's __init__.py (shortest path, outside tests/)."""
    found = [p for p in app_dir.rglob("__init__.py")
             if not {"tests", "test", ".venv", "venv", "build"} & set(p.relative_to(app_dir).parts)]
    if not found:
        raise RuntimeError(f"no package __init__.py in {app_dir}")
    return min(found, key=lambda p: (len(p.relative_to(app_dir).parts), str(p))).relative_to(app_dir)


def dockvenv_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("dockvenv")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "dockvenv"]


def app_names() -> list[str]:
    if not APPS_DIR.is_dir():
        return []
    return sorted(p.name for p in APPS_DIR.iterdir() if (p / "SMOKE").is_file() and (p / "Dockerfile").is_file())


@dataclass
class AppRun:
    """One app through the whole flow; each step is done once and remembered."""

    name: str
    workdir: Path
    src: Path = field(init=False)
    orig: Path = field(init=False)
    migrated: Path = field(init=False)
    argv: list[str] = field(init=False)
    builds: dict[str, Build] = field(default_factory=dict)
    migrate_result: subprocess.CompletedProcess | None = None
    smokes: dict[str, RunResult] = field(default_factory=dict)
    defaults: dict[str, RunResult] = field(default_factory=dict)
    probes: dict[str, Probe] = field(default_factory=dict)
    rebuilds: list[tuple[float, float]] = field(default_factory=list)
    rebuild_builds: list[dict[str, Build]] = field(default_factory=list)
    disturbed_rounds: int = 0
    warmed_up: bool = False
    tags: set[str] = field(default_factory=set)
    # Unique per run: a code change an earlier run already built would be a cache hit, not a rebuild.
    nonce: str = field(default_factory=lambda: secrets.token_hex(6))

    def __post_init__(self) -> None:
        self.src = APPS_DIR / self.name
        self.orig = self.workdir / "orig"
        self.migrated = self.workdir / "migrated"
        self.argv = json.loads((self.src / "SMOKE").read_text())
        if not (isinstance(self.argv, list) and self.argv and all(isinstance(a, str) for a in self.argv)):
            raise ValueError(f"{self.src / 'SMOKE'} is not a JSON list of strings: {self.argv!r}")
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", ".ruff_cache")
        for d in (self.orig, self.migrated):
            if d.exists():
                shutil.rmtree(d)
            shutil.copytree(self.src, d, ignore=ignore, symlinks=True)

    def tag(self, variant: str) -> str:
        t = f"{TAG_PREFIX}{self.name}:{variant}"
        self.tags.add(t)
        return t

    # -- steps -------------------------------------------------------------------------------
    def build_before(self, no_cache: bool = False) -> Build:
        if "before" not in self.builds:
            self.builds["before"] = build(self.orig, self.tag("before"), no_cache)
        return self.builds["before"]

    def migrate(self) -> subprocess.CompletedProcess:
        if self.migrate_result is None:
            self.migrate_result = subprocess.run([*dockvenv_cmd(), "migrate", "--yes", str(self.migrated)],
                                                 capture_output=True, text=True, timeout=300, check=False)
        return self.migrate_result

    def build_after(self, no_cache: bool = False) -> Build:
        if "after" not in self.builds:
            self.builds["after"] = build(self.migrated, self.tag("after"), no_cache)
        return self.builds["after"]

    def smoke(self, variant: str) -> RunResult:
        if variant not in self.smokes:
            self.smokes[variant], self.probes[variant] = smoke_and_probe(
                self.tag(variant), self.argv, dotenv_secrets(self.src))
        return self.smokes[variant]

    def default(self, variant: str) -> RunResult:
        if variant not in self.defaults:
            self.defaults[variant] = default_command(self.tag(variant))
        return self.defaults[variant]

    def probe(self, variant: str) -> Probe:
        self.smoke(variant)
        return self.probes[variant]

    def size(self, variant: str) -> int:
        return image_size(self.tag(variant))

    def warm_up(self) -> None:
        """One untimed code-change rebuild of both variants, before the timed rounds.

        The first rebuild after a ``--no-cache`` build pays a one-time cost that no user's
        edit-and-rebuild does (a 0.9 s ``COPY`` took 7.5 s here), so it is not measured.
        """
        if self.warmed_up:
            return
        rel = package_file(self.orig)
        for variant, d in (("before", self.orig), ("after", self.migrated)):
            with open(d / rel, "a") as f:
                f.write(f"_DV_E2E_WARM_UP = {self.nonce!r}  # dockvenv e2e: one-line code change\n")
            b = build(d, self.tag(f"{variant}-rebuild"))
            if not b.ok:
                raise RuntimeError(f"rebuild of {self.name} {variant} failed:\n{b.tail()}")
        remove_images(self.tag("before-rebuild"), self.tag("after-rebuild"))
        self.warmed_up = True

    def rebuild_round(self) -> tuple[float, float] | None:
        """Append one line to the package's __init__.py in both copies; rebuild both, timed.

        Rounds alternate which variant builds first.  Each rebuilt image must differ from the
        previous one (the change shipped); the rebuilt images are removed right away.  Returns
        None (and counts ``disturbed_rounds``) when build cache records vanished during the
        round: someone pruned the shared engine's cache, so the times are not comparable.
        """
        self.warm_up()
        cache_before = run_cache_ids()
        n = len(self.rebuilds) + self.disturbed_rounds + 1
        rel = package_file(self.orig)
        for d in (self.orig, self.migrated):
            with open(d / rel, "a") as f:
                f.write(f"_DV_E2E_REBUILD_{n} = {self.nonce!r}  # dockvenv e2e: one-line code change\n")
        order = ["before", "after"] if n % 2 else ["after", "before"]
        secs: dict[str, float] = {}
        done: dict[str, Build] = {}
        for variant in order:
            ctx = self.orig if variant == "before" else self.migrated
            b = build(ctx, self.tag(f"{variant}-rebuild"))
            if not b.ok:
                raise RuntimeError(f"rebuild of {self.name} {variant} failed:\n{b.tail()}")
            prev = self.builds[variant].image_id
            if b.image_id == prev:
                raise RuntimeError(f"rebuild of {self.name} {variant} gave the same image {prev}: "
                                   "the code change did not reach it")
            secs[variant] = b.seconds
            done[variant] = b
        remove_images(self.tag("before-rebuild"), self.tag("after-rebuild"))
        if cache_before - run_cache_ids():
            self.disturbed_rounds += 1
            return None
        self.rebuild_builds.append(done)
        self.rebuilds.append((secs["before"], secs["after"]))
        return self.rebuilds[-1]

    def timed_rebuilds(self, rounds: int, retries: int = 2) -> list[tuple[float, float]]:
        """``rounds`` undisturbed rebuild rounds, retrying a disturbed one up to ``retries`` times."""
        while len(self.rebuilds) < rounds and self.disturbed_rounds <= retries:
            self.rebuild_round()
        return self.rebuilds

    def cleanup(self) -> None:
        remove_images(*sorted(self.tags))  # only this run's: another run's dv-e2e-* images are its own
        shutil.rmtree(self.workdir, ignore_errors=True)


def median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
