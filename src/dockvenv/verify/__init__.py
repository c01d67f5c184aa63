"""``dockvenv verify PATH``: the wheel builds, and every CMD/ENTRYPOINT target resolves from it.

Static (no Docker): for each Dockerfile, the projects it installs are built into wheels in
a temporary copy of the build context and installed, without dependencies, into a
throwaway venv; then each command the image starts is checked against what the wheels
installed and what the Dockerfile copies (verify/entrypoints.py).  ``--docker`` hands over
to ``dockvenv.verify.docker``.  Exit 0 when everything resolves, 1 when anything does not.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dockvenv.config import Settings
from dockvenv.errors import InputError
from dockvenv.project import Project
from dockvenv.verify.entrypoints import Check
from dockvenv.verify.wheel import Built

if TYPE_CHECKING:
    from dockvenv.dockerfile import Dockerfile
    from dockvenv.verify.wheel import Installed

__all__ = ["Report", "render", "run_static", "verify_project"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Report:
    root: str
    wheels: tuple[Built, ...]
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(w.wheel for w in self.wheels) and all(c.resolved for c in self.checks)

    def as_json(self) -> dict[str, object]:
        return {
            "version": 1,
            "path": self.root,
            "ok": self.ok,
            "wheels": [{"folder": w.folder or ".", "built": w.wheel is not None, "wheel": w.wheel, "tool": w.tool,
                        "error": w.error} for w in self.wheels],
            "targets": [c.as_json() for c in self.checks],
        }


def run_static(args: argparse.Namespace) -> int:
    """``dockvenv verify PATH...`` without ``--docker`` (cli.py hands ``--docker`` to verify.docker)."""
    from dockvenv.cli import load_project

    paths = list(getattr(args, "paths", None) or [getattr(args, "path", ".")])
    progress = (lambda msg: print(f"dockvenv verify: {msg}...", file=sys.stderr)) if sys.stderr.isatty() else None
    reports = []
    for root in paths:
        project, settings = load_project(root, args)
        reports.append((root, verify_project(project, settings, progress=progress)))
    if args.json:
        projects = [{**r.as_json(), "path": root} for root, r in reports]
        for p in projects:
            p.pop("version")
        print(json.dumps({"version": 1, "ok": all(r.ok for _, r in reports), "projects": projects}, indent=2))
    else:
        for root, r in reports:
            if len(reports) > 1:
                print(f"{root}:")
            sys.stdout.write(render(r))
    return 0 if all(r.ok for _, r in reports) else 1


def render(report: Report) -> str:
    lines = []
    for w in report.wheels:
        where = w.folder or "."
        lines.append(f"wheel {where}: built {w.wheel} ({w.tool})" if w.wheel else f"wheel {where}: not built: {w.error}")
    for c in report.checks:
        state = "resolved" if c.resolved else "not resolved"
        lines.append(f"{c.dockerfile}:{c.line}: {c.instruction} {c.target.describe()}: {state}: {c.why}")
    bad = sum(not c.resolved for c in report.checks)
    lines.append(f"{len(report.checks)} target(s): {len(report.checks) - bad} resolved, {bad} not resolved")
    return "\n".join(lines) + "\n"


def verify_project(project: Project, settings: Settings, work: Path | None = None,
                   progress: Progress | None = None) -> Report:
    """Build, install and check; ``work`` keeps the copies, wheels and venvs (else a temporary folder)."""
    from dockvenv.dockerfile import parse
    from dockvenv.plan import build_context, build_spec, is_dev_dockerfile
    from dockvenv.verify.entrypoints import check, image

    paths = [p for p in project.dockerfiles if settings.include_dev or not is_dev_dockerfile(p)]
    if not paths:
        raise InputError(f"{project.root}: no Dockerfile to verify")
    base = work or Path(tempfile.mkdtemp(prefix="dockvenv-verify-"))
    wheels: dict[str, Built] = {}
    checks: list[Check] = []
    try:
        for n, path in enumerate(paths):
            df = parse(project.files[path].text, path)
            context = build_context(project, path, df)
            spec = build_spec(project, context, df)
            folders = [_join(context, s) for s in spec.subdirs] if spec.packageable else [context]
            copy = _context_copy(project, context, path, base / f"context-{n}")
            installed = _build_and_install(project, context, folders, copy, base / f"run-{n}", wheels, progress)
            checks += check(image(df, copy, _dependencies(project, context, df)), installed)
    finally:
        if work is None:
            shutil.rmtree(base, ignore_errors=True)
    return Report(project.root, tuple(wheels.values()), tuple(checks))


def _context_copy(project: Project, context: str, dockerfile: str, dest: Path) -> Path:
    from dockvenv.packaging.image import ignore_rules
    from dockvenv.verify.wheel import copy_context

    copy_context(Path(project.root) / context, dest, ignore_rules(project, context, dockerfile))
    return dest


def _build_and_install(project: Project, context: str, folders: list[str], copy: Path, work: Path,
                       wheels: dict[str, Built], progress: Progress | None) -> Installed:
    """Each folder's wheel (built once per run), installed together into one venv."""
    from dockvenv.packaging.metadata import state
    from dockvenv.verify import wheel as w

    files: list[Path] = []
    for i, folder in enumerate(folders):
        found = state(project, folder)
        if found is None or (found.kind is None and not found.build_system):
            wheels.setdefault(folder, Built(folder, None, "", "no packaging (pyproject.toml, setup.py or "
                                                             "setup.cfg): run 'dockvenv migrate' first"))
            continue
        out = work / f"dist-{i}"
        out.mkdir(parents=True, exist_ok=True)
        if progress:
            progress(f"building the wheel of {folder or '.'}")
        built = w.build(copy / posixpath.relpath(folder or ".", context or "."), out, folder)
        wheels.setdefault(folder, built)
        if built.wheel:
            files.append(out / built.wheel)
    if not files:
        return w.Installed()
    if progress:
        progress("installing the wheel into a throwaway venv")
    python = w.make_venv(work / "venv")
    for f in files:
        error = w.install(python, f)
        if error:
            folder = next(k for k, b in wheels.items() if b.wheel == f.name)
            wheels[folder] = Built(folder, None, wheels[folder].tool, error)
    return w.installed(python)


def _dependencies(project: Project, context: str, df: Dockerfile) -> frozenset[str]:
    """Names in the requirement files the Dockerfile installs (-r), includes followed."""
    from dockvenv.analysis import analyze, pip_install
    from dockvenv.deps.manifests import requirement_name
    from dockvenv.packaging.requirements import read

    args = [r for s in analyze(df).steps for c in s.commands for r in (getattr(pip_install(c), "requirements", ()))]
    wanted = {posixpath.basename(a) for a in args}
    files = [p for p in project.files if posixpath.basename(p) in wanted and (not context or p.startswith(context + "/"))]
    return frozenset(n for s in read(project, files).specs for n in [requirement_name(s.text)] if n)


def _join(a: str, b: str) -> str:
    out = posixpath.normpath(posixpath.join(a or ".", b or "."))
    return "" if out == "." else out
