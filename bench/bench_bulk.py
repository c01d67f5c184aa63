"""Throughput of ``dockvenv bulk`` over many local repositories, and where its time goes.

    python bench/bench_bulk.py [--repos 200] [--concurrency 1,4,8] [--api-latency 0,0.1]
                               [--out bench/results/bulk.md]

Each repository is a bare ``file://`` remote holding one fixture project (the apps,
every ``fixtures/migrate/*/before`` and ``*-clean`` twin, cycled); the forge API is
``tests/forge_server.py`` on 127.0.0.1, optionally answering every request after
``--api-latency`` seconds, to stand in for a real forge's round trip.  For each
concurrency level and latency the run starts from scratch (fresh remotes, a fresh
workspace, no PRs), the very ``runner.run`` the CLI calls does a full first run, and
then a second, idempotent run over the same workspace (the fetch path; no new PR).

Per-repository step times come from the JSON report: ``clone`` (ls-remote, init or
fetch, checkout), ``plan`` (read, plan, write, re-check), ``commit``, ``push``,
``api`` (forge calls).  They are thread-seconds: at concurrency N they add up to
about N times the wall time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dockvenv.bulk.runner import run  # noqa: E402
from dockvenv.cli import _parser, load_project  # noqa: E402
from tests.forge_server import ForgeServer, make_remote  # noqa: E402

TOKEN = "bench-token"
STEPS = ("clone", "plan", "commit", "push", "api", "wait")


def sources() -> list[Path]:
    fx = ROOT / "fixtures"
    out = sorted(p for p in (fx / "apps").iterdir() if p.is_dir())
    out += sorted(p / "before" for p in (fx / "migrate").iterdir() if (p / "before").is_dir())
    out += sorted(p for p in (fx / "migrate").iterdir() if p.name.endswith("-clean"))
    return out


def build(root: Path, n: int) -> list[str]:
    srcs = sources()
    slugs = []
    for i in range(n):
        src = srcs[i % len(srcs)]
        slug = f"bench/r{i:03d}-{src.parent.name if src.name == 'before' else src.name}"
        make_remote(root, slug, src)
        slugs.append(slug)
    return slugs


def one_run(root: Path, server: ForgeServer, remotes: Path, concurrency: int, name: str) -> dict:
    report = root / f"{name}.json"
    argv = ["bulk", "--repos", str(root / "repos.txt"), "--api-url", server.github_api,
            "--git-url", f"{remotes.as_uri()}/{{owner}}/{{name}}.git", "--workspace", str(root / "ws"),
            "--concurrency", str(concurrency), "--report", str(report)]
    args = _parser().parse_args(argv)
    start = time.perf_counter()
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        rc = run(args, lambda r: load_project(r, args))
    wall = time.perf_counter() - start
    data = json.loads(report.read_text())
    steps = {s: sum(r["timings"].get(s, 0.0) for r in data["repos"]) for s in STEPS}
    return {"rc": rc, "wall": wall, "counts": data["counts"], "steps": steps, "n": len(data["repos"])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--concurrency", default="1,4,8")
    ap.add_argument("--api-latency", default="0,0.1", help="seconds added to every API answer, comma-separated")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "bulk.md"))
    opts = ap.parse_args()
    os.environ["GITHUB_TOKEN"] = TOKEN
    levels = [int(c) for c in opts.concurrency.split(",")]
    latencies = [float(x) for x in opts.api_latency.split(",")]
    base = Path(tempfile.mkdtemp(prefix="dockvenv-bench-bulk-"))
    rows = []
    try:
        t0 = time.perf_counter()
        pristine = base / "pristine"
        slugs = build(pristine, opts.repos)
        build_s = time.perf_counter() - t0
        for latency in latencies:
            for c in levels:
                root = base / f"c{c}-l{latency}"
                remotes = root / "remotes"
                shutil.copytree(pristine, remotes)
                (root / "repos.txt").write_text("\n".join(slugs) + "\n")
                with ForgeServer(TOKEN, remotes) as server:
                    for slug in slugs:
                        server.add_repo(slug)
                    if latency:
                        server.inject(r".", status=0, delay=latency, times=-1)
                    first = one_run(root, server, remotes, c, "first")
                    prs = len(server.prs)
                    second = one_run(root, server, remotes, c, "second")
                    new_prs = len(server.prs) - prs
                rows.append((latency, c, first, second, prs, new_prs))
                print(f"latency {latency}s concurrency {c}: first {first['wall']:.1f}s "
                      f"({first['n'] / first['wall']:.1f} repos/s), second {second['wall']:.1f}s, "
                      f"PRs {prs}, new on re-run {new_prs}", file=sys.stderr)
                shutil.rmtree(root, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    out = Path(opts.out)
    notes = ""  # the hand-written reading of the numbers survives a re-run
    if out.exists() and "\n## Notes\n" in out.read_text():
        notes = out.read_text()[out.read_text().index("\n## Notes\n"):]
    out.write_text(render(opts, rows, build_s) + notes)
    print(f"wrote {opts.out}", file=sys.stderr)


def render(opts: argparse.Namespace, rows: list, build_s: float) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out = [
        "# Bulk benchmark",
        "",
        f"`python bench/bench_bulk.py --repos {opts.repos} --concurrency {opts.concurrency} "
        f"--api-latency {opts.api_latency}`",
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs "
        f"(load average {load:.1f} at the end: a shared machine, so absolute times are noisy); "
        f"{opts.repos} bare `file://` remotes built in {build_s:.1f}s from {len(sources())} fixture projects, cycled.",
        "",
        "## Throughput",
        "",
        "First run: clone, plan, commit, push and open a PR where needed. Re-run: the same "
        "workspace (fetch path), every branch found identical, no write call.",
        "",
        "| API latency | concurrency | first run s | repos/s | re-run s | repos/s | PRs opened | new PRs on re-run |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for latency, c, first, second, prs, new in rows:
        out.append(f"| {latency * 1000:.0f} ms | {c} | {first['wall']:.1f} | {first['n'] / first['wall']:.1f} | "
                   f"{second['wall']:.1f} | {second['n'] / second['wall']:.1f} | {prs} | {new} |")
    out += ["", "## Where the time goes (first run, thread-seconds summed over repositories)", "",
            "| API latency | concurrency | clone | plan | commit | push | api | pacing | per repo ms |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for latency, c, first, _second, _prs, _new in rows:
        s = first["steps"]
        total = sum(s.values()) or 1.0
        cells = " | ".join(f"{s[k]:.1f}s ({100 * s[k] / total:.0f}%)"
                           for k in ("clone", "plan", "commit", "push", "api"))
        out.append(f"| {latency * 1000:.0f} ms | {c} | {cells} | {s['wait']:.1f}s | {1000 * total / first['n']:.0f} |")
    out += ["", "Outcome counts of the first runs: " + json.dumps(rows[0][2]["counts"]) if rows else "", ""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
