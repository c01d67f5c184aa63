"""Time the runtime-import scan of a generated 5,000-line package.

    python bench/bench_import_scan.py [--lines 5000] [--repeat 20]

Prints the best time of the scan (read_project excluded: the scan works on text in
memory), a bare interpreter's start-up (``python -c pass``) for scale, and the ratio.
The budget is "well under 100 ms".
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dockvenv.deps.imports import is_runtime_source, scan  # noqa: E402
from dockvenv.project import read_project  # noqa: E402

# What analysis asks about when pytest, mypy, ruff, faker and python-dotenv are declared.
DEV_MODULES = frozenset({"pytest", "_pytest", "mypy", "ruff", "faker", "dotenv"})
MODULE = '''"""Generated module {n}."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import requests
from sqlalchemy import select

if TYPE_CHECKING:
    from mypy_extensions import TypedDict

try:
    import ujson
except ImportError:
    ujson = None


@dataclass
class Thing{n}:
    name: str
    size: int = 0

    def load(self, path: str) -> dict:
        import yaml

        with open(path) as f:
            return yaml.safe_load(f) or {{}}

'''
FUNC = '''
def work_{n}_{k}(x: int, y: int = 2) -> int:
    """Do some arithmetic."""
    total = 0
    for i in range(x):
        if i % y == 0:
            total += i * {k}
        else:
            total -= json.loads("1")
    return total + len(os.sep) + len(select.__name__)
'''


def make_package(root: Path, lines: int) -> int:
    pkg = root / "src" / "benchpkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Bench package."""\n')
    total, n = 1, 0
    while total < lines:
        text = MODULE.format(n=n) + "".join(FUNC.format(n=n, k=k) for k in range(20))
        (pkg / f"mod{n}.py").write_text(text)
        total += text.count("\n")
        n += 1
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        total = make_package(Path(tmp), args.lines)
        project = read_project(tmp)
        sources = [(p, project.files[p].text) for p in project.python_files if is_runtime_source(p)]
        best = targeted = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = scan(sources)
            best = min(best, time.perf_counter() - t0)
            t0 = time.perf_counter()
            scan(sources, only=DEV_MODULES)
            targeted = min(targeted, time.perf_counter() - t0)
    bare = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare = min(bare, time.perf_counter() - t0)
    print(f"scanned {len(sources)} files, {total} lines, {sum(map(len, result.imports.values()))} imports")
    print(f"import scan, every import: {best * 1000:.1f} ms (best of {args.repeat})")
    print(f"import scan as analysis runs it (files naming a declared dev tool): {targeted * 1000:.1f} ms")
    print(f"python -c pass: {bare * 1000:.1f} ms")
    print(
        f"ratio: {best / bare:.2f}x (every import), {targeted / bare:.2f}x (as analysis runs it) a bare start"
    )
    return 0 if best < 0.1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
