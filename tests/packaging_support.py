"""Helpers for the packaging and verify tests: small projects on disk, and the wired migration.

``migrated_copy`` migrates a fixture app into a folder as ``dockvenv migrate --yes`` does.
Until plan.py calls ``plan_packaging`` itself (docs/packaging.md, "Wiring"), the Dockerfile
part is done here the way that wiring does it, so the tests check the same result.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from dockvenv.config import Settings
from dockvenv.dockerfile import parse
from dockvenv.model import FileEdit
from dockvenv.packaging import PackagingPlan, plan_packaging, rewrite_commands
from dockvenv.project import Project, read_project

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "packaging"


def app_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if (p / "SMOKE").is_file())


def make_project(root: Path, files: dict[str, str]) -> Project:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return read_project(root)


def packaging_for(project: Project, dockerfile: str = "Dockerfile", context: str | None = None) -> PackagingPlan | None:
    from dockvenv.plan import build_context

    df = parse(project.files[dockerfile].text, dockerfile)
    ctx = build_context(project, dockerfile, df) if context is None else context
    return plan_packaging(project, ctx, df, Settings())


def wired_changes(project: Project, settings: Settings | None = None) -> list[FileEdit]:
    """The migration's changes with packaging planned in, as plan.py is to call it."""
    from dockvenv.plan import (
        build_context,
        build_plan,
        build_spec,
        runtime_files,
        stage_names_used,
    )
    from dockvenv.rewrite.dockerfile import Options, migrate

    settings = settings or Settings()
    plan = build_plan(project, settings)
    if any(e.path.endswith("pyproject.toml") and e.before is None for e in plan.changes):
        return list(plan.changes)  # plan.py already does it
    out = [e for e in plan.changes if e.path not in project.dockerfiles]
    used = stage_names_used(project)
    for path in project.dockerfiles:
        df = parse(project.files[path].text, path)
        context = build_context(project, path, df)
        spec = build_spec(project, context, df)
        files = runtime_files(project, context, df)
        pk = plan_packaging(project, context, df, settings)
        if pk is not None and pk.makes_packageable:
            spec = replace(spec, packageable=True)
            files = pk.merged_runtime_files(files)
        prefix = f"{context}/" if context else ""
        result = migrate(df, spec, Options(syntax_directive=False), used, files,
                         lambda rel, prefix=prefix: project.exists(prefix + rel))
        after = result.after
        if pk is not None and pk.makes_packageable:
            after, _ = rewrite_commands(after, path, pk)
            out += [e for e in pk.edits if e.path not in {o.path for o in out}]
        if after != df.text:
            out.append(FileEdit(path, df.text, after))
    return out


def migrated_copy(name: str, dest: Path) -> Path:
    """A copy of fixtures/packaging/NAME with the migration written into it."""
    shutil.copytree(FIXTURES / name, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for edit in wired_changes(read_project(dest)):
        target = dest / edit.path
        if edit.after is None:
            target.unlink()
        else:
            target.write_text(edit.after)
    return dest


def smoke_argv(name: str) -> list[str]:
    return json.loads((FIXTURES / name / "SMOKE").read_text())
