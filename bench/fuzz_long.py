"""The long fuzz run: every property of tests/test_fuzz_*.py with 10,000 examples each.

    python bench/fuzz_long.py [--examples 10000] [--jobs 2] [--out bench/results/fuzz.md]
    python bench/fuzz_long.py --smoke         # 20 examples a property; prints only

The normal suite runs the same properties with ~60 derandomized examples
(``DOCKVENV_FUZZ_EXAMPLES``, default 60); here the examples are random, so each run
explores new inputs.  Each test file runs in its own pytest process (``--jobs`` at a
time) with ``--hypothesis-show-statistics``; the table gives, per property, the examples
that passed, failed and were rejected, the time, and how often a known gap (a strict
xfail in tests/test_fuzz_regressions.py) was met and let through.  A failure prints
hypothesis's falsifying example and makes the exit code 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from checkout import checkout_env  # the script beside this one

ROOT = Path(__file__).resolve().parents[1]

FILES = ("tests/test_fuzz_dockerfile.py", "tests/test_fuzz_migrate.py", "tests/test_fuzz_cli.py")


def run_file(path: str, examples: int) -> tuple[str, int, str, float]:
    env = {**checkout_env(), "DOCKVENV_FUZZ_EXAMPLES": str(examples)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header",
                           "--hypothesis-show-statistics", path], cwd=ROOT, env=env, capture_output=True, text=True)
    return path, done.returncode, done.stdout + done.stderr, time.perf_counter() - start


def statistics(output: str) -> list[dict[str, str]]:
    """Per property: name, passing, failing, invalid, seconds, events (from hypothesis's statistics)."""
    rows = []
    for block in re.split(r"\n(?=\S+\.py::\S+:\n)", output):
        head = re.match(r"(\S+\.py)::(\S+):\n", block)
        counts = re.search(r"(\d+) passing examples?, (\d+) failing examples?, (\d+) invalid examples?", block)
        if not head or not counts:
            continue
        seconds = sum(float(s) for s in re.findall(r"during \w+ phase \(([\d.]+) seconds\)", block))
        events = re.findall(r"\*\s+([\d.<>]+%), (known gap: [^\n]+)", block)
        rows.append({"test": f"{Path(head.group(1)).stem}::{head.group(2)}", "passing": counts.group(1),
                     "failing": counts.group(2), "invalid": counts.group(3), "seconds": f"{seconds:.0f}",
                     "events": "; ".join(f"{e} ({p})" for p, e in events)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="20 examples a property; print, write nothing")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz.md")
    args = parser.parse_args(argv)
    examples = 20 if args.smoke else args.examples
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda f: run_file(f, examples), FILES))
    wall = time.perf_counter() - start
    failed = [(path, out) for path, code, out, _s in results if code != 0]
    rows = [row for _p, _c, out, _s in results for row in statistics(out)]
    lines = [
        "# Long fuzz run",
        "",
        f"`python bench/fuzz_long.py --examples {examples} --jobs {args.jobs}`: {examples} random examples per "
        f"property, {wall / 60:.1f} min wall time; Python {platform.python_version()}, {os.cpu_count()} CPUs.",
        "",
        "| property | passing | failing | invalid | s | known gaps met (let through; see tests/test_fuzz_regressions.py) |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    lines += [f"| `{r['test']}` | {r['passing']} | {r['failing']} | {r['invalid']} | {r['seconds']} | "
              f"{r['events'] or 'none'} |" for r in rows]
    lines += ["", "Result: " + ("**all properties passed**." if not failed else
                                 f"**{len(failed)} file(s) failed**: {', '.join(p for p, _o in failed)}.")]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    for path, out in failed:
        sys.stdout.write(f"\n--- {path}\n{out[-6000:]}\n")
    if not args.smoke:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
