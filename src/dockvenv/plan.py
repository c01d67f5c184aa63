"""analyze -> plan: every edit of a migration, computed in full before anything is shown.

For each Dockerfile the plan finds its build context and the Python project it
installs, rewrites it (rewrite.dockerfile), extends the context's ``.dockerignore``,
and adds the dependency moves of rewrite.pyproject and friends.  Pure: the project
was read before, and nothing is written here.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from dockvenv import check, contexts
from dockvenv.analysis import pip_install
from dockvenv.config import Settings, parse_toml
from dockvenv.dockerfile import Dockerfile, parse
from dockvenv.analysis import Facts
from dockvenv.deps.model import DependencyReport
from dockvenv.model import FileEdit, Plan, Unsupported
from dockvenv.packaging import plan_packaging, rewrite_commands
from dockvenv.project import Project, TextFile, is_dockerfile
from dockvenv.projects import has_packaging, installed_projects
from dockvenv.rewrite import dockerignore as ignore_rewrite
from dockvenv.rewrite.dockerfile import BuildSpec, Options, migrate

_DEV_DOCKERFILE = re.compile(r"(^|/)\.devcontainer/|[.-]dev(elop(ment)?)?$|\.dev\.|(^|/)dev\.Dockerfile$", re.I)


def build_plan(project: Project, settings: Settings, context_override: str | None = None) -> Plan:
    from dockvenv.deps import analyze_dependencies

    report = analyze_dependencies(project, settings)  # cached: the rules below ask for the same scan
    ctx = check.context(project, settings)
    findings = check.rules.run(ctx)
    edits, unsupported, notes = _dockerfile_edits(project, settings, ctx, report, context_override)
    # dev tools and load_dotenv() are judged on the project as this plan leaves it (a removed
    # stage no longer runs coverage, a generated pyproject.toml declares python-dotenv), or
    # the next run would find more to move
    staged = project
    if edits:
        staged = _staged(project, edits)
        again = analyze_dependencies(staged, settings)
        if _moved(again) != _moved(report):  # the builder prunes what this plan moves
            edits, unsupported, notes = _dockerfile_edits(project, settings, ctx, again, context_override)
            staged = _staged(project, edits)
        report = again
    dep_edits = _dependency_edits(staged, settings, report)
    notes += _lock_notes(staged, dep_edits)
    return Plan(project.root, tuple(findings), _merged(edits, dep_edits), tuple(unsupported), tuple(notes))


def _dockerfile_edits(project: Project, settings: Settings, ctx: check.Context, report: DependencyReport,
                      context_override: str | None) -> tuple[list[FileEdit], list[Unsupported], list[str]]:
    """The Dockerfile, packaging and ``.dockerignore`` edits, the unsupported files and the notes."""
    edits: list[FileEdit] = []
    unsupported: list[Unsupported] = []
    notes: list[str] = []
    touched: dict[str, list[str]] = {}  # build context -> Dockerfiles changed
    opts = Options(uv_version=settings.uv_version, uv_source=settings.uv_source,
                   syntax_directive=settings.syntax_directive, compile_bytecode=settings.compile_bytecode,
                   builder_base=settings.builder_base)
    used = stage_names_used(project)
    for path, df, _facts in ctx.dockerfiles:
        if is_dev_dockerfile(path) and not settings.include_dev:
            notes.append(f"{path}: a development image; not migrated (--include-dev migrates it)")
            continue
        choice = contexts.resolve(project, path, df, context_override)
        context = choice.folder
        if context != posixpath.dirname(path) or choice.evidence.startswith(("--context", ".", "Makefile")) \
                or "builds it" in choice.evidence:
            notes.append(f"{path}: build context '{context or '.'}' ({choice.evidence})")
        spec = build_spec(project, context, df, report)
        kept_targets = [t for t in choice.targets if t.lower() not in {(s.name or "").lower() for s in df.stages}]
        notes += [f"{path}: --target {t} is built by other files but is no stage of this Dockerfile"
                  for t in kept_targets]
        files = runtime_files(project, context, df)
        pk = plan_packaging(project, context, df, settings) if _packaging_wanted(project, context, _facts) else None
        if pk is not None and pk.makes_packageable:
            spec = replace(spec, packageable=True)
            files = pk.merged_runtime_files(files)  # scripts that became modules out, data files in
        prefix = f"{context}/" if context else ""
        result = migrate(df, spec, opts, used, files, lambda rel, prefix=prefix: project.exists(prefix + rel))
        if result.unsupported:
            unsupported.append(Unsupported(path, result.unsupported))
            continue
        notes += [f"{path}: {n}" for n in result.notes]
        after, reasons = result.after, result.reasons
        if pk is not None and pk.makes_packageable and after != df.text:
            after, cmd_reasons = rewrite_commands(after, path, pk)  # python app.py -> python -m app
            reasons += tuple(cmd_reasons)
            planned = {e.path for e in edits}
            edits += [e for e in pk.edits if e.path not in planned]  # one generated pyproject per context
        if pk is not None:
            notes += [f"{path}: {r}" for r in pk.reasons]
        if after != df.text:
            parse(after, path)  # a rewrite must never produce what Docker would refuse
            edits.append(FileEdit(path, df.text, after, reasons))
            touched.setdefault(context, []).append(path)
    for context in sorted(set(touched) | _exposed_contexts(project, ctx, context_override)):
        edit = ignore_rewrite.plan(project, context)
        if edit is not None:
            edits.append(edit)
    return edits, unsupported, notes


def _moved(report: DependencyReport) -> set[tuple[str, str]]:
    return {(d.path, d.name) for d in report.moves}


def _staged(project: Project, edits: list[FileEdit]) -> Project:
    """``project`` as it reads once ``edits`` are written (in memory)."""
    files = dict(project.files)
    for e in edits:
        if e.after is None:
            files.pop(e.path, None)
        else:
            old = files.get(e.path)
            files[e.path] = TextFile(e.path, e.after, old.mode if old else 0o644, 0, len(e.after.encode()))
    return replace(project, files=files)


def _merged(edits: list[FileEdit], later: list[FileEdit]) -> tuple[FileEdit, ...]:
    """One edit per file: a later edit of a file already edited starts from the first's ``before``."""
    out = {e.path: e for e in edits}
    for e in later:
        first = out.get(e.path)
        out[e.path] = e if first is None else FileEdit(e.path, first.before, e.after, first.reasons + e.reasons)
    return tuple(out.values())


def _dependency_edits(project: Project, settings: Settings, report: DependencyReport) -> list[FileEdit]:
    from dockvenv.deps import plan_dependency_edits

    return list(plan_dependency_edits(project, settings, report))


def _lock_notes(project: Project, dep_edits: list[FileEdit]) -> list[str]:
    """A lock that still lists the moved dev tools must be refreshed, or the image keeps them."""
    out = []
    for edit in dep_edits:
        if not edit.path.endswith("pyproject.toml") or not edit.changed:
            continue
        folder = posixpath.dirname(edit.path)
        for lock, command in (("uv.lock", "uv lock"), ("poetry.lock", "poetry lock")):
            if project.exists(_join(folder, lock)):
                out.append(f"{_join(folder, lock)}: run '{command}' after this migration: "
                           "the lock still lists the dev tools moved out of the runtime dependencies")
    return out


def _packaging_wanted(project: Project, context: str, facts: Facts) -> bool:
    """Generate packaging only for the venv pattern, and never where it would drop a lock."""
    from dockvenv.rules.dv106_tool_venv import tool_venv

    venv = bool(facts.venvs) or any(tool_venv(c, s.vars) for s in facts.steps for c in s.commands)
    locked = any(project.exists(_join(context, lock)) for lock in ("Pipfile.lock", "poetry.lock", "pdm.lock"))
    return venv and not locked


def _exposed_contexts(project: Project, ctx: check.Context, context_override: str | None) -> set[str]:
    from dockvenv.rules.dv302_env_in_context import exposed_env_files

    out = set()
    for path, df, _facts in ctx.dockerfiles:
        if exposed_env_files(ctx, path) and not (is_dev_dockerfile(path)):
            out.add(contexts.resolve(project, path, df, context_override).folder)
    return out


def is_dev_dockerfile(path: str) -> bool:
    return bool(_DEV_DOCKERFILE.search(path))


def build_context(project: Project, path: str, df: Dockerfile) -> str:
    return contexts.resolve(project, path, df).folder


def build_spec(project: Project, context: str, df: Dockerfile, report: DependencyReport | None = None) -> BuildSpec:
    """The projects the Dockerfile installs (in install order), their lock and versioning."""
    found = installed_projects(project, context, df)
    folders = tuple(i.folder for i in found) or ((".",) if has_packaging(project, context) else ())
    packageable = bool(folders)
    folders = folders or (".",)
    prefix = _join(context, folders[-1])
    pyproject = project.text(_join(prefix, "pyproject.toml")) or ""
    data = parse_toml(pyproject, _join(prefix, "pyproject.toml")) if pyproject else {}
    lock = None
    if len(folders) == 1:
        if project.exists(_join(prefix, "uv.lock")):
            lock = "uv"
        elif project.exists(_join(prefix, "poetry.lock")) and "poetry" in data.get("tool", {}):
            lock = "poetry"
        else:
            req = _pinned_requirements(project, df, context)
            if req and folders == (".",):
                lock = f"requirements:{req}"
    texts = "".join(project.text(_join(_join(context, f), "pyproject.toml")) or "" for f in folders)
    vcs = bool(re.search(r"setuptools[_-]scm|hatch-vcs|poetry-dynamic-versioning|source\s*=\s*\"vcs\"", texts))
    # a lock still lists the dev tools this plan moves until it is refreshed: the export leaves them out
    moved = tuple(sorted({d.name for d in (report.moves if report else ())
                          if posixpath.normpath(posixpath.dirname(d.path) or ".")
                          == posixpath.normpath(prefix or ".")})) if lock in ("uv", "poetry") else ()
    return BuildSpec(subdirs=folders, lock=lock, vcs_version=vcs, packageable=packageable,
                     project_paths=frozenset(i.image_path for i in found), prune=moved,
                     lock_inputs=_lock_inputs(project, context, df.path, folders[-1], lock, data, bool(moved)))


def _lock_inputs(project: Project, context: str, dockerfile: str, folder: str, lock: str | None,
                 data: dict, relock: bool) -> tuple[str, ...]:
    """The files the lock export reads, so that it runs again only when one of them changes.

    Empty when the export may read more: a uv workspace, or path dependencies (their own
    pyproject.toml files).  ``poetry check`` also insists that the declared README exists.
    A file the context leaves out cannot be mounted: a README is then not mounted, and
    without the lock or pyproject.toml the export keeps the whole context, as it was.
    """
    from dockvenv.dockerignore import for_dockerfile, ignored

    needed, optional = _export_reads(project, context, folder, lock, data, relock)
    rules = for_dockerfile(project.text, dockerfile, context)
    if not needed or any(ignored(rules, f) for f in needed):
        return ()
    return needed + tuple(f for f in optional if not ignored(rules, f))


def _export_reads(project: Project, context: str, folder: str, lock: str | None,
                  data: dict, relock: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(files the export needs, files it reads when they exist), relative to the context."""
    tool = data.get("tool", {})
    if lock == "uv":
        uv = tool.get("uv", {})
        if "workspace" in uv or any(isinstance(s, dict) and {"path", "workspace"} & s.keys()
                                    for s in uv.get("sources", {}).values()):
            return (), ()
        return (_join(folder, "pyproject.toml"), _join(folder, "uv.lock")), ()
    if lock == "poetry":
        poetry = tool.get("poetry", {})
        tables = [poetry.get("dependencies", {}), *(g.get("dependencies", {}) for g in poetry.get("group", {}).values())]
        if any(isinstance(d, dict) and "path" in d for t in tables for d in t.values()):
            return (), ()
        readmes = [_join(folder, r) for r in _readmes(data)] if relock else []
        return ((_join(folder, "pyproject.toml"), _join(folder, "poetry.lock")),
                tuple(r for r in readmes if project.exists(_join(context, r))))
    if lock and lock.startswith("requirements:"):
        return (lock.split(":", 1)[1],), ()
    return (), ()


def _readmes(data: dict) -> list[str]:
    readme = data.get("tool", {}).get("poetry", {}).get("readme") or data.get("project", {}).get("readme")
    if isinstance(readme, dict):
        readme = readme.get("file")
    if isinstance(readme, str):
        return [readme]
    return [r for r in readme or () if isinstance(r, str)]


def _join(a: str, b: str) -> str:
    return posixpath.normpath(posixpath.join(a, b)) if a or b not in (".", "") else b


def _pinned_requirements(project: Project, df: Dockerfile, context: str) -> str | None:
    from dockvenv.analysis import analyze

    facts = analyze(df)
    for step in facts.steps:
        for cmd in step.commands:
            pip = pip_install(cmd)
            for req in pip.requirements if pip else ():
                name = req.lstrip("./")
                text = project.text(_join(context, name))
                if text and _fully_pinned(text):
                    return name
    return None


def _fully_pinned(text: str) -> bool:
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    reqs = [ln for ln in lines if ln and not ln.startswith("-")]
    return bool(reqs) and all("==" in ln or "@" in ln for ln in reqs) and not any(
        ln.startswith(("-r", "-c", "-e")) for ln in lines)


def stage_names_used(project: Project) -> frozenset[str]:
    """Stage names that compose files, CI workflows or a Makefile build with --target."""
    names = set()
    for path, f in project.files.items():
        name = path.rsplit("/", 1)[-1]
        if "compose" in name or path.startswith(".github/") or name in ("Makefile", ".gitlab-ci.yml"):
            names.update(m.lower() for m in re.findall(r"(?:--target[= ]|target:\s*)['\"]?([\w.-]+)", f.text))
    return frozenset(names)


def runtime_files(project: Project, context: str, df: Dockerfile) -> tuple[str, ...]:
    """Files the final CMD/ENTRYPOINT names by path, which the wheel will not carry."""
    if not df.stages:
        return ()
    final = df.stages[-1]
    kept_sources = {s.strip("./") for ins in final.instructions if ins.cmd in ("COPY", "ADD")
                    for s in ins.value[:-1] if s not in (".", "./")}
    out = []
    for ins in final.instructions:
        if ins.cmd not in ("CMD", "ENTRYPOINT"):
            continue
        words = list(ins.value) if ins.json else ins.args.split()
        for word in words:
            w = word.strip("'\"")
            if w.startswith("-") or "/" in w.lstrip("./") and not w.startswith("./"):
                continue
            rel = w[2:] if w.startswith("./") else w
            if rel.endswith((".py", ".sh", ".ini", ".conf", ".cfg", ".yaml", ".yml", ".toml", ".json")) and \
                    project.exists(_join(context, rel)) and rel.strip("./") not in kept_sources and not is_dockerfile(rel):
                out.append(rel)
    return tuple(dict.fromkeys(out))
