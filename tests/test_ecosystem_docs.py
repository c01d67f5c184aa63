"""The user-facing docs match the tool: transcripts re-run, examples re-migrated, links resolve,
numbers quoted from the measurements.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockvenv.cli import main
from tests.conftest import FIXTURES, SHARED

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OURS = ("user-guide.md", "how-it-decides.md", "json-schemas.md", "recipes.md")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="the interactive transcript needs tmux")
def test_transcripts_are_what_the_tool_prints_today() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make-transcripts"), "--check"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, ("docs/user-guide.md is stale; run scripts/make-transcripts\n"
                                  + done.stdout[-6000:] + done.stderr[-3000:])


def test_every_transcript_block_is_filled() -> None:
    text = (DOCS / "user-guide.md").read_text()
    names = re.findall(r"<!-- transcript:([\w-]+) -->", text)
    assert names == ["interactive", "check", "dry-run", "ci-formats", "bulk"]
    for name in names:
        body = text.split(f"<!-- transcript:{name} -->\n", 1)[1].split(f"<!-- /transcript:{name} -->", 1)[0]
        assert re.match(r"(`{3,})console\n\$ dockvenv ", body) or body.startswith("```console\n$ cat "), name
        assert "dv-transcript-" not in body, name  # nothing of the scratch folder leaks


@pytest.mark.parametrize("page", OURS)
def test_relative_links_resolve(page: str) -> None:
    text = (DOCS / page).read_text()
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (DOCS / target).exists(), f"{page}: broken link {target}"


@pytest.mark.parametrize("page", OURS)
def test_anchors_into_our_pages_exist(page: str) -> None:
    from dockvenv.docs import _anchor

    text = (DOCS / page).read_text()
    for target, anchor in re.findall(r"\]\(([\w.-]*\.md|)#([^)]+)\)", text):
        headings = (DOCS / (target or page)).read_text()
        anchors = {_anchor(h) for h in re.findall(r"^#+ (.+)$", headings, re.M)}
        assert anchor in anchors, f"{page}: no #{anchor} in {target or page}"


def test_the_annotated_dockerfile_is_a_real_migration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (DOCS / "how-it-decides.md").read_text()
    shown = re.search(r"```dockerfile\n(.*?)```", text, re.S).group(1)
    app = shutil.copytree(FIXTURES / "apps" / "uvlock-cli", tmp_path / "uvlock-cli")
    assert main(["migrate", "--yes", "--force", str(app)]) == 0
    assert (app / "Dockerfile").read_text() == shown


def test_the_cost_table_quotes_the_measurements() -> None:
    images = SHARED / "docs" / "IMAGES.md"
    if not images.exists():
        pytest.skip(f"{images} is not here")
    measured = {m.group(1): m.group(2) for m in
                re.finditer(r"^\| ([AB]\d+b?) .*?\| ([\d.]+ MB \| [\d.]+ s \| [\d.]+ MB) \|$", images.read_text(), re.M)}
    ours = {m.group(1): m.group(2) for m in
            re.finditer(r"^\| \*{0,2}([AB]\d+b?) .*?\| ([\d.]+ MB \| [\d.]+ s \| [\d.]+ MB) \|$",
                        (DOCS / "how-it-decides.md").read_text(), re.M)}
    assert len(measured) == 9 and ours == measured


def test_user_guide_shows_every_output_format_and_ci() -> None:
    text = (DOCS / "user-guide.md").read_text()
    for needle in ("--format github", "`sarif`", "`gitlab`", "`json`", "action.yml", "ci/gitlab-ci.yml",
                   "id: dockvenv-check", "id: dockvenv-migrate", "pipx install dockvenv", "uvx dockvenv",
                   "python -m dockvenv", "dockvenv completion bash", "dockvenv completion zsh",
                   "dockvenv completion fish"):
        assert needle in text, needle


def test_the_example_app_numbers_are_those_of_the_bench_run() -> None:
    results = ROOT / "bench" / "results" / "e2e-images.md"
    if not results.exists():
        pytest.skip(f"{results} is not here")
    bench = results.read_text()
    section = (DOCS / "how-it-decides.md").read_text().split("### The example apps, before and after", 1)[1]
    section = section.split("dockvenv's own image", 1)[0]
    quoted = re.findall(r"\d+\.\d+ (?:MB|s)", section)
    assert len(quoted) >= 8
    stale = [q for q in quoted if q not in bench]
    assert not stale, f"docs/how-it-decides.md quotes numbers the bench run no longer has: {stale}"
