"""``dockvenv verify --docker``: the checks as values, the two trees, the client, and real builds.

The first part needs no engine: smoke and port derivation, probe parsing, every check's
verdict and the cause it names, the report renderings, how the original and migrated
trees are prepared (git archive, plan before/after), and the exit-2 paths (no BuildKit,
no engine).  The second part (marked ``docker``) runs ``dockvenv verify --docker`` on the
engine of ``scripts/docker-env`` for the fixture apps, the PEP 668 Debian fixture and the
deliberately broken migrations of fixtures/verify/; it is skipped, with the reason, when
no engine answers.  Builds are slow on the shared vfs engine: each case is one verify run.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from dockvenv.cli import main
from dockvenv.config import Settings
from dockvenv.errors import DockvenvError, UsageError
from dockvenv.plan import build_plan
from dockvenv.project import read_project
from dockvenv.verify import compare
from dockvenv.verify.compare import (
    FAIL,
    INFO,
    PASS,
    SKIP,
    Facts,
    Http,
    Image,
    Probe,
    Run,
    VerifyOptions,
    VerifyReport,
)
from dockvenv.verify.docker import Docker, prepare, strip_syntax
from tests.conftest import FIXTURES, ROOT

VERIFY = FIXTURES / "verify"
APPS = FIXTURES / "apps"
PACKAGING = FIXTURES / "packaging"
SOCKET = "unix:///tmp/dockvenv-docker/docker.sock"


def git(path: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(path), "-c", "user.email=t@example.invalid", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


def broken(tmp_path: Path, case: str, original: Path | None = None) -> Path:
    """The case's original committed to a fresh repository, its migration over the working tree."""
    root = tmp_path / case
    shutil.copytree(original or VERIFY / case / "original", root, ignore=shutil.ignore_patterns("__pycache__"))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "original")
    shutil.copytree(VERIFY / case / "migrated", root, dirs_exist_ok=True)
    return root


def plan_of(root: Path):
    return build_plan(read_project(root), Settings())


# -- what to run ------------------------------------------------------------------------------
@pytest.mark.parametrize("config, argv", [
    ({"Cmd": ["gunicorn", "-b", ":8000", "app:app"]}, ["gunicorn", "-b", ":8000", "app:app"]),
    ({"Entrypoint": ["reporter"], "Cmd": ["summary"]}, ["reporter", "summary"]),
    ({"Cmd": ["/bin/sh", "-c", "cd /app && exec uvicorn svc.main:app --port 80"]},
     ["uvicorn", "svc.main:app", "--port", "80"]),
    ({"Entrypoint": ["tini", "-g", "--"], "Cmd": ["python", "-m", "svc"]}, ["python", "-m", "svc"]),
    ({"Entrypoint": ["gosu", "app", "inventory"], "Cmd": ["list"]}, ["inventory", "list"]),
    ({"Cmd": ["sh", "-c", "FOO=1 python app.py"]}, ["python", "app.py"]),
])
def test_command_of(config: dict, argv: list[str]) -> None:
    assert compare.command_of(config) == argv


FACTS = Facts(name="greeter", packages=("greeter",), scripts=("greeter",))


@pytest.mark.parametrize("config, first, origin", [
    ({"Cmd": ["greeter", "serve"]}, ("greeter", "--help"), "console script greeter --help"),
    ({"Cmd": ["/opt/venv/bin/python", "-m", "greeter.web"]}, ("/opt/venv/bin/python", "-c"), "-m target"),
    ({"Cmd": ["gunicorn", "-b", "0.0.0.0:8000", "greeter.web:app"]}, ("python3", "-c"), "gunicorn target"),
    ({"Cmd": ["python", "-m", "uvicorn", "greeter.api:app"]}, ("python3", "-c"), "uvicorn target"),
    ({"Cmd": ["python", "app.py"]}, ("python", "-c"), "app.py exists and compiles"),
    ({"Cmd": ["/docker-entrypoint.sh"]}, ("python3", "-c"), "import of the project's packages"),
])
def test_derive_smoke(config: dict, first: tuple[str, ...], origin: str) -> None:
    argv, how = compare.derive_smoke(config, FACTS)
    assert argv[:len(first)] == first and origin in how


def test_derived_smokes_run(tmp_path: Path) -> None:
    """The derived Python snippets are valid: they pass for what exists and name what does not."""
    (tmp_path / "ok.py").write_text("x = 1\n")
    for config, rc in (({"Cmd": ["python", "-m", "json.tool"]}, 0), ({"Cmd": ["python", "-m", "nosuch.mod"]}, 1),
                       ({"Cmd": ["gunicorn", "json:loads"]}, 0), ({"Cmd": ["python", "ok.py"]}, 0),
                       ({"Cmd": ["python", "gone.py"]}, 1)):
        argv, _how = compare.derive_smoke(config, Facts())
        p = subprocess.run([sys.executable, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, check=False)
        assert p.returncode == rc, (config, p.stderr)
    p = subprocess.run([sys.executable, *compare.derive_smoke({"Cmd": ["python", "-m", "nosuch"]}, Facts())[0][1:]],
                       capture_output=True, text=True, check=False)
    assert "No module named nosuch" in p.stderr


def test_no_smoke_without_a_command_or_packages() -> None:
    assert compare.derive_smoke({"Cmd": ["/entry.sh"]}, Facts()) == ((), "none: pass --smoke")


@pytest.mark.parametrize("config, port", [
    ({"Cmd": ["gunicorn", "-b", "0.0.0.0:8000", "a:b"], "ExposedPorts": {"9000/tcp": {}}}, 8000),
    ({"Cmd": ["uvicorn", "a:b", "--port=8080"]}, 8080),
    ({"Cmd": ["python", "app.py"], "ExposedPorts": {"5000/tcp": {}, "53/udp": {}}}, 5000),
    ({"Cmd": ["python", "app.py"]}, None),
])
def test_http_port(config: dict, port: int | None) -> None:
    assert compare.http_port(config) == port


# -- probe and checks -------------------------------------------------------------------------
PROBE_OUT = """@@pyvenv
@@dotenv
/app/.env.example
@@dists
/usr/local/lib/python3.12/site-packages/greeter-0.3.1.dist-info
/usr/local/lib/python3.12/site-packages/Flask-3.0.3.dist-info
@@uv
@@caches
@@srcdirs
@@manifests
@@pipcheck
No broken requirements found.
rc=0
@@ospkgs
@@end
Traceback (most recent call last):
ModuleNotFoundError: No module named 'yaml'
"""


def test_parse_probe() -> None:
    probe, rest = compare.parse_probe(PROBE_OUT)
    assert probe is not None and compare.dists(probe) == ["flask", "greeter"]
    assert compare.env_files(probe) == []  # .env.example is allowed
    assert compare.pip_problems(probe) == (0, [])
    assert rest.startswith("Traceback") and compare.parse_probe("boom")[0] is None


def image(label: str, probe: dict[str, tuple[str, ...]], size: int, smoke: Run | None = None) -> Image:
    return Image(label, "test", f"dv-verify-test:{label}", built=True, build_seconds=1.0, size=size, layers=3,
                 probe=Probe(probe), smoke=smoke or Run(("x",), 0, "ok\n", ""))


ORIGINAL = {"pyvenv": ("/opt/venv/pyvenv.cfg",), "dotenv": ("/app/.env",), "pipcheck": ("rc=0",),
            "dists": ("/opt/venv/lib/python3.12/site-packages/pytest-8.0.dist-info",),
            "caches": ("2048\t/root/.cache/pip",), "srcdirs": ("/app/src/greeter/__init__.py",)}
CLEAN = {"pipcheck": ("rc=0",), "dists": ("/usr/local/lib/python3.12/site-packages/flask-3.0.dist-info",)}


def verdicts(checks: tuple[compare.Check, ...]) -> dict[str, str]:
    return {c.name: c.status for c in checks}


def test_checks_all_good() -> None:
    checks = compare.checks(image("original", ORIGINAL, 300), image("migrated", CLEAN, 200), FACTS,
                            VerifyOptions(), ("x",))
    assert {s for n, s in verdicts(checks).items() if n != "layers"} == {PASS}
    assert verdicts(checks)["layers"] == INFO
    by = {c.name: c for c in checks}
    assert by["no virtualenv"].original == "/opt/venv/pyvenv.cfg" and by["no pip cache"].original.endswith("MB)")


def test_checks_name_each_leftover() -> None:
    bad = dict(ORIGINAL, pipcheck=("greeter 0.3 requires flask, which is not installed.", "rc=1"))
    checks = {c.name: c for c in compare.checks(image("original", CLEAN, 200), image("migrated", bad, 300),
                                                FACTS, VerifyOptions(), ("x",))}
    assert checks["size"].status == FAIL and "larger" in checks["size"].detail
    assert checks["no virtualenv"].detail == "pyvenv.cfg at /opt/venv/pyvenv.cfg"
    assert checks["no .env files"].status == FAIL and "/app/.env" in checks["no .env files"].detail
    assert checks["no pip cache"].status == FAIL and "/root/.cache/pip" in checks["no pip cache"].detail
    assert checks["no source tree"].status == FAIL and "/app/src/greeter" in checks["no source tree"].detail
    assert checks["pip check"].status == FAIL and "requires flask" in checks["pip check"].detail
    assert checks["no dev tools"].status == FAIL and "pytest" in checks["no dev tools"].detail


def test_dev_tools_blamed_on_a_stale_uv_lock() -> None:
    lock = ('version = 1\n[[package]]\nname = "reporter"\nversion = "2.0.0"\nsource = { editable = "." }\n'
            'dependencies = [{ name = "click" }, { name = "pytest" }]\n')
    facts = Facts(name="reporter", locks={"uv.lock": lock})
    why = compare.explain_dev_tools(["pytest"], facts)
    assert "uv.lock still lists them as dependencies of reporter" in why and "run 'uv lock'" in why
    poetry = '[[package]]\nname = "black"\nversion = "24.4"\ngroups = ["main"]\n'
    assert "poetry lock" in compare.explain_dev_tools(["black"], Facts(locks={"poetry.lock": poetry}))
    declared = Facts(runtime_declared={"ruff": "pyproject.toml:9 project.dependencies"})
    assert "still declared" in compare.explain_dev_tools(["ruff"], declared)
    kept = Facts(kept=("pytest",))
    assert compare.dev_tools_in(Probe({"dists": ("/x/site-packages/pytest-8.dist-info",)}), kept) == []
    apk = Probe({"ospkgs": ("py3-pytest-8.2.1-r0", "py3-flask")})  # Alpine (untested here: no alpine image)
    assert compare.dev_tools_in(apk, Facts()) == ["pytest (py3-pytest)"]
    assert compare.dev_tools_in(Probe({"ospkgs": ("python3-pytest",)}), Facts()) == ["pytest (python3-pytest)"]


def test_smoke_failure_names_the_cause() -> None:
    facts = Facts(packages=("ledger",), present=frozenset({"server.py", "messages.txt", "src/ledger"}))
    o = image("original", CLEAN, 2, Run(("x",), 0, "balance 108\n", ""))
    m = image("migrated", CLEAN, 1, Run(("x",), 1, "", "No module named server\n"))
    smoke = {c.name: c for c in compare.checks(o, m, facts, VerifyOptions(), ("x",))}["smoke"]
    assert smoke.status == FAIL and "exit 0 -> 1: No module named server" in smoke.detail
    assert "server.py is in the project tree but the wheel does not carry it" in smoke.detail
    err = "FileNotFoundError: [Errno 2] No such file or directory: 'messages.txt'"
    assert "messages.txt is in the project but not in the migrated image" in compare.explain_failure(err, facts)
    same_exit = image("migrated", CLEAN, 1, Run(("x",), 0, "balance 0\n", ""))
    detail = {c.name: c for c in compare.checks(o, same_exit, facts, VerifyOptions(), ("x",))}["smoke"].detail
    assert "different output at line 1: 'balance 108' -> 'balance 0'" in detail


def test_http_and_rebuild_verdicts() -> None:
    o = image("original", CLEAN, 2)
    m = image("migrated", CLEAN, 1)
    opts = VerifyOptions(http="/healthz", rebuild=True)
    from dataclasses import replace

    checks = {c.name: c for c in compare.checks(replace(o, http=Http(8000, "/healthz", 200), rebuild_seconds=9.0),
                                                replace(m, http=Http(8000, "/healthz", 404), rebuild_seconds=3.0),
                                                FACTS, opts, ("x",))}
    assert checks["http"].status == FAIL and "200 -> 404" in checks["http"].detail
    assert checks["rebuild"].status == INFO and "x0.33" in checks["rebuild"].detail
    no_server = {c.name: c for c in compare.checks(o, m, FACTS, opts, ("x",))}
    assert no_server["http"].status == SKIP and no_server["rebuild"].status == SKIP


def test_migrated_build_failure_is_a_failed_check() -> None:
    log = ("#9 [dockvenv-builder 5/5] RUN uv build --wheel --out-dir /dist\n#9 0.512 Building wheel...\n"
           "#9 1.203 error: Failed to build `app @ file:///src`: README.md not found\n"
           "#9 ERROR: executor failed running [/bin/sh -c uv build --wheel --out-dir /dist]: exit code: 2\n"
           "------\n > [dockvenv-builder 5/5] RUN uv build --wheel --out-dir /dist:\n------\n"
           "error: failed to solve: executor failed running")
    cause = compare.build_cause(log)
    assert cause.startswith("[dockvenv-builder 5/5] RUN uv build") and "README.md not found" in cause
    m = Image("migrated", "test", "t", built=False, build_error=cause)
    report = VerifyReport("p", "Dockerfile", "", image("original", CLEAN, 1), m,
                          checks=compare.checks(image("original", CLEAN, 1), m, FACTS, VerifyOptions()))
    assert report.exit_code == 1 and report.failed[0].name == "builds"
    assert VerifyReport("p", "Dockerfile", "", m, m, error="x").exit_code == 2


def test_strip_syntax_keeps_other_directives() -> None:
    text = "# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n# syntax=not-a-directive-here\n"
    assert strip_syntax(text) == "# escape=`\nFROM x\n# syntax=not-a-directive-here\n"
    assert strip_syntax("\ufeff# syntax = docker/dockerfile:1.7\r\nFROM x\r\n") == "FROM x\r\n"


def test_renderings() -> None:
    import importlib

    from dockvenv.verify import render as _  # noqa: F401  (the module, imported for its side effect)

    render = importlib.import_module("dockvenv.verify.render")
    checks = compare.checks(image("original", ORIGINAL, 300_000_000), image("migrated", CLEAN, 200_000_000), FACTS,
                            VerifyOptions(), ("greeter", "--help"))
    r = VerifyReport("app", "Dockerfile", "", image("original", ORIGINAL, 300_000_000),
                     image("migrated", CLEAN, 200_000_000), ("greeter", "--help"), "console script", checks)
    text = render.plain(r)
    assert "no virtualenv" in text and "300.0 MB" in text and "no check failed" in text
    data = json.loads(render.as_json([r]))
    assert data["version"] == 1 and data["projects"][0]["exit_code"] == 0
    assert data["projects"][0]["images"]["migrated"]["size_bytes"] == 200_000_000
    md = render.summary_markdown(r)
    assert "300.0 MB → 200.0 MB" in md and "| no virtualenv |" in md and "No check failed." in md


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_and_table_on_a_terminal_and_off(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    render = importlib.import_module("dockvenv.verify.render")
    plain = io.StringIO()
    with render.Progress(plain) as say:
        say("phase", "building the original image")
        say("step", "original: [2/5] RUN pip install .")
    assert plain.getvalue() == "dockvenv: building the original image\n  original: [2/5] RUN pip install .\n"
    monkeypatch.setenv("NO_COLOR", "1")
    tty = Tty()
    with render.Progress(tty) as say:
        say("phase", "building the migrated image")
        say("step", "migrated: [1/3] FROM python")
    assert "building the migrated image" in tty.getvalue() and "\x1b[3" not in tty.getvalue()
    o, m = image("original", ORIGINAL, 300_000_000), image("migrated", CLEAN, 200_000_000)
    r = VerifyReport("app", "Dockerfile", "", o, m, ("x",), "--smoke", compare.checks(o, m, FACTS, VerifyOptions()))
    out = Tty()
    render.table([r], out)
    assert "no virtualenv" in out.getvalue() and "no check failed" in out.getvalue()


def schema() -> dict:
    text = (ROOT / "docs" / "verify.md").read_text()
    return json.loads(text.split("### Schema", 1)[1].split("```json", 1)[1].split("```", 1)[0])


def test_json_matches_the_documented_schema() -> None:
    import importlib

    jsonschema = pytest.importorskip("jsonschema")
    render = importlib.import_module("dockvenv.verify.render")
    from dataclasses import replace

    o = replace(image("original", ORIGINAL, 300_000_000), http=Http(8000, "/", 200), rebuild_seconds=3.5,
                largest=(compare.Layer(191, "(base image)"),))
    m = Image("migrated", "working tree", "t", built=False, build_error="step: boom")
    reports = [VerifyReport("a", "Dockerfile", "", o, m, checks=compare.checks(o, m, FACTS, VerifyOptions())),
               VerifyReport("b", "Dockerfile", "", o, o, ("x",), "--smoke", error="nothing", notes=("n",))]
    jsonschema.validate(json.loads(render.as_json(reports)), schema())


# -- the two trees ----------------------------------------------------------------------------
def test_prepare_pending_plan(tmp_path: Path) -> None:
    root = tmp_path / "app"
    shutil.copytree(VERIFY / "pep668-debian", root)
    src = prepare(root, plan_of(root), VerifyOptions(strip_syntax=True), tmp_path / "work")
    assert (src.original_from, src.dockerfile, src.context) == ("working tree", "Dockerfile", "")
    assert "venv" in (src.original / "Dockerfile").read_text()
    after = (src.migrated / "Dockerfile").read_text()
    assert "--break-system-packages" in after and "syntax=" not in after
    assert (root / "Dockerfile").read_text() == (VERIFY / "pep668-debian" / "Dockerfile").read_text()


def test_prepare_git_ref(tmp_path: Path) -> None:
    root = broken(tmp_path, "cmd-missing-module")
    plan = plan_of(root)
    assert not plan.changes, "the broken migration must look migrated to dockvenv, or verify compares the plan"
    src = prepare(root, plan, VerifyOptions(), tmp_path / "work")
    assert (src.original_from, src.migrated_from) == ("git HEAD", "working tree")
    assert "venv" in (src.original / "Dockerfile").read_text() and not (src.original / ".git").exists()
    assert "dockvenv-builder" in (src.migrated / "Dockerfile").read_text()
    with pytest.raises(UsageError, match="not a commit"):
        prepare(root, plan, VerifyOptions(base="nosuchref"), tmp_path / "work2")


@pytest.mark.parametrize("case, original", [("runtime-files-not-copied", None), ("cmd-missing-module", None),
                                            ("stale-uv-lock", APPS / "uvlock-cli")])
def test_broken_migrations_look_migrated(tmp_path: Path, case: str, original: Path | None) -> None:
    """Nothing pending in the broken trees: verify compares HEAD with them, not with a plan that fixes them."""
    assert not plan_of(broken(tmp_path, case, original)).changes


def test_prepare_nothing_to_compare(tmp_path: Path) -> None:
    root = broken(tmp_path, "runtime-files-not-copied")
    assert not plan_of(root).changes
    git(root, "add", "-A")
    git(root, "commit", "-qm", "migrated")
    with pytest.raises(UsageError, match="same as HEAD"):
        prepare(root, plan_of(root), VerifyOptions(), tmp_path / "w1")
    shutil.rmtree(root / ".git")
    with pytest.raises(UsageError, match="not a git repository"):
        prepare(root, plan_of(root), VerifyOptions(), tmp_path / "w2")


def test_only_its_own_build_cache_is_pruned(tmp_path: Path) -> None:
    from dockvenv.verify.docker import _prune_own_cache

    (tmp_path / "migrated").mkdir()
    (tmp_path / "migrated" / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCOPY . .\nRUN --mount=from=b,source=/dist,target=/wheels \\\n"
        "    python3 -m pip install /wheels/*.whl\nCOPY app.py .\n")

    def rec(i: str, parent: str = "", desc: str = "fileop target", in_use: str = "false",
            shared: str = "false") -> dict:
        return {"ID": i, "Parent": parent, "Description": desc, "InUse": in_use, "Shared": shared}

    ours = "mount / from exec /bin/sh -c python3 -m pip install /wheels/*.whl"
    records = [rec("base", desc="from local"), rec("copy", "base"), rec("run", "copy", ours), rec("leaf", "run"),
               rec("theirs", "base", "mount / from exec /bin/sh -c pip install ."), rec("theirs2", "theirs"),
               rec("their-run", "copy", "mount / from exec /bin/sh -c make"), rec("their-copy", "their-run"),
               rec("busy", "base", ours, in_use="true"), rec("old", "base", ours), rec("img", "base", ours,
                                                                                       shared="true")]

    class Stub:
        pruned: ClassVar[list[str]] = []

        def cache(self) -> list[dict]:
            return records

        def prune(self, ids: list[str]) -> None:
            self.pruned = list(ids)

    stub = Stub()
    _prune_own_cache(stub, {"base", "old"}, tmp_path)  # type: ignore[arg-type]
    assert stub.pruned == ["leaf", "run", "copy"]  # children first; not theirs, busy, shared or older


def test_cli_options() -> None:
    import argparse

    from dockvenv.verify.docker import options_from

    args = argparse.Namespace(base="main", dockerfile="docker/api.Dockerfile", smoke="greeter hello 'ci run'",
                              http="healthz", rebuild=True, keep=False, strip_syntax=True, no_cache=False,
                              timeout=30.0)
    assert options_from(args) == VerifyOptions("main", "docker/api.Dockerfile", ("greeter", "hello", "ci run"),
                                               "/healthz", True, False, True, False, 30.0)


# -- could not run (exit 2) -------------------------------------------------------------------
def fake_docker(tmp_path: Path, body: str) -> Path:
    exe = tmp_path / "bin" / "docker"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)
    return exe


def test_no_buildkit_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    exe = fake_docker(tmp_path, 'case "$1" in buildx) exit 1;; --version) echo "Docker version 28.2.2, build x";; '
                                'esac\n')
    monkeypatch.setenv("DOCKVENV_DOCKER", str(exe))
    with pytest.raises(DockvenvError, match="needs BuildKit.*28 without the buildx plugin"):
        Docker.find()
    assert main(["verify", "--docker", str(VERIFY / "pep668-debian")]) == 2
    assert "needs BuildKit" in capsys.readouterr().err
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")
    with pytest.raises(DockvenvError, match="DOCKER_BUILDKIT=0"):
        Docker.find()


def test_unreachable_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    exe = fake_docker(tmp_path, 'case "$1" in buildx) exit 0;; version) echo "Cannot connect to the Docker daemon '
                                'at unix:///nowhere.sock" >&2; exit 1;; esac\n')
    monkeypatch.setenv("DOCKVENV_DOCKER", str(exe))
    monkeypatch.setenv("DOCKER_HOST", "unix:///nowhere.sock")
    assert main(["verify", "--docker", str(VERIFY / "pep668-debian")]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Docker engine at unix:///nowhere.sock: Cannot connect" in err


def test_old_client_has_builtin_buildkit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = fake_docker(tmp_path, 'case "$1" in buildx) exit 1;; --version) echo "Docker version 20.10.24";; esac\n')
    monkeypatch.setenv("DOCKVENV_DOCKER", str(exe))
    docker = Docker.find()
    assert docker.exe == str(exe) and docker.env["DOCKER_BUILDKIT"] == "1"


# -- on a real engine -------------------------------------------------------------------------
def _engine() -> str | None:
    """Why the engine cannot be used (the tests then skip), or None."""
    if os.environ.get("DV_SKIP_DOCKER"):
        return "DV_SKIP_DOCKER is set"
    try:
        found = Docker.find()
        Docker(found.exe, dict(found.env, DOCKER_HOST=os.environ.get("DOCKER_HOST", SOCKET))).check_engine()
    except DockvenvError as exc:
        return str(exc)
    return None


@pytest.fixture(scope="module")
def engine() -> None:
    why = _engine()
    if why:
        pytest.skip(f"no Docker engine: {why}")
    p = subprocess.run(["bash", str(ROOT / "scripts" / "docker-env"), "images"], capture_output=True, text=True,
                       timeout=900, env=dict(os.environ, DOCKER_HOST=os.environ.get("DOCKER_HOST", SOCKET)), check=False)
    if p.returncode != 0:
        pytest.skip(f"no stand-in base images: {p.stderr.strip()[-300:]}")


def verify(path: Path, *flags: str) -> tuple[int, dict, str]:
    env = dict(os.environ, DOCKER_HOST=os.environ.get("DOCKER_HOST", SOCKET))
    p = subprocess.run([sys.executable, "-m", "dockvenv", "verify", "--docker", "--json", "--strip-syntax",
                        *flags, str(path)], capture_output=True, text=True, timeout=3600, env=env, check=False)
    assert p.stdout, f"no report (exit {p.returncode}):\n{p.stderr[-3000:]}"
    data = json.loads(p.stdout)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(data, schema())
    report = data["projects"][0]
    print(f"\n[{path.name}] exit {p.returncode}")
    for c in report["checks"]:
        print(f"  {c['status']:<4} {c['name']:<15} {c['original']:<24} {c['migrated']:<12} {c['detail']}")
    for label in ("original", "migrated"):
        tag = report["images"][label]["tag"]
        left = subprocess.run(["docker" if not os.environ.get("DOCKVENV_DOCKER") else os.environ["DOCKVENV_DOCKER"],
                               "image", "inspect", tag], capture_output=True, env=env, check=False)
        assert left.returncode != 0 or "--keep" in flags, f"{tag} was left behind"
    return p.returncode, report, p.stderr


def by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def copy(src: Path, tmp_path: Path) -> Path:
    dest = tmp_path / src.name
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


@pytest.mark.docker
def test_pep621_flask(engine: None, tmp_path: Path) -> None:
    """A Flask service: everything passes, the server answers /healthz the same, the rebuild is timed."""
    rc, report, err = verify(copy(APPS / "pep621-flask", tmp_path), "--http", "/healthz", "--rebuild")
    checks = by_name(report)
    assert rc == 0, err[-3000:]
    http = checks["http"]
    assert http["status"] == PASS and "200 in both" in http["detail"] or "already in use" in http["detail"], http
    assert checks["rebuild"]["status"] == INFO
    assert checks["no virtualenv"]["original"] == "/opt/venv/pyvenv.cfg"
    assert checks["no .env files"]["original"] == "/app/.env"
    assert report["images"]["migrated"]["size_bytes"] < report["images"]["original"]["size_bytes"]
    assert "building the original image" in err  # progress on stderr


@pytest.mark.docker
def test_uvlock_cli(engine: None, tmp_path: Path) -> None:
    """uv.lock still lists pytest and mypy; the migration exports it with ``--prune`` for each, so none ships."""
    rc, report, err = verify(copy(APPS / "uvlock-cli", tmp_path))
    checks = by_name(report)
    assert rc == 0, err[-3000:]
    assert report["smoke"]["argv"] == ["reporter", "--help"]
    assert checks["no dev tools"]["original"] == "2 found" and checks["no uv"]["original"] == "3 found"


@pytest.mark.docker
def test_poetry_api(engine: None, tmp_path: Path) -> None:
    """poetry.lock is stale after the move; the builder re-locks it (``poetry check --lock || poetry lock``)."""
    rc, report, err = verify(copy(APPS / "poetry-api", tmp_path))
    assert rc == 0, err[-3000:]
    assert report["smoke"]["argv"] == ["inventory", "--help"]
    assert by_name(report)["no virtualenv"]["original"] == "/app/.venv/pyvenv.cfg"
    assert any("poetry.lock: run 'poetry lock'" in n for n in report["notes"])


@pytest.mark.docker
@pytest.mark.parametrize("app", sorted(p.name for p in PACKAGING.iterdir() if (p / "SMOKE").is_file()))
def test_packaging_apps(engine: None, tmp_path: Path, app: str) -> None:
    """Apps without packaging of their own: the plan generates it, and the images run the app's SMOKE the same."""
    smoke = shlex.join(json.loads((PACKAGING / app / "SMOKE").read_text()))
    web = PACKAGING / app / "WEB"
    http = ["--http", json.loads(web.read_text())["path"]] if web.is_file() else []
    rc, report, err = verify(copy(PACKAGING / app, tmp_path), "--smoke", smoke, *http)
    checks = by_name(report)
    assert rc == 0, err[-3000:]
    assert checks["smoke"]["status"] == PASS and checks["builds"]["status"] == PASS
    if http:
        assert checks["http"]["status"] == PASS, checks["http"]
    assert report["images"]["migrated"]["size_bytes"] < report["images"]["original"]["size_bytes"]


@pytest.mark.docker
def test_broken_stale_uv_lock(engine: None, tmp_path: Path) -> None:
    """A migration that exports the stale uv.lock as it is: the dev tools ship, and uv.lock is named."""
    rc, report, _err = verify(broken(tmp_path, "stale-uv-lock", APPS / "uvlock-cli"))
    checks = by_name(report)
    assert rc == 1 and [c["name"] for c in report["checks"] if c["status"] == FAIL] == ["no dev tools"]
    detail = checks["no dev tools"]["detail"]
    assert detail.startswith("mypy, pytest: uv.lock still lists them as dependencies of reporter")
    assert "run 'uv lock'" in detail


@pytest.mark.docker
def test_pep668_debian_base(engine: None, tmp_path: Path) -> None:
    """Distro Python with the EXTERNALLY-MANAGED marker: the migration installs with --break-system-packages."""
    rc, report, err = verify(copy(VERIFY / "pep668-debian", tmp_path))
    assert rc == 0, err[-3000:]
    assert report["smoke"]["argv"] == ["hello", "--help"]
    assert by_name(report)["no virtualenv"]["original"] == "/opt/venv/pyvenv.cfg"


@pytest.mark.docker
def test_broken_runtime_files_not_copied(engine: None, tmp_path: Path) -> None:
    smoke = " ".join(json.loads((VERIFY / "runtime-files-not-copied" / "SMOKE").read_text()))
    rc, report, _err = verify(broken(tmp_path, "runtime-files-not-copied"), "--smoke", smoke)
    checks = by_name(report)
    assert rc == 1 and checks["smoke"]["status"] == FAIL
    assert "No such file or directory: 'messages.txt'" in checks["smoke"]["detail"]
    assert "messages.txt is in the project but not in the migrated image" in checks["smoke"]["detail"]


@pytest.mark.docker
def test_broken_cmd_missing_module(engine: None, tmp_path: Path) -> None:
    rc, report, _err = verify(broken(tmp_path, "cmd-missing-module"))
    checks = by_name(report)
    assert rc == 1 and [c["name"] for c in report["checks"] if c["status"] == FAIL] == ["smoke"]
    assert "exit 0 -> 1: No module named server" in checks["smoke"]["detail"]
    assert "server.py is in the project tree but the wheel does not carry it" in checks["smoke"]["detail"]
