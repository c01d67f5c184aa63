"""How `check` and `migrate --dry-run` scale with the number of Dockerfiles in one repository.

    python bench/bench_scale.py [--sizes 1,10,100,300] [--reps 3] [--out bench/results/scale.md]
    python bench/bench_scale.py --smoke       # sizes 1,10,20; one rep; prints only

A monorepo of N services is generated in a temporary folder: ``services/sK/`` holds a
multi-stage venv Dockerfile (the shape of fixtures/check/venv-multistage), a PEP 621
pyproject.toml with a dev tool in its runtime dependencies, a uv.lock, and a small
package.  Each command runs over the whole repository (one project, N Dockerfiles) in a
fresh process, and the time ``dockvenv.cli.main`` takes is measured (start-up excluded:
bench/bench_startup.py has it).  Linear scaling means a constant marginal cost per
Dockerfile added; the table gives it between successive sizes.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from checkout import checkout_env  # bench/checkout.py, beside this script
from publish import emit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # this checkout's dockvenv, in the parent and in the children

DOCKERFILE = """\
ARG PY=3.12
FROM python:${PY}-slim AS build
WORKDIR /app
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
COPY pyproject.toml uv.lock ./
RUN pip install --no-cache-dir uv && uv sync --frozen --no-dev
COPY src/ ./src/
RUN pip install --no-cache-dir .

FROM python:${PY}-slim
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" PYTHONUNBUFFERED=1
COPY .env .env
EXPOSE 8000
USER 1000
CMD ["/opt/venv/bin/gunicorn", "-b", "0.0.0.0:8000", "svc{k}.app:app"]
"""
PYPROJECT = """\
[project]
name = "svc{k}"
version = "1.0"
dependencies = [
    "flask>=3.0",
    "gunicorn",
    "pytest>=8",  # tests
]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""


def make_repo(where: Path, n: int) -> Path:
    repo = where / f"repo-{n}"
    for k in range(n):
        svc = repo / "services" / f"s{k}"
        (svc / "src" / f"svc{k}").mkdir(parents=True)
        (svc / "Dockerfile").write_text(DOCKERFILE.replace("{k}", str(k)))
        (svc / "pyproject.toml").write_text(PYPROJECT.replace("{k}", str(k)))
        (svc / "uv.lock").write_text("version = 1\n")
        (svc / ".env").write_text("SECRET=1\n")
        (svc / "src" / f"svc{k}" / "__init__.py").write_text("")
        (svc / "src" / f"svc{k}" / "app.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    return repo


def child(argv: list[str]) -> None:
    """In a fresh process: time one ``main(argv)`` and print the seconds."""
    import contextlib
    import io

    from dockvenv.cli import main

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    print(f"{time.perf_counter() - start:.6f} {code}")


def timed(argv: list[str], reps: int) -> float:
    out = []
    for _ in range(reps):
        done = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True, text=True,
                              check=False, env=checkout_env())
        seconds, code = done.stdout.split()
        if code not in ("0", "1"):
            raise SystemExit(f"dockvenv {' '.join(argv)} exited {code}: {done.stderr}")
        out.append(float(seconds))
    return statistics.median(out)


def report(sizes: list[int], reps: int) -> str:
    lines = [
        "# Scale benchmark",
        "",
        f"`python bench/bench_scale.py --sizes {','.join(map(str, sizes))} --reps {reps}`: one repository of N "
        f"services (N Dockerfiles), each command in a fresh process, median of {reps}; the time is `main()`'s, "
        "start-up excluded.  *Marginal* is the cost of each Dockerfile added since the previous size: linear "
        "scaling keeps it flat (a fixed cost, lazy imports mostly, sits in the first row).",
        "",
        "| Dockerfiles | `check` s | marginal ms per Dockerfile | `migrate --dry-run` s | marginal ms per Dockerfile |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    prev: dict[str, tuple[int, float]] = {}
    marginals: dict[str, list[tuple[int, float]]] = {"check": [], "migrate": []}  # (from size, s per Dockerfile)
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            repo = str(make_repo(Path(tmp), n))
            cells = [str(n)]
            for name, argv in (("check", ["check", repo]), ("migrate", ["migrate", "--dry-run", repo])):
                seconds = timed(argv, reps)
                cell = ""
                if name in prev:
                    m, t = prev[name]
                    marginals[name].append((m, (seconds - t) / (n - m)))
                    cell = f"{marginals[name][-1][1] * 1000:.1f}"
                prev[name] = (n, seconds)
                cells += [f"{seconds:.2f}", cell]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, load average "
                  f"{os.getloadavg()[0]:.1f} at the end.", ""]
    for name, ms in marginals.items():
        # from 10 Dockerfiles on: below that the fixed cost and the noise of one process dominate
        steady = [per for start, per in ms if start >= 10] or [per for _start, per in ms]
        if len(steady) >= 2 and steady[0] > 0:
            growth = steady[-1] / steady[0]
            lines.append(f"`{name}`: the last marginal cost is **{growth:.2f}x** the one from 10 Dockerfiles on "
                         f"({'linear' if growth <= 1.5 else 'NOT linear'}: the bar is 1.5x).")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100,300")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="sizes 1,10,20, one rep; print, write nothing")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.md",
                        help="where to write the Markdown table ('-' for stdout only)")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    sizes = [1, 10, 20] if args.smoke else [int(s) for s in args.sizes.split(",")]
    text = report(sizes, 1 if args.smoke else args.reps)
    return emit(text, args.out, args.smoke)


if __name__ == "__main__":
    raise SystemExit(main())
