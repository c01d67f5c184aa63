"""Shared test helpers: where ../shared lives, and a skip when it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
CASES = SHARED / "cases" / "dockerfile-syntax"
FIXTURES = ROOT / "fixtures"


def corpus_projects() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_dir())


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
needs_cases = pytest.mark.skipif(not CASES.is_dir(), reason=f"the shared syntax cases are not at {CASES}")


# Known gaps, each a real failure of dockvenv (not of the test), tracked in the open
# issues; strict, so a fix shows up as an unexpected pass to remove here.
KNOWN_GAPS = {
    "tests/test_migrate_corpus.py::test_migrating_again_changes_nothing[ahmetoner__whisper-asr-webservice]":
        "a second run still drops the poetry install of a stage it kept",
    "tests/test_migrate_corpus.py::test_everything_but_the_noise_is_preserved[ArchiveBox__ArchiveBox]":
        "--break-system-packages added to an apt RUN the preservation check does not explain",
    "tests/test_migrate_corpus.py::test_installs_are_not_lost[prowler-cloud__prowler]":
        "api/Dockerfile: the uv sync install goes but no wheel install replaces it",
    "tests/test_migrate_corpus.py::test_rewritten_commands_are_valid_shell[ArchiveBox__ArchiveBox]":
        "a subshell '( ... )' command loses its closing parenthesis",
    "tests/test_migrate_corpus.py::test_hadolint_finds_no_new_errors[ArchiveBox__ArchiveBox]":
        "same subshell damage as above (SC1089)",
    "tests/test_migrate_pairs.py::test_migrates_to_expected[poetry-in-project]": "poetry in-project venv case",
    "tests/test_migrate_pairs.py::test_migrates_to_expected[uv-venv]": "uv venv case",
    "tests/test_migrate_pairs.py::test_own_output_is_idempotent[poetry-in-project]": "poetry in-project venv case",
    "tests/test_migrate_pairs.py::test_own_output_is_idempotent[uv-venv]": "uv venv case",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        reason = KNOWN_GAPS.get(item.nodeid)
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
