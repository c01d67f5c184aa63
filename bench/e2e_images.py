#!/usr/bin/env python3
"""Before/after images of the fixture apps on a real engine; writes bench/results/e2e-images.md.

    eval "$(scripts/docker-env start)"
    python bench/e2e_images.py [--rounds N] [--apps a,b] [--out PATH] [--keep]

Per app, the same flow as tests/test_e2e_docker.py: copy the app, build the original Dockerfile
cold (``--no-cache``), ``dockvenv migrate --yes`` a second copy, build that cold, run the SMOKE
argv in both, probe the migrated image (venv, .env, dev tools, uv), then time N code-change
rebuilds of both (one line appended to the package's ``__init__.py``, both variants rebuilt in
the same round, alternating which goes first; the table gives medians), after one untimed
warm-up round (the first rebuild after a ``--no-cache`` build pays a one-time cost).  Times are wall-clock
``time.perf_counter`` around ``scripts/docker-build``; on a shared 2-core machine read the ratios.
Images are removed and ``docker builder prune -af`` runs at the end (unless ``--keep``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import e2e


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def run_app(name: str, workdir: Path, rounds: int) -> dict:
    r = e2e.AppRun(name, workdir)
    row: dict = {"app": name, "notes": []}
    log(f"{name}: cold build of the original")
    b = r.build_before(no_cache=True)
    row["cold_before"] = b.seconds
    if not b.ok:
        row["notes"].append(f"original does not build:\n\n```\n{b.failure()}\n```")
        return row | {"run": r}
    m = r.migrate()
    if m.returncode != 0:
        row["notes"].append(f"dockvenv migrate --yes exit {m.returncode}: {m.stderr.strip()[-500:]}")
        return row | {"run": r}
    log(f"{name}: cold build of the migrated Dockerfile")
    a = r.build_after(no_cache=True)
    row["cold_after"] = a.seconds
    if not a.ok:
        row["notes"].append("migrated image does not build (the migrated Dockerfile, then the failing step):\n\n"
                            f"```dockerfile\n{(r.migrated / 'Dockerfile').read_text().strip()}\n```\n\n"
                            f"```\n{a.failure()}\n```")
        return row | {"run": r}
    row["size_before"], row["size_after"] = r.size("before"), r.size("after")
    row["layers_before"], row["layers_after"] = e2e.image_layers(r.tag("before")), e2e.image_layers(r.tag("after"))
    log(f"{name}: smoke and probe")
    sb, sa = r.smoke("before"), r.smoke("after")
    row["smoke_same"] = (sb.returncode, sb.stdout) == (sa.returncode, sa.stdout)
    if not row["smoke_same"]:
        row["notes"].append(f"smoke differs: before {sb.returncode}, after {sa.returncode}: {sa.stderr.strip()[-300:]}")
    p = r.probe("after")
    for key, what in (("pyvenv", "venv"), ("dotenv", ".env"), ("secrets", ".env values"), ("uv", "uv")):
        if p[key]:
            row["notes"].append(f"{what} in the migrated image: {', '.join(p[key])}")
    dev = sorted(set(p["devmodules"]) | set(p["devdists"]))
    if dev:
        row["notes"].append(f"dev tools in the migrated image: {', '.join(dev)}")
    while len(r.rebuilds) < rounds and r.disturbed_rounds <= 2:
        log(f"{name}: code-change rebuild round {len(r.rebuilds) + 1}/{rounds}")
        try:
            got = r.rebuild_round()
        except RuntimeError as exc:
            row["notes"].append(str(exc).splitlines()[0])
            break
        if got is None:
            log(f"{name}:   build cache pruned by someone else during the round: discarded")
        else:
            log(f"{name}:   before {got[0]:.1f}s, after {got[1]:.1f}s")
    if r.disturbed_rounds:
        row["notes"].append(f"{r.disturbed_rounds} rebuild round(s) discarded: the shared engine's build "
                            "cache was pruned by another process meanwhile")
    if r.rebuilds:
        row["rebuild_before"] = e2e.median([x for x, _ in r.rebuilds])
        row["rebuild_after"] = e2e.median([y for _, y in r.rebuilds])
        row["rebuild_rounds"] = r.rebuilds
        row["rebuild_steps"] = {v: b.steps_run() for v, b in r.rebuild_builds[-1].items()}
    return row | {"run": r}


def fmt_s(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f} s"


def table(rows: list[dict], base: int | None) -> str:
    out = ["| app | before size | after size | cold build before / after | code-change rebuild before / after | ratio (after / before) |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        sb, sa = row.get("size_before"), row.get("size_after")
        above = (lambda n: f" (+{(n - base) / 1e6:.1f})") if base else (lambda n: "")
        size_b = f"{e2e.mb(sb)}{above(sb)}" if sb else "—"
        size_a = f"{e2e.mb(sa)}{above(sa)}, {sa / sb:.2f}×" if sa and sb else "—"
        rb, ra = row.get("rebuild_before"), row.get("rebuild_after")
        ratio = f"{ra / rb:.2f}" if rb and ra else "—"
        out.append(f"| {row['app']} | {size_b} | {size_a} | {fmt_s(row.get('cold_before'))} / "
                   f"{fmt_s(row.get('cold_after'))} | {fmt_s(rb)} / {fmt_s(ra)} | {ratio} |")
    return "\n".join(out)


def engine_version() -> str:
    return e2e.docker("version", "--format", "{{.Server.Version}}").stdout.strip() or "?"


def dockvenv_version() -> str:
    p = subprocess.run([*e2e.dockvenv_cmd(), "--version"], capture_output=True, text=True, check=False)
    return (p.stdout or p.stderr).strip()


def report(rows: list[dict], rounds: int, base_size: int | None) -> str:
    lines = [
        "# Fixture apps before and after `dockvenv migrate`: real images",
        "",
        f"Written by `bench/e2e_images.py` on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC: "
        f"{dockvenv_version()}, Docker engine {engine_version()} (vfs storage driver, "
        f"the Debian python 3.11 stand-in base of `scripts/docker-env`"
        + (f", {e2e.mb(base_size)}" if base_size else "") + f"), {platform.machine()}, "
        f"{rounds} code-change rebuild round(s) per app (medians).",
        "",
        ("Sizes are `docker image inspect -f '{{.Size}}'`, base image included (above the base in "
         "brackets). Cold builds use `--no-cache` (dependencies downloaded from the index). A code-change "
         "rebuild appends one line to the app package's `__init__.py` and rebuilds with a warm cache; both "
         "variants are rebuilt in the same round, after one untimed warm-up round (the first rebuild "
         "after a `--no-cache` build pays a one-time cost). Wall-clock times on a shared 2-core machine: compare the "
         "ratio, not the seconds."),
        "",
        table(rows, base_size),
        "",
    ]
    for row in rows:
        extra = []
        if "layers_before" in row:
            extra.append(f"layers {row['layers_before']} → {row['layers_after']}")
        if "rebuild_rounds" in row:
            extra.append("rebuild rounds (before, after): "
                         + ", ".join(f"({b:.1f} s, {a:.1f} s)" for b, a in row["rebuild_rounds"]))
        if "smoke_same" in row:
            extra.append("smoke output identical" if row["smoke_same"] else "**smoke output differs**")
        lines.append(f"- **{row['app']}**: " + "; ".join(extra) + ("." if extra else ""))
        for variant, steps in row.get("rebuild_steps", {}).items():
            lines.append(f"  - steps re-run by the last code-change rebuild, {variant}: "
                         + "; ".join(f"`{name}` {sec:.1f} s" for name, sec in steps))
        for note in row["notes"]:
            first, *rest = note.split("\n")
            lines.append(f"  - {first}")
            lines.extend(f"    {line}" if line else "" for line in rest)
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="code-change rebuild rounds per app (default 3)")
    ap.add_argument("--apps", help="comma-separated app names (default: all of fixtures/apps)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "e2e-images.md")
    ap.add_argument("--keep", action="store_true", help="keep images and build cache")
    args = ap.parse_args(argv)
    try:
        e2e.check_engine(require_host=False)
    except e2e.DockerUnavailable as exc:
        print(f"e2e_images: {exc}", file=sys.stderr)
        return 2
    e2e.ensure_base_images()
    apps = args.apps.split(",") if args.apps else e2e.app_names()
    rows: list[dict] = []
    try:
        base = e2e.image_size("python:3.12-slim")
    except RuntimeError:
        base = None
    with tempfile.TemporaryDirectory(prefix="dv-e2e-bench-") as tmp, e2e.engine_lock():
        try:
            for name in apps:
                row = run_app(name, Path(tmp) / name, args.rounds)
                rows.append(row)
                if not args.keep:
                    row["run"].cleanup()
        finally:
            if not args.keep:
                for row in rows:
                    row["run"].cleanup()
                log("docker builder prune -af")
                e2e.builder_prune()
    text = report(rows, args.rounds, base)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
