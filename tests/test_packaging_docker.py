"""On a real engine: each app of fixtures/packaging, before and after ``dockvenv migrate --yes``.

The apps have no packaging of their own (or only a setup.py); the migration generates it,
runs their scripts as modules from the wheel and copies the files they read from the working
directory.  Both images must build, the SMOKE argv must print the same in both, and a web app
(a ``WEB`` file: ``{"path": "/", "env": ["PORT"]}``) started with its own CMD on a free port
(``--network host``, the port passed in the named variables) must answer GET PATH with the same
status and body.  Helpers come from tests/e2e.py; skipped without the engine of
``scripts/docker-env`` (``eval "$(scripts/docker-env start)"``).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import e2e
from tests.packaging_support import FIXTURES, app_names, smoke_argv


def _unavailable() -> str | None:
    try:
        e2e.check_engine()
    except e2e.DockerUnavailable as exc:
        return str(exc)
    return None


_WHY = _unavailable()
pytestmark = [pytest.mark.docker, pytest.mark.skipif(_WHY is not None, reason=f"no Docker engine: {_WHY}")]
APPS = app_names()
WEB_APPS = [a for a in APPS if (FIXTURES / a / "WEB").is_file()]
TAG = "dv-pk-{app}:{variant}"


class AppImages:
    """Original and migrated copy of one app, each built once."""

    def __init__(self, app: str, work: Path) -> None:
        self.app = app
        self.orig, self.migrated = work / "orig", work / "migrated"
        for d in (self.orig, self.migrated):
            shutil.copytree(FIXTURES / app, d, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        self.builds: dict[str, e2e.Build] = {}
        self.migration: subprocess.CompletedProcess[str] | None = None

    def tag(self, variant: str) -> str:
        return TAG.format(app=self.app, variant=variant)

    def migrate(self) -> subprocess.CompletedProcess[str]:
        if self.migration is None:
            self.migration = subprocess.run([*e2e.dockvenv_cmd(), "migrate", "--yes", str(self.migrated)],
                                            check=False, capture_output=True, text=True, timeout=300)
        return self.migration

    def built(self, variant: str) -> e2e.Build:
        if variant not in self.builds:
            tree = self.orig if variant == "before" else self.migrated
            if variant == "after":
                m = self.migrate()
                assert m.returncode == 0, f"dockvenv migrate --yes failed:\n{m.stdout}\n{m.stderr}"
            self.builds[variant] = e2e.build(tree, self.tag(variant))
        b = self.builds[variant]
        if not b.ok:
            tree = self.orig if variant == "before" else self.migrated
            pytest.fail(f"{variant} image of {self.app} did not build.\n--- Dockerfile\n"
                        f"{(tree / 'Dockerfile').read_text()}\n--- build log (tail)\n{b.tail()}")
        return b


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory):
    e2e.ensure_base_images()
    made: dict[str, AppImages] = {}

    def get(app: str) -> AppImages:
        if app not in made:
            made[app] = AppImages(app, tmp_path_factory.mktemp(f"pk-docker-{app}"))
        return made[app]

    yield get
    e2e.remove_images(*[i.tag(v) for i in made.values() for v in ("before", "after")])
    e2e.prune_if_short_of_disk()


@pytest.mark.parametrize("app", APPS)
def test_migration_packages_the_app(images, app: str) -> None:
    r = images(app)
    m = r.migrate()
    assert m.returncode == 0, m.stderr
    text = (r.migrated / "Dockerfile").read_text()
    assert "--mount=from=dockvenv-builder" in text, (
        "the migrated Dockerfile does not install a wheel: is plan_packaging wired into plan.py "
        f"(docs/packaging.md)?\n{text}\n{m.stderr}")
    assert (r.migrated / "pyproject.toml").is_file()


@pytest.mark.parametrize("app", APPS)
def test_smoke_output_identical(images, app: str) -> None:
    r = images(app)
    r.built("before")
    r.built("after")
    argv = smoke_argv(app)
    before, _ = e2e.smoke_and_probe(r.tag("before"), argv, [])
    after, probe = e2e.smoke_and_probe(r.tag("after"), argv, [])
    assert before.returncode == 0 and before.stdout.strip(), f"the original fails its own smoke:\n{before.stderr}"
    assert (after.returncode, after.stdout) == (before.returncode, before.stdout), (
        f"before:\n{before.stdout}{before.stderr}\nafter ({after.returncode}):\n{after.stdout}{after.stderr}")
    assert probe["pyvenv"] == [], probe.raw


@pytest.mark.parametrize("app", WEB_APPS)
def test_web_answer_identical(images, app: str) -> None:
    r = images(app)
    r.built("before")
    r.built("after")
    web = json.loads((FIXTURES / app / "WEB").read_text())
    before = _serve(r.tag("before"), web)
    after = _serve(r.tag("after"), web)
    assert before[0] == 200, f"the original answers {before}"
    assert after == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tag: str, web: dict, wait: float = 90.0) -> tuple[int, str]:
    """Start the image's own CMD on a free port; GET the path; the status and body."""
    port = _free_port()
    env = [a for name in web.get("env", ["PORT"]) for a in ("-e", f"{name}={port}")]
    cid = e2e.docker("run", "-d", "--network", "host", *env, tag, check=True).stdout.strip()
    try:
        deadline = time.monotonic() + wait
        url = f"http://127.0.0.1:{port}{web.get('path', '/')}"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read().decode()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    logs = e2e.docker("logs", cid)
                    pytest.fail(f"{tag} did not answer {url} in {wait:.0f} s:\n{logs.stdout}{logs.stderr[-3000:]}")
                if e2e.docker("inspect", "-f", "{{.State.Running}}", cid).stdout.strip() != "true":
                    logs = e2e.docker("logs", cid)
                    pytest.fail(f"{tag} exited:\n{logs.stdout}{logs.stderr[-3000:]}")
                time.sleep(1)
    finally:
        e2e.docker("rm", "-f", cid)
