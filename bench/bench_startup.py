"""How fast `dockvenv check` starts, against a bare interpreter and hadolint.

    python bench/bench_startup.py [--reps 40] [--out bench/results/startup.md]
    python bench/bench_startup.py --smoke     # three rounds; prints only

Four commands are timed in one run, interleaved (one of each per round, so load on a
shared machine hits all of them alike), and each is summarised by its median:

- ``python -c pass``: the floor any Python CLI pays;
- ``dockvenv --version``: the console script and argument parsing;
- ``dockvenv check fixtures/check/venv-multistage``: read, parse, analyse, report;
- ``hadolint <the same Dockerfile>``: the Haskell linter users compare us with.

The target is ``check`` within 3x of the bare interpreter. Bytecode is compiled first,
as ``pip install`` does for a wheel, so the numbers are those of an installed dockvenv
even where PYTHONDONTWRITEBYTECODE is set.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from publish import emit  # bench/publish.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "fixtures" / "check" / "venv-multistage"
TARGET = 3.0


def _script(name: str) -> str | None:
    """The real executable, not a version-manager shim in front of it (pyenv's are bash scripts)."""
    candidate = Path(sysconfig.get_path("scripts")) / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def commands() -> dict[str, list[str]]:
    dockvenv = _script("dockvenv")
    entry = [dockvenv] if dockvenv else [sys.executable, "-m", "dockvenv"]
    cmds = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "dockvenv --version": [*entry, "--version"],
        "dockvenv check": [*entry, "check", str(PROJECT)],
    }
    hadolint = _script("hadolint")
    if hadolint:
        cmds["hadolint"] = [hadolint, "--no-fail", str(PROJECT / "Dockerfile")]
    return cmds


def _once(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    return elapsed


def measure(reps: int) -> dict[str, list[float]]:
    import dockvenv

    compileall.compile_dir(str(Path(dockvenv.__file__).parent), quiet=1)
    cmds = commands()
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for name, cmd in cmds.items():  # warm the page cache
        _once(cmd)
    for _ in range(reps):
        for name, cmd in cmds.items():
            times[name].append(_once(cmd))
    return times


NOTABLE = ("argparse", "dataclasses", "json", "tomllib", "packaging.utils", "packaging.requirements", "dockvenv.cli",
           "dockvenv.analysis", "dockvenv.project", "dockvenv.deps", "dockvenv.rules", "dockvenv.check")


def import_profile(runs: int = 5) -> dict[str, float]:
    """Cumulative import time (ms, the least of ``runs``) of the modules ``check`` loads, by -X importtime."""
    best: dict[str, float] = {}
    code = "import dockvenv.cli, dockvenv.check, dockvenv.render.report"
    for _ in range(runs):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True,
                             text=True, check=True).stderr
        for line in err.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[2].strip() in NOTABLE:
                name, cumulative = parts[2].strip(), int(parts[1]) / 1000
                best[name] = min(best.get(name, cumulative), cumulative)
    return best


def report(times: dict[str, list[float]], reps: int) -> str:
    med = {name: statistics.median(ts) for name, ts in times.items()}
    base = med["python -c pass"]
    lines = [
        "# Startup benchmark",
        "",
        f"`python bench/bench_startup.py --reps {reps}`: {reps} interleaved rounds, median wall time.",
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end; fixture `{PROJECT.relative_to(ROOT)}`.",
        "",
        "| command | median ms | min ms | x `python -c pass` |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, ts in times.items():
        lines.append(f"| `{name}` | {med[name] * 1000:.1f} | {min(ts) * 1000:.1f} | {med[name] / base:.2f} |")
    ratio = med["dockvenv check"] / base
    lines += ["", f"`dockvenv check` / `python -c pass` = **{ratio:.2f}x** "
                  f"(target <= {TARGET:.0f}x: {'met' if ratio <= TARGET else 'NOT met'})."]
    if "hadolint" in med:
        lines.append(f"`dockvenv check` / `hadolint` = **{med['dockvenv check'] / med['hadolint']:.2f}x**.")
    profile = import_profile()
    lines += ["", "Where the import time goes (`python -X importtime`, cumulative, least of 5 runs; a module's",
              "time includes what it imports first, and importtime itself inflates the numbers):", "",
              "| module | ms |", "| --- | ---: |"]
    lines += [f"| `{name}` | {profile[name]:.1f} |" for name in NOTABLE if name in profile]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--smoke", action="store_true", help="three rounds; print, write nothing")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "startup.md",
                        help="where to write the Markdown table ('-' for stdout only)")
    args = parser.parse_args(argv)
    reps = 3 if args.smoke else args.reps
    text = report(measure(reps), reps)
    return emit(text, args.out, args.smoke)


if __name__ == "__main__":
    raise SystemExit(main())
