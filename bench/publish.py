"""Write a benchmark's Markdown report to bench/results/ and into docs/performance.md.

docs/performance.md quotes each report between ``<!-- NAME: begin -->`` and
``<!-- NAME: end -->`` (NAME is the results file's stem), so the figures there are
always those of the last recorded run; tests/test_bench_docs.py checks that they agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}: begin (bench/results/{name}.md) -->", f"<!-- {name}: end -->"


def body(report: str) -> str:
    """The report without its ``# Title`` line: the doc has its own headings."""
    lines = report.splitlines(keepends=True)
    return "".join(lines[1:]).lstrip("\n") if lines and lines[0].startswith("# ") else report


def publish(report: str, out: Path) -> None:
    """``report`` to ``out``; when ``out`` is the recorded result, into the doc's block as well."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    if out.resolve().parent != RESULTS or not DOC.exists():
        return
    begin, end = markers(out.stem)
    doc = DOC.read_text(encoding="utf-8")
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        DOC.write_text(f"{head}{begin}\n\n{body(report)}\n{end}{rest.split(end, 1)[1]}", encoding="utf-8")
        print(f"wrote {out.relative_to(ROOT)} and its block in {DOC.relative_to(ROOT)}")


def emit(report: str, out: Path, smoke: bool = False) -> int:
    """Print ``report``; record it (``publish``) unless this is a smoke run or ``--out -``."""
    sys.stdout.write(report)
    if str(out) != "-" and not smoke:
        publish(report, out)
    return 0
