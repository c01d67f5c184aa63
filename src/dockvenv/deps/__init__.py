"""Dev tools in runtime dependencies: find them, decide what moves, plan the edits.

``analyze_dependencies`` reads (pure, fast, no libcst); ``plan_dependency_edits``
turns its report into whole-file edits.  docs/dependencies.md is the user's guide.
"""

from __future__ import annotations

from dockvenv.config import Settings
from dockvenv.deps import classify, commands, devtools, imports, units
from dockvenv.deps.model import Declared, DependencyReport
from dockvenv.model import FileEdit
from dockvenv.project import Project

__all__ = [
    "Declared",
    "DependencyReport",
    "analyze_dependencies",
    "move_label",
    "plan_dependency_edits",
]


def analyze_dependencies(project: Project, settings: Settings) -> DependencyReport:
    """Once per (project, settings) pair: the plan and three rules ask for it."""
    for p, s, report in _CACHE:
        if p is project and s == settings:
            return report
    report = _analyze(project, settings)
    _CACHE[:] = [*_CACHE[-3:], (project, settings, report)]
    return report


_CACHE: list[tuple[Project, Settings, DependencyReport]] = []


def _analyze(project: Project, settings: Settings) -> DependencyReport:
    found = units.find_units(project)
    roots = [u.root for u in found]
    sources: dict[str, list[tuple[str, str]]] = {}
    for path in project.python_files:
        if imports.is_runtime_source(path):
            sources.setdefault(units.owner(path, roots), []).append((path, project.files[path].text))
    runs = commands.runs(project)
    declared: list[Declared] = []
    moves: list[Declared] = []
    kept: list[tuple[Declared, str]] = []
    sites: list[imports.DotenvSite] = []
    for unit in found:
        wanted = {
            mod
            for m in unit.manifests
            for d in m.declared
            for mod in devtools.import_names(d.name)
            if d.name == "python-dotenv"
            or devtools.is_listed(d.name)
            or devtools.configured_dev(d.name, settings)
        }
        scan = imports.scan(sources.get(unit.root, []), only=wanted)
        sites.extend(scan.dotenv)
        for m in unit.manifests:
            declared.extend(m.declared)
        for verdict in classify.classify(unit, scan, runs, settings):
            if verdict.move:
                moves.append(verdict.declared)
            else:
                kept.append((verdict.declared, verdict.reason))
        moves.extend(_dotenv_moves(unit, scan, runs))
    unfixable = _unfixable(project, settings, found, moves)
    bad = {id(d) for d, _ in unfixable}
    return DependencyReport(
        declared=tuple(declared),
        moves=tuple(d for d in moves if id(d) not in bad),
        kept=tuple(kept),
        dotenv_sites=tuple(sorted({(s.path, s.line) for s in sites})),
        unfixable=tuple(unfixable),
        dotenv_unfixable=tuple(sorted({(s.path, s.line, s.why) for s in sites if not s.fixable})),
        notes=tuple((m.path, line, why) for u in found for m in u.manifests for line, why in m.problems),
    )


def _dotenv_moves(unit: units.Unit, scan: imports.Scan, runs: list[commands.Run]) -> list[Declared]:
    """python-dotenv, when every runtime import of it is, or will be, optional."""
    decls = [d for m in unit.manifests for d in m.declared if d.name == "python-dotenv"]
    uses = scan.imports.get("dotenv", [])
    if not decls or not uses or any(r.distribution == "python-dotenv" for r in runs):
        return []
    rewritten = {(s.path, s.import_line) for s in scan.dotenv if s.fixable}
    if all(u.guarded or (u.path, u.line) in rewritten for u in uses):
        return decls
    return []


def _unfixable(
    project: Project, settings: Settings, found: list[units.Unit], moves: list[Declared]
) -> list[tuple[Declared, str]]:
    out: list[tuple[Declared, str]] = []
    if not moves:
        return out
    problems = {m.path: m.problems for u in found for m in u.manifests if m.problems}
    from dockvenv.deps import plan  # tomlkit and packaging: only when something moves
    _edits, refused = plan.build(project, settings, tuple(moves), with_libcst=False)
    for d in moves:
        if d.path in refused:
            out.append((d, refused[d.path]))
        elif d.path in problems:
            out.append((d, problems[d.path][0][1]))
    return out


def plan_dependency_edits(
    project: Project, settings: Settings, report: DependencyReport
) -> tuple[FileEdit, ...]:
    from dockvenv.deps import plan  # tomlkit and packaging: only when something moves
    edits, _refused = plan.build(project, settings, report.moves)
    dotenv_files = sorted({p for p, _ in report.dotenv_sites} - {p for p, _, _ in report.dotenv_unfixable})
    if dotenv_files:
        from dockvenv.rewrite import dotenv

        for path in dotenv_files:
            before = project.files[path].text
            try:
                after = dotenv.make_opt_in(before)
            except Exception:  # EditRefused, or libcst refusing the file: leave it as it is
                continue
            if after != before:
                reason = "DV303: make import-time load_dotenv() opt-in (guarded python-dotenv import)"
                edits.append(FileEdit(path, before, after, (reason,)))
    return tuple(sorted(edits, key=lambda e: e.path))


def move_label(project: Project, settings: Settings, d: Declared) -> str:
    """Where ``d`` goes, as users read it: ``[project.optional-dependencies].dev``."""
    from dockvenv.deps import plan  # tomlkit and packaging: only when something moves
    return plan.label_for(project, d, settings)

