"""docs/performance.md quotes the recorded benchmark runs and names commands that exist."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
sys.path.insert(0, str(ROOT / "bench"))

from publish import body, markers  # noqa: E402 - bench/publish.py


@pytest.mark.parametrize("name", ["startup", "corpus", "scale", "ab"])
def test_each_table_is_the_recorded_run(name: str) -> None:
    begin, end = markers(name)
    doc = DOC.read_text(encoding="utf-8")
    assert begin in doc and end in doc, f"docs/performance.md has no {begin} ... {end} block"
    quoted = doc.split(begin, 1)[1].split(end, 1)[0].strip()
    recorded = body((ROOT / "bench" / "results" / f"{name}.md").read_text(encoding="utf-8")).strip()
    assert quoted == recorded, f"docs/performance.md quotes an older bench/results/{name}.md: re-run its command"


def commands() -> list[list[str]]:
    """Every ``python bench/X.py ...`` and ``bench/smoke`` the doc quotes in backticks."""
    found = re.findall(r"`(python bench/[\w-]+\.py(?: [^`]*)?|bench/smoke)`", DOC.read_text(encoding="utf-8"))
    return [shlex.split(c) for c in dict.fromkeys(found)]


def test_the_doc_names_commands() -> None:
    scripts = {c[1] if c[0] == "python" else c[0] for c in commands()}
    assert {"bench/bench_startup.py", "bench/bench_corpus.py", "bench/bench_scale.py", "bench/smoke"} <= scripts


@pytest.mark.parametrize("argv", commands(), ids=" ".join)
def test_each_command_exists_with_its_options(argv: list[str]) -> None:
    script = ROOT / (argv[1] if argv[0] == "python" else argv[0])
    assert script.is_file(), f"{script.relative_to(ROOT)} does not exist"
    if argv[0] != "python":
        assert os.access(script, os.X_OK), f"{script.relative_to(ROOT)} is not executable"
        return
    usage = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, check=True,
                           timeout=60).stdout
    for word in argv[2:]:
        if word.startswith("--"):
            assert word.split("=", 1)[0] in usage, f"{' '.join(argv)}: {script.name} has no {word}"
