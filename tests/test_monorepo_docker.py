"""Two monorepo fixtures on a real engine: built from their resolved context, before and after.

For fixtures/monorepo/compose-context (context services/api, Dockerfile docker/Dockerfile,
compose builds ``--target runtime`` and ``--target test``) and fixtures/monorepo/multi-package
(context the root; services/web and services/worker each install libs/core first):
the original is built and run, a copy is migrated with the real ``dockvenv migrate --yes``,
and the migrated Dockerfile is built from the same context with the same ``--target`` and
run.  Its first line of output must be the original's, it must run in the image's own
Python (no venv, no pyvenv.cfg), and the stage compose builds with ``--target test`` must
still build.

Needs the engine of ``scripts/docker-env`` (``eval "$(scripts/docker-env start)"``) and
Debian's ``/usr/bin/docker``; skipped otherwise.  Images are tagged ``dv-mono-<case>-...``
and removed at the end; only ours.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import e2e
from tests.test_monorepo_pairs import FIXTURES, UV


def _unavailable() -> str | None:
    try:
        e2e.check_engine()
    except e2e.DockerUnavailable as exc:
        return str(exc)
    return None


_WHY = _unavailable()
pytestmark = [pytest.mark.docker, pytest.mark.skipif(_WHY is not None, reason=f"no Docker engine: {_WHY}")]
RUN_ID = uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Image:
    case: str
    dockerfile: str  # relative to the repository
    context: str  # relative to the repository; "" is the root
    target: str | None  # what compose/CI build with --target
    says: str  # the first line the default command prints

    @property
    def id(self) -> str:
        return f"{self.case}:{self.dockerfile}"

    def tag(self, variant: str) -> str:
        name = self.dockerfile.replace("/", "-").lower()
        return f"dv-mono-{self.case}:{name}-{variant}-{RUN_ID}"


IMAGES = [
    Image("compose-context", "services/api/docker/Dockerfile", "services/api", "runtime", "api-svc ok"),
    Image("multi-package", "services/web/Dockerfile", "", None, "hello from mono-core, web"),
    Image("multi-package", "services/worker/Dockerfile", "", None, "hello from mono-core, worker"),
]


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """Per case: (original copy, migrated copy); the images made are removed at the end."""
    e2e.ensure_base_images()
    made: dict[str, tuple[Path, Path]] = {}
    tags: list[str] = []

    def get(case: str) -> tuple[Path, Path]:
        if case not in made:
            root = tmp_path_factory.mktemp(f"mono-{case}")
            orig, new = root / "before", root / "after"
            shutil.copytree(FIXTURES / case / "before", orig)
            shutil.copytree(FIXTURES / case / "before", new)
            p = subprocess.run([*e2e.dockvenv_cmd(), "migrate", "--yes", "--uv-version", UV, str(new)],
                               capture_output=True, text=True, timeout=120, check=False)
            assert p.returncode == 0, p.stdout + p.stderr
            made[case] = (orig, new)
        return made[case]

    get.tags = tags  # type: ignore[attr-defined]
    yield get
    e2e.remove_images(*tags)
    e2e.prune_if_short_of_disk()


def _build(root: Path, image: Image, tag: str, tags: list[str], target: str | None) -> None:
    args = ["bash", str(e2e.DOCKER_BUILD), str(root / image.context), str(root / image.dockerfile), tag,
            "--progress=plain"]
    if target:
        args += ["--target", target]
    tags.append(tag)
    t0 = time.perf_counter()
    p = subprocess.run(args, env=e2e.docker_env(), capture_output=True, text=True, timeout=e2e.BUILD_TIMEOUT,
                       check=False)
    if p.returncode != 0:
        log = (p.stdout + p.stderr).splitlines()
        pytest.fail(f"{tag} did not build ({time.perf_counter() - t0:.0f}s):\n"
                    f"--- {image.dockerfile}\n{(root / image.dockerfile).read_text()}\n--- log (tail)\n"
                    + "\n".join(log[-40:]))


def _run(tag: str) -> list[str]:
    p = e2e.docker("run", "--rm", "--network", "none", tag)
    assert p.returncode == 0, f"{tag} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
    return p.stdout.splitlines()


@pytest.mark.parametrize("image", IMAGES, ids=[i.id for i in IMAGES])
def test_migrated_image_builds_from_its_context_and_runs_the_same(trees, image: Image) -> None:
    orig, new = trees(image.case)
    migrated = (new / image.dockerfile).read_text()
    assert "--mount=from=dockvenv-builder" in migrated, migrated
    _build(orig, image, image.tag("before"), trees.tags, image.target)
    _build(new, image, image.tag("after"), trees.tags, image.target)
    before, after = _run(image.tag("before")), _run(image.tag("after"))
    print(f"\n[{image.id}] before: {before}\n[{image.id}] after:  {after}")
    assert before[:1] == after[:1] == [image.says]
    probe = e2e.docker("run", "--rm", "--network", "none", "--entrypoint", "sh", image.tag("after"), "-c",
                       "find / -xdev -name pyvenv.cfg 2>/dev/null; python3 -c 'import sys; print(sys.prefix)'")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == [probe.stdout.split()[-1]], f"a venv is left in the image:\n{probe.stdout}"
    assert "venv" not in probe.stdout


def test_stage_built_with_target_test_still_builds(trees) -> None:
    """compose's api-tests service builds --target test: that stage survives and its tests pass."""
    image = IMAGES[0]
    _orig, new = trees(image.case)
    _build(new, image, image.tag("after-test"), trees.tags, "test")
