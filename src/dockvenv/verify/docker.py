"""``dockvenv verify --docker``: build the original and the migrated image, run both, compare.

The only module that runs docker.  ``verify_docker`` prepares two trees in a temporary
folder (the original from ``git archive REF`` or the plan's "before" texts, the migration
from the working tree or the plan's "after" texts), builds both with BuildKit, runs the
smoke command and a probe script in one container per image (a container costs 10 to
20 s on some storage drivers), optionally starts both servers for an HTTP check and
times a code-change rebuild, and hands the measurements to ``compare`` for the verdicts.
Images, containers and the build cache records it made are removed unless ``keep``.
The probe is POSIX ``sh`` (busybox on Alpine): no bash, ``apk`` or ``dpkg`` for distro packages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dockvenv.errors import DockvenvError, UsageError
from dockvenv.model import Plan
from dockvenv.verify import compare
from dockvenv.verify.compare import (
    Facts,
    Http,
    Image,
    Layer,
    Run,
    VerifyOptions,
    VerifyReport,
)

Progress = Callable[[str, str], None]  # (kind: "phase" | "step", text)
BUILD_TIMEOUT = 1800.0
TAG_PREFIX = "dv-verify-"

PROBE = r"""
workdir=${1%/}; pkgs=$2; shift 2
PY=$(command -v python3 || command -v python)
notsite() { grep -v -e /site-packages/ -e /dist-packages/ -e '^/proc/' -e '^/sys/' -e '^/usr/share/'; }
{
echo @@os
[ -r /etc/os-release ] && grep -E '^(ID|VERSION_ID)=' /etc/os-release
echo @@python
[ -n "$PY" ] && echo "$PY" && "$PY" -c 'import sys; print(sys.prefix, sys.version.split()[0])'
echo @@pyvenv
find / -xdev -name pyvenv.cfg 2>/dev/null
echo @@dotenv
find / -xdev -type f \( -name .env -o -name '.env[._-]*' -o -name '?*.env' \) 2>/dev/null | notsite
echo @@dists
find / -xdev \( -name '*.dist-info' -o -name '*.egg-info' \) 2>/dev/null | grep -e /site-packages/ -e /dist-packages/
echo @@uv
for t in uv uvx; do command -v "$t"; done
echo @@caches
for d in /root/.cache/pip /root/.cache/uv "$HOME/.cache/pip" "$HOME/.cache/uv"; do
  [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ] && du -sk "$d" 2>/dev/null
done | sort -u
echo @@srcdirs
for p in $pkgs; do find / -xdev -name __init__.py -path "*/$p/__init__.py" 2>/dev/null | notsite; done
echo @@manifests
for f in pyproject.toml setup.py setup.cfg; do [ -f "$workdir/$f" ] && echo "$workdir/$f"; done
echo @@pipcheck
if [ -n "$PY" ] && "$PY" -m pip --version >/dev/null 2>&1; then
  out=$(PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip check 2>&1); rc=$?
  printf '%s\n' "$out"; echo "rc=$rc"
else
  echo nopip
fi
echo @@ospkgs
if command -v apk >/dev/null 2>&1; then apk info 2>/dev/null | grep '^py3-'
elif command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f '${Package}\n' 2>/dev/null | grep -E '^python3?-'
fi
echo @@end
} 1>&2
[ "$#" -eq 0 ] && exit 0
exec "$@"
"""


# -- the client -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Docker:
    exe: str
    env: dict[str, str]

    @staticmethod
    def find() -> Docker:
        """The docker client to use: ``DOCKVENV_DOCKER``, else the first one on PATH that has BuildKit."""
        env = dict(os.environ, DOCKER_BUILDKIT="1")
        if os.environ.get("DOCKER_BUILDKIT", "1") == "0":
            raise DockvenvError("verify --docker needs BuildKit, and DOCKER_BUILDKIT=0 is set: unset it")
        wanted = os.environ.get("DOCKVENV_DOCKER")
        candidates = [wanted] if wanted else _on_path("docker")
        if not candidates:
            raise DockvenvError("verify --docker needs the docker client: none on PATH (or set DOCKVENV_DOCKER)")
        refused = []
        for exe in candidates:
            why = _no_buildkit(exe, env)
            if why is None:
                return Docker(exe, env)
            refused.append(f"{exe}: {why}")
        raise DockvenvError("verify --docker needs BuildKit (RUN --mount): " + "; ".join(refused)
                            + "; install the buildx plugin, or set DOCKVENV_DOCKER to a client that has BuildKit")

    def __call__(self, *args: str, timeout: float = 300, check: bool = False) -> subprocess.CompletedProcess[str]:
        try:
            p = subprocess.run([self.exe, *args], env=self.env, capture_output=True, text=True, timeout=timeout,
                               check=False)
        except subprocess.TimeoutExpired:
            raise DockvenvError(f"docker {args[0]} did not finish in {timeout:.0f} s") from None
        if check and p.returncode != 0:
            raise DockvenvError(f"docker {' '.join(args[:2])} failed: {compare.last_line(p.stderr)}")
        return p

    def check_engine(self) -> None:
        p = self("version", "--format", "{{.Server.Version}}", timeout=30)
        if p.returncode != 0:
            host = self.env.get("DOCKER_HOST") or "the default socket"
            raise DockvenvError(f"cannot reach the Docker engine at {host}: {compare.last_line(p.stderr)}")

    def build(self, context: Path, dockerfile: Path, tag: str, no_cache: bool,
              on_line: Callable[[str], None]) -> tuple[bool, float, str]:
        args = [self.exe, "build", "--network=host", "--progress=plain", "-f", str(dockerfile), "-t", tag]
        args += ["--no-cache"] if no_cache else []
        t0 = time.perf_counter()
        proc = subprocess.Popen([*args, str(context)], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        timer = threading.Timer(BUILD_TIMEOUT, proc.kill)
        timer.start()
        log = []
        try:
            for line in proc.stdout or ():
                log.append(line.rstrip("\n"))
                on_line(log[-1])
            proc.wait()
        except BaseException:
            proc.kill()  # the client going away cancels the build: no image is tagged after the clean-up
            raise
        finally:
            timer.cancel()
        text = "\n".join(log)
        if re.search(r"requires BuildKit|legacy builder is deprecated", text):
            raise DockvenvError(f"verify --docker needs BuildKit, and {self.exe} built without it: "
                                "install the buildx plugin or set DOCKVENV_DOCKER")
        return proc.returncode == 0, time.perf_counter() - t0, text

    def inspect(self, ref: str) -> dict:
        p = self("image", "inspect", "-f", "{{json .}}", ref, check=True)
        return json.loads(p.stdout)

    def history(self, ref: str) -> list[Layer]:
        p = self("history", "--no-trunc", "--human=false", "--format", "{{.Size}}\t{{.CreatedBy}}", ref)
        layers = []
        for line in p.stdout.splitlines():
            size, _, by = line.partition("\t")
            if size.isdigit() and int(size):
                by = re.sub(r"/bin/sh -c (#\(nop\) )?| # buildkit$", "", by).strip()
                layers.append(Layer(int(size), by or "(base image)"))
        return layers

    def run(self, name: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        """``docker run --rm --name NAME ARGS``; past ``timeout`` the container is removed and the exit is 124."""
        try:
            return self("run", "--rm", "--name", name, *args, timeout=timeout)
        except DockvenvError:
            self("rm", "-f", name)
            return subprocess.CompletedProcess(args, 124, "", f"did not finish in {timeout:.0f} s")

    def run_probe(self, tag: str, argv: Sequence[str], workdir: str, packages: Sequence[str], timeout: float,
                  user: str | None = None) -> subprocess.CompletedProcess[str]:
        """PROBE, then ``exec argv`` in the same container: the probe on stderr up to ``@@end``."""
        extra = ["--user", user] if user else []
        return self.run(f"{_name(tag)}-probe", "--network", "none", *extra, "--entrypoint", "sh", tag, "-c", PROBE,
                        "probe", workdir or "/", " ".join(packages), *argv, timeout=timeout)

    def rmi(self, *refs: str) -> None:
        if refs:
            self("rmi", "-f", *refs, timeout=600)

    def cache(self) -> list[dict]:
        p = self("system", "df", "-v", "--format", "{{json .BuildCache}}", timeout=120)
        try:
            return [dict(r, ID=str(r.get("ID", "")).rstrip("*")) for r in json.loads(p.stdout or "[]") or []]
        except ValueError:
            return []

    def prune(self, ids: Sequence[str]) -> None:
        for x in ids:  # one id a call: the daemon refuses several values of one filter
            self("builder", "prune", "-af", f"--filter=id={x}", timeout=600)


def _name(tag: str) -> str:
    return re.sub(r"[^\w.-]", "-", tag)


def _on_path(name: str) -> list[str]:
    seen, out = set(), []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        exe = os.path.join(d, name)
        if os.path.isfile(exe) and os.access(exe, os.X_OK) and os.path.realpath(exe) not in seen:
            seen.add(os.path.realpath(exe))
            out.append(exe)
    return out


def _no_buildkit(exe: str, env: dict[str, str]) -> str | None:
    """Why ``exe`` cannot build with BuildKit, or None: buildx, or a pre-23 client (built-in BuildKit)."""
    try:
        if subprocess.run([exe, "buildx", "version"], env=env, capture_output=True, timeout=30, check=False).returncode == 0:
            return None
        out = subprocess.run([exe, "--version"], env=env, capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run it ({exc})"
    m = re.search(r"version (\d+)\.", out)
    if m and int(m.group(1)) < 23:
        return None
    return f"docker {m.group(1) if m else '?'} without the buildx plugin"


# -- the two trees --------------------------------------------------------------------------
@dataclass(frozen=True)
class Sources:
    original: Path
    migrated: Path
    original_from: str
    migrated_from: str
    dockerfile: str  # relative to both trees
    context: str
    notes: tuple[str, ...] = ()


def prepare(root: Path, plan: Plan, options: VerifyOptions, work: Path) -> Sources:
    orig, new = work / "original", work / "migrated"
    pending = plan.changes
    _copy(root, new)
    if pending:
        _copy(root, orig)
        _write(orig, {e.path: e.before for e in pending})
        _write(new, {e.path: e.after for e in pending})
        froms = ("working tree", f"working tree + plan ({len(pending)} files)")
    elif _git(root, "rev-parse", "--show-toplevel").returncode == 0:
        if _git(root, "rev-parse", "--verify", "--quiet", f"{options.base}^{{commit}}").returncode != 0:
            raise UsageError(f"{root}: --base {options.base}: not a commit of this git repository")
        if _git(root, "diff", "--quiet", options.base, "--", ".").returncode == 0:
            raise UsageError(f"{root}: nothing to compare: no migration is pending and the working tree is the "
                             f"same as {options.base} (verify --docker compares {options.base} with the migration)")
        _archive(root, options.base, orig)
        froms = (f"git {options.base}", "working tree")
    else:
        raise UsageError(f"{root}: nothing to compare: no migration is pending and it is not a git repository "
                         "(run verify before 'dockvenv migrate', or commit the original first)")
    dockerfile, notes = _choose(orig, new, plan, options)
    for tree in (orig, new):
        if not (tree / dockerfile).is_file():
            raise UsageError(f"{root}: {dockerfile}: not in the {'original' if tree is orig else 'migrated'} tree")
        if options.strip_syntax:
            path = tree / dockerfile
            path.write_text(strip_syntax(path.read_text(encoding="utf-8")), encoding="utf-8", newline="")
    return Sources(orig, new, *froms, dockerfile, _context(orig, dockerfile), (*notes, *plan.notes))


def _choose(orig: Path, new: Path, plan: Plan, options: VerifyOptions) -> tuple[str, list[str]]:
    from dockvenv.plan import is_dev_dockerfile
    from dockvenv.project import is_dockerfile

    if options.dockerfile:
        return options.dockerfile.strip("/"), []
    files = sorted({p.relative_to(new).as_posix() for p in new.rglob("*") if is_dockerfile(p.name)
                    and ".git" not in p.relative_to(new).parts})
    files = [f for f in files if not is_dev_dockerfile(f)] or files
    changed = [f for f in files if _read(orig / f) != _read(new / f)]
    pick = changed or files
    if not pick:
        raise UsageError(f"{plan.root}: no Dockerfile to build")
    best = "Dockerfile" if "Dockerfile" in pick else pick[0]
    others = [f for f in changed if f != best]
    return best, [f"also migrated: {f} (verify it with --dockerfile {f})" for f in others]


def _context(tree: Path, dockerfile: str) -> str:
    from dockvenv.dockerfile import parse
    from dockvenv.plan import build_context
    from dockvenv.project import read_project

    project = read_project(tree)
    return build_context(project, dockerfile, parse(project.text(dockerfile) or "", dockerfile))


def strip_syntax(text: str) -> str:
    """Drop a ``# syntax=`` parser directive (BuildKit would pull that frontend image); keep the others."""
    out, directives = [], True
    for line in text.splitlines(keepends=True):
        if directives and re.match(r"^\ufeff?#\s*[A-Za-z]+\s*=", line):
            if not re.match(r"^\ufeff?#\s*syntax\s*=", line, re.IGNORECASE):
                out.append(line)
            continue
        directives = False
        out.append(line)
    return "".join(out)


def _copy(root: Path, dest: Path) -> None:
    shutil.copytree(root, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))


def _write(tree: Path, texts: dict[str, str | None]) -> None:
    for rel, text in texts.items():
        path = tree / rel
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=120,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(args, 128, "", str(exc))


def _archive(root: Path, ref: str, dest: Path) -> None:
    """``git -C ROOT archive REF | tar -x``: ROOT's own subtree at REF (git archives the current folder)."""
    dest.mkdir(parents=True)
    git = subprocess.Popen(["git", "-C", str(root), "archive", "--format=tar", ref], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    tar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=git.stdout, capture_output=True, timeout=600,
                         check=False)
    _out, err = git.communicate(timeout=600)
    if git.returncode or tar.returncode:
        raise DockvenvError(f"{root}: git archive {ref} failed: {compare.last_line((err or tar.stderr).decode())}")


# -- measuring ------------------------------------------------------------------------------
def verify_docker(root: str, plan: Plan, options: VerifyOptions | None = None,
                  progress: Progress | None = None) -> VerifyReport:
    """Build, run and compare the original and the migrated image of the project at ``root``.

    Raises DockvenvError when it cannot run at all (no engine, no BuildKit, nothing to
    compare); every other outcome, an original that does not build included, is in the report.
    """
    options = options or VerifyOptions()
    say = progress or (lambda kind, text: None)
    docker = Docker.find()
    docker.check_engine()
    work = Path(tempfile.mkdtemp(prefix="dockvenv-verify-"))
    name = f"{TAG_PREFIX}{secrets.token_hex(4)}"
    made: list[str] = []
    before_cache = {r["ID"] for r in docker.cache()}
    try:
        src = prepare(Path(root).resolve(), plan, options, work)
        facts = _facts(src)
        images = []
        for label, tree, origin in (("original", src.original, src.original_from),
                                    ("migrated", src.migrated, src.migrated_from)):
            made.append(f"{name}:{label}")
            images.append(_build(docker, Image(label, origin, made[-1]), tree, src, options, say))
        original, migrated = images
        if not original.built:
            return VerifyReport(root, src.dockerfile, src.context, original, migrated,
                                checks=compare.checks(original, migrated, facts, options), notes=src.notes,
                                error=f"the original image does not build, so there is nothing to compare with: "
                                      f"{original.build_error}")
        if not migrated.built:
            return VerifyReport(root, src.dockerfile, src.context, original, migrated, notes=src.notes,
                                checks=compare.checks(original, migrated, facts, options))
        # Each image's own command: a CMD the migration broke must not be tried on the original too.
        smoke_o, _ = (options.smoke, "") if options.smoke else compare.derive_smoke(original.config, facts)
        smoke, origin = (options.smoke, "--smoke") if options.smoke else compare.derive_smoke(migrated.config, facts)
        original = _measure(docker, original, smoke_o, facts, options, say)
        migrated = _measure(docker, migrated, smoke, facts, options, say)
        if options.rebuild:
            original, migrated = _rebuild(docker, (original, migrated), src, facts, options, made, say)
        checks = compare.checks(original, migrated, facts, options, smoke)
        return VerifyReport(root, src.dockerfile, src.context, original, migrated, smoke, origin, checks, src.notes,
                            smoke_original=smoke_o if smoke_o != smoke else ())
    finally:
        if options.keep:
            say("phase", f"kept images {', '.join(made)} and the trees in {work}")
        else:
            say("phase", "removing the images and build cache this run made")
            docker("rm", "-f", *[f"{_name(t)}-{c}" for t in made for c in ("probe", "smoke", "http")])
            docker.rmi(*made)
            _prune_own_cache(docker, before_cache, work)
            shutil.rmtree(work, ignore_errors=True)


def _facts(src: Sources) -> Facts:
    from dockvenv.config import load
    from dockvenv.project import read_project

    original = read_project(src.original)
    migrated = read_project(src.migrated)
    settings = load(original.text("pyproject.toml"))
    return compare.project_facts(original, migrated, settings)


def _build(docker: Docker, image: Image, tree: Path, src: Sources, options: VerifyOptions,
           say: Progress, tag: str | None = None) -> Image:
    say("phase", f"building the {image.label} image ({src.dockerfile}, from {image.source})")
    seen: set[str] = set()

    def on_line(line: str) -> None:
        m = re.match(r"#\d+ (\[[^\]]+\] .*)", line)
        if m and m.group(1) not in seen:
            seen.add(m.group(1))
            say("step", f"{image.label}: {m.group(1)[:150]}")

    ok, seconds, log = docker.build(tree / src.context, tree / src.dockerfile, tag or image.tag,
                                    options.no_cache, on_line)
    say("phase", f"{image.label} image {'built' if ok else 'FAILED'} in {seconds:.1f} s")
    if not ok:
        return replace(image, built=False, build_seconds=seconds, build_error=compare.build_cause(log))
    data = docker.inspect(tag or image.tag)
    layers = sorted(docker.history(tag or image.tag), key=lambda layer: -layer.size)
    return replace(image, built=True, build_seconds=seconds, size=int(data.get("Size") or 0),
                   layers=len((data.get("RootFS") or {}).get("Layers") or []), largest=tuple(layers[:3]),
                   config=data.get("Config") or {})


def _measure(docker: Docker, image: Image, smoke: Sequence[str], facts: Facts, options: VerifyOptions,
             say: Progress) -> Image:
    say("phase", f"running the {image.label} image: probe" + (f" and smoke {shlex.join(smoke)}" if smoke else ""))
    workdir = str(image.config.get("WorkingDir") or "/")
    user = str(image.config.get("User") or "")
    as_root = user in ("", "root", "0") or user.startswith(("0:", "root:"))
    p = docker.run_probe(image.tag, smoke if as_root else (), workdir, facts.packages, options.timeout,
                         None if as_root else "0")
    probe, rest = compare.parse_probe(p.stderr)
    error = "" if probe else f"the probe did not run (no /bin/sh in the image?): {compare.last_line(p.stderr)}"
    run = Run(tuple(smoke), p.returncode, p.stdout, rest) if as_root and probe and smoke else None
    if smoke and run is None:  # a non-root USER, or no sh: the smoke in its own container, as the image's user
        q = docker.run(f"{_name(image.tag)}-smoke", "--network", "none", "--entrypoint", smoke[0], image.tag,
                       *smoke[1:], timeout=options.timeout)
        run = Run(tuple(smoke), q.returncode, q.stdout, q.stderr)
    http = _http(docker, image, options, say) if options.http is not None else None
    return replace(image, probe=probe, probe_error=error, smoke=run, http=http)


def _http(docker: Docker, image: Image, options: VerifyOptions, say: Progress) -> Http | None:
    import http.client

    port = compare.http_port(image.config)
    path = options.http or "/"
    if port is None or not compare.is_server(image.config):
        return None
    if _listening(port):
        return Http(port, path, None, f"port {port} is already in use on this host")
    say("phase", f"starting the {image.label} server (port {port}) for GET {path}")
    cid = docker("run", "-d", "--name", f"{_name(image.tag)}-http", "--network", "host", image.tag,
                 check=True).stdout.strip()
    try:
        deadline = time.monotonic() + options.timeout
        while not _listening(port):
            if time.monotonic() > deadline:
                return Http(port, path, None, f"nothing listened on port {port} in {options.timeout:.0f} s")
            if docker("inspect", "-f", "{{.State.Running}}", cid).stdout.strip() != "true":
                logs = docker("logs", cid)
                return Http(port, path, None, f"the server exited: {compare.last_line(logs.stderr + logs.stdout)}")
            time.sleep(1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", path)
            return Http(port, path, conn.getresponse().status)
        except OSError as exc:
            return Http(port, path, None, f"GET {path}: {exc}")
        finally:
            conn.close()
    finally:
        docker("rm", "-f", cid)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _rebuild(docker: Docker, images: tuple[Image, Image], src: Sources, facts: Facts, options: VerifyOptions,
             made: list[str], say: Progress) -> tuple[Image, Image]:
    """Append one line to a module of the package in both trees, rebuild both (timed), check the change shipped."""
    rel = compare.code_file(facts)
    if rel is None:
        return images
    out = []
    for image, tree in zip(images, (src.original, src.migrated)):
        with open(tree / rel, "a", encoding="utf-8") as f:
            f.write("\n_DOCKVENV_VERIFY_REBUILD = 1  # dockvenv verify: a one-line code change\n")
        made.append(f"{image.tag}-rebuild")
        again = _build(docker, replace(image, label=f"{image.label} rebuild"), tree, src, options, say, made[-1])
        error = "" if again.built else f"the {image.label} rebuild failed: {again.build_error}"
        if again.built and docker.inspect(made[-1]).get("Id") == docker.inspect(image.tag).get("Id"):
            error = f"the {image.label} rebuild gave the same image: the code change ({rel}) did not reach it"
        docker.rmi(made.pop())
        out.append(replace(image, rebuild_seconds=again.build_seconds, rebuild_error=error))
    return out[0], out[1]


def _prune_own_cache(docker: Docker, before: set[str], work: Path) -> None:
    """Build cache records this run made: new since it began, and in the chain of one of its RUN steps.

    ``docker builder prune`` has no owner filter and others may build on the same engine,
    so records are matched by their RUN command (from this run's Dockerfiles), then the new
    records they stand on and those that follow them (not through another RUN); records in
    use or shared with an image are left.
    """
    runs = set()
    for path in work.rglob("*"):
        if path.is_file() and (path.name == "Dockerfile" or path.suffix == ".Dockerfile"
                               or path.name.startswith("Dockerfile.")):
            runs.add(" ".join(re.sub(r"\\\r?\n", " ", _read(path) or "").split()))
    text = "\n".join(runs)
    records = {r["ID"]: r for r in docker.cache() if r["ID"] not in before}

    def parent(i: str) -> str:
        return str(records[i].get("Parent", "")).rstrip("*")

    def mine(i: str) -> bool | None:  # an exec record of one of our RUN steps; None when not an exec record
        m = re.match(r"mount / from exec /bin/sh -c (.*)", str(records[i].get("Description", "")))
        return None if m is None else " ".join(m.group(1).split()) in text

    ours = {i for i in records if mine(i)}
    up, down = set(ours), set(ours)
    while True:  # the steps our RUNs stand on, and what follows them unless it is someone else's RUN
        more = {parent(i) for i in up if parent(i) in records} - up
        below = {i for i in records if parent(i) in down and mine(i) is not False} - down
        if not more and not below:
            break
        up, down = up | more, down | below
    ours = up | down

    def depth(i: str) -> int:
        return 1 + depth(parent(i)) if parent(i) in records else 0

    free = [i for i in ours if str(records[i].get("InUse")) == "false" and str(records[i].get("Shared")) == "false"]
    docker.prune(sorted(free, key=lambda i: (-depth(i), i)))  # children first: a parent with a child stays


# -- the command ----------------------------------------------------------------------------
def options_from(args: argparse.Namespace) -> VerifyOptions:
    smoke = tuple(shlex.split(args.smoke)) if getattr(args, "smoke", None) else None
    http = getattr(args, "http", None)
    if http is not None and not http.startswith("/"):
        http = "/" + http
    return VerifyOptions(base=getattr(args, "base", None) or "HEAD", dockerfile=getattr(args, "dockerfile", None),
                         smoke=smoke, http=http, rebuild=bool(getattr(args, "rebuild", False)),
                         keep=bool(getattr(args, "keep", False)), strip_syntax=bool(getattr(args, "strip_syntax", False)),
                         no_cache=bool(getattr(args, "no_cache", False)),
                         timeout=float(getattr(args, "timeout", None) or 120.0))


def run(args: argparse.Namespace) -> int:
    """``dockvenv verify PATH... --docker``: one report per project; exit 0, 1 (a check failed) or 2."""
    import importlib

    from dockvenv.cli import load_project
    from dockvenv.plan import build_plan

    render = importlib.import_module("dockvenv.verify.render")  # the package's own ``render`` is another thing

    options = options_from(args)
    reports = []

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # unwinds through verify_docker's clean-up (SIGTERM would skip it)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with render.Progress(sys.stderr) as progress:
            for root in args.paths:
                project, settings = load_project(root, args)
                reports.append(verify_docker(root, build_plan(project, settings), options, progress))
    finally:
        signal.signal(signal.SIGTERM, previous)
    if getattr(args, "json", False):
        sys.stdout.write(render.as_json(reports))
    else:
        render.table(reports, sys.stdout)
    return max(r.exit_code for r in reports)


def bulk_summary(root: str, options: VerifyOptions | None = None) -> str:
    """Markdown for a bulk pull request: HEAD is the original, the working tree the migration."""
    from dockvenv.config import load
    from dockvenv.plan import build_plan
    from dockvenv.project import read_file, read_project
    from dockvenv.verify.render import summary_markdown

    settings = load(read_file(root, "pyproject.toml"))
    plan = build_plan(read_project(root, exclude=settings.exclude), settings)
    try:
        return summary_markdown(verify_docker(root, plan, options))
    except DockvenvError as exc:
        return f"Image comparison not run: {exc}"
