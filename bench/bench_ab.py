"""Before and after: `check` and `migrate --dry-run` of another commit and of this checkout, in one run.

    python bench/bench_ab.py --base REV [--reps 5] [--sizes 100,300] [--out bench/results/ab.md]
    python bench/bench_ab.py --base REV --smoke     # one rep, five corpus projects, size 10; prints only

``REV``'s source is exported (``git archive``) to a temporary folder.  Each case (the
corpus of bench_corpus.py, the generated repositories of bench_scale.py) runs the two
versions alternately, each in a fresh process, and the time ``dockvenv.cli.main`` takes
is compared: alternating puts the load of a shared machine on both alike, so the ratio
holds where the seconds do not.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench_corpus import projects  # the scripts beside this one
from bench_scale import make_repo
from publish import emit

ROOT = Path(__file__).resolve().parents[1]


def child(src: str, argv: list[str]) -> None:
    """In a fresh process: time one ``main(argv)`` of the dockvenv in ``src``."""
    sys.path.insert(0, src)
    from dockvenv.cli import main

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(argv)
    print(f"{time.perf_counter() - start:.6f}")


def once(src: Path, argv: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, __file__, "--child", str(src), *argv], capture_output=True, text=True,
                          env=env, check=False)
    if done.returncode:
        raise SystemExit(f"{src}: dockvenv {' '.join(argv[:2])} ... crashed: {done.stderr[-2000:]}")
    return float(done.stdout.split()[-1])


def export(rev: str, where: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    return where / "src"


def report(base: str, reps: int, corpus: list[str], sizes: list[int]) -> str:
    label = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", base], capture_output=True, text=True,
                           check=True).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        before, after = export(base, Path(tmp) / "base"), ROOT / "src"
        cases = [(f"corpus ({len(corpus)} projects)", corpus)] if corpus else []
        cases += [(f"{n} Dockerfiles", [str(make_repo(Path(tmp), n))]) for n in sizes]
        for name, paths in cases:
            for command in (["check"], ["migrate", "--dry-run"]):
                a, b = [], []
                for _ in range(reps):
                    a.append(once(before, [*command, *paths]))
                    b.append(once(after, [*command, *paths]))
                ma, mb = statistics.median(a), statistics.median(b)
                rows.append(f"| {name} | `{' '.join(command)}` | {ma:.2f} | {mb:.2f} | {mb / ma:.2f} |")
    return "\n".join([
        "# Before and after",
        "",
        f"`python bench/bench_ab.py --base {base} --reps {reps} --sizes {','.join(map(str, sizes))}`: "
        f"{label} against this checkout, alternating, median of {reps} fresh processes each; the time is "
        "`main()`'s, start-up excluded.",
        "",
        f"| case | command | {label}, s | this checkout, s | ratio |",
        "| --- | --- | ---: | ---: | ---: |",
        *rows,
        "",
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end.",
    ]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="the commit to compare this checkout with")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--sizes", default="100,300", help="generated repositories of N Dockerfiles")
    parser.add_argument("--smoke", action="store_true", help="one rep, five corpus projects, size 10; print only")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ab.md",
                        help="where to write the Markdown table ('-' for stdout only)")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1:])
        return 0
    if not args.base:
        parser.error("--base REV is required")
    if args.smoke:
        text = report(args.base, 1, projects(5), [10])
    else:
        text = report(args.base, args.reps, projects(), [int(s) for s in args.sizes.split(",")])
    return emit(text, args.out, args.smoke)


if __name__ == "__main__":
    raise SystemExit(main())
