"""`check` and `migrate --dry-run` over the whole shared corpus, in one process.

    python bench/bench_corpus.py [--reps 5] [--profile] [--out bench/results/corpus.md]
    python bench/bench_corpus.py --smoke      # one rep over five projects, prints only

Each command runs as users run it, ``dockvenv check P1 P2 ...`` over all 41 projects,
in a fresh process per run (so no cache survives from one run to the next).  Two
figures per run: the wall time of the whole process, start-up included, and the time
``dockvenv.cli.main`` takes inside it (the work, lazy imports included; start-up is
bench/bench_startup.py's business).  Target: under 2 s for the 41 projects.
``--profile`` adds the functions that dominate (cProfile, by own time).  Nothing is
written into the corpus.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

from checkout import checkout_env  # bench/checkout.py, beside this script
from publish import emit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # this checkout's dockvenv, in the parent and in the children

CORPUS = ROOT.parent / "shared" / "corpus"
TARGET_S = 2.0


def projects(limit: int | None = None) -> list[str]:
    found = sorted(str(p) for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
    return found[:limit] if limit else found


def run_cli(argv: list[str]) -> int:
    from dockvenv.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


def child(argv: list[str]) -> None:
    """In a fresh process: time one ``main(argv)`` and print the seconds."""
    import dockvenv.cli  # noqa: F401 - start-up, not work

    start = time.perf_counter()
    code = run_cli(argv)
    print(f"{time.perf_counter() - start:.6f} {code}")


def timed(argv: list[str], reps: int) -> tuple[list[float], list[float]]:
    """(seconds in ``main()``, seconds of the whole ``python -m dockvenv`` process), ``reps`` fresh processes each."""
    inner, outer = [], []
    for _ in range(reps):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dockvenv", *argv], capture_output=True, check=False,
                       env=checkout_env())
        outer.append(time.perf_counter() - start)
        done = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True, text=True,
                              check=False, env=checkout_env())
        seconds, code = done.stdout.split()
        if code not in ("0", "1"):
            raise SystemExit(f"dockvenv {' '.join(argv[:2])} ... exited {code}: {done.stderr}")
        inner.append(float(seconds))
    return inner, outer


def profile(argv: list[str], top: int = 12) -> list[tuple[str, float, float, int]]:
    """(function, own s, cumulative s, calls) of the functions with the most own time."""
    prof = cProfile.Profile()
    prof.enable()
    run_cli(argv)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    rows = []
    for (file, line, name), (_cc, calls, own, cum, _callers) in stats.items():
        where = file.split("/src/")[-1] if "/src/dockvenv/" in file else Path(file).name
        rows.append((f"{where}:{line}({name})", own, cum, calls))
    return sorted(rows, key=lambda r: -r[1])[:top]


def count_dockerfiles(paths: list[str]) -> int:
    from dockvenv.project import read_project

    return sum(len(read_project(p).dockerfiles) for p in paths)


def report(paths: list[str], reps: int, with_profile: bool) -> str:
    commands = {"check": ["check", *paths], "migrate --dry-run": ["migrate", "--dry-run", *paths]}
    times = {name: timed(argv, reps) for name, argv in commands.items()}
    n = len(paths)
    lines = [
        "# Corpus benchmark",
        "",
        f"`python bench/bench_corpus.py --reps {reps}{' --profile' if with_profile else ''}`: each command over the {n} corpus projects "
        f"({count_dockerfiles(paths)} Dockerfiles) in one process; {reps} fresh processes each, median.",
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end.",
        "",
        "| command | whole process, s | of which `main()`, s | ms per project (`main()`) | target < 2 s |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, (inner, outer) in times.items():
        med = statistics.median(outer)
        lines.append(f"| `dockvenv {name}` | {med:.2f} | {statistics.median(inner):.2f} | "
                     f"{statistics.median(inner) / n * 1000:.1f} | {'met' if med < TARGET_S else 'NOT met'} |")
    if with_profile:
        for name, argv in commands.items():
            lines += ["", f"Where `{name}` spends its time (cProfile, one run, top functions by own time):", "",
                      "| function | own s | cumulative s | calls |", "| --- | ---: | ---: | ---: |"]
            lines += [f"| `{f}` | {own:.3f} | {cum:.3f} | {calls} |" for f, own, cum, calls in profile(argv)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="add the cProfile tables")
    parser.add_argument("--smoke", action="store_true", help="one rep over five projects; print, write nothing")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "corpus.md",
                        help="where to write the Markdown table ('-' for stdout only)")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    paths = projects(5 if args.smoke else None)
    if not paths:
        print(f"the shared corpus is not at {CORPUS}; nothing to measure")
        return 0
    text = report(paths, 1 if args.smoke else args.reps, args.profile and not args.smoke)
    return emit(text, args.out, args.smoke)


if __name__ == "__main__":
    raise SystemExit(main())
