"""The packaging plan of one Dockerfile's project: what to generate, rewrite and copy, and why."""

from __future__ import annotations

import posixpath
import re

from dockvenv.analysis import Facts, absolute, analyze, expanded, pip_install
from dockvenv.config import Settings
from dockvenv.dockerfile import Dockerfile
from dockvenv.errors import DockvenvError
from dockvenv.model import FileEdit
from dockvenv.packaging import PackagingPlan, metadata
from dockvenv.packaging import layout as layouts
from dockvenv.packaging import pyproject as gen
from dockvenv.packaging import requirements as reqs
from dockvenv.packaging.commands import (
    Target,
    entries,
    module_of_script,
    simple_commands,
    targets,
)
from dockvenv.packaging.image import (
    Copy,
    copies,
    ignore_rules,
    python_version,
    to_context,
    workdir_at_end,
)
from dockvenv.packaging.tree import Tree, is_secret
from dockvenv.project import Project, is_dockerfile, is_requirements
from dockvenv.rewrite.words import strip_runner

_PACKAGING_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock",
                    "MANIFEST.in")
_NOT_DATA = (".sqlite3", ".sqlite", ".db", ".log", ".pid", ".sock")


def _join(a: str, b: str) -> str:
    out = posixpath.normpath(posixpath.join(a or ".", b or "."))
    return "" if out == "." else out


def plan(project: Project, context: str, df: Dockerfile, settings: Settings) -> PackagingPlan | None:
    found = metadata.state(project, context)
    if found is None or found.build_system:
        return None
    if found.kind is not None:
        return metadata.build_system(project, context, found)
    return _Generator(project, context, df, settings).run()


class _Generator:
    def __init__(self, project: Project, context: str, df: Dockerfile, settings: Settings) -> None:
        self.project, self.context, self.df, self.settings = project, context, df, settings
        self.tree = Tree(project, context)
        self.facts: Facts = analyze(df)
        self.copies: list[Copy] = copies(self.facts, self.tree.is_dir)
        self.workdir = workdir_at_end(self.facts, df)
        self.ignore = ignore_rules(project, context, df.path)
        self.reasons: list[str] = []
        self.runtime: list[str] = []
        self.rewrites: dict[str, str] = {}
        self.scripts: list[tuple[str, str]] = []
        self.data: list[str] = []  # shipped in the wheel outside the included packages
        self.package_data: list[str] = []

    def run(self) -> PackagingPlan | None:
        read = self._requirements()
        lay = layouts.find(self.tree)
        if not lay.candidates and not lay.namespaces and not read.specs and not read.files:
            return None  # nothing Python here to package
        needed = self._entries(lay)
        self._django(lay, needed)
        layouts.close(lay, needed)
        self._data(lay)
        self._known_runtime_files(lay, read)
        blockers = list(lay.blockers)
        path = _join(self.context, "pyproject.toml")
        if self._ignored("pyproject.toml"):
            blockers.append(f"{path} would be left out of the build context by .dockerignore")
        meta = self._metadata(lay, read)
        try:
            text = gen.generate(meta, self.project.text(path))
        except gen.Refused as exc:
            return PackagingPlan(reasons=(f"{path}: not generated: {exc}",), requirement_files=tuple(read.files))
        reasons = self._reasons(lay, read, meta, path)
        ok = not blockers and bool(meta.include)
        if not meta.include:
            blockers.append("no Python module of the app was found in the build context")
        edit = FileEdit(path, self.project.text(path), text, tuple(reasons[:4]))
        return PackagingPlan(
            edits=(edit,),
            cmd_rewrites=dict(self.rewrites) if ok else {},
            runtime_files=tuple(dict.fromkeys(self.runtime)) if ok else (),
            package_data=tuple(dict.fromkeys([*self.data, *self.package_data])),
            reasons=tuple(reasons + [f"not packageable: {b}" for b in blockers]),
            makes_packageable=ok,
            modules=tuple(sorted(lay.included)),
            requirement_files=tuple(read.files),
        )

    # -- dependencies ---------------------------------------------------------------------
    def _requirements(self) -> reqs.Requirements:
        files = self._installed_requirement_files()
        if not files:
            default = _join(self.context, "requirements.txt")
            if self.project.text(default) is not None:
                files = [default]
        if files:
            return reqs.read(self.project, files)
        pipfile = _join(self.context, "Pipfile")
        text = self.project.text(pipfile)
        return reqs.from_pipfile(text, pipfile) if text is not None else reqs.Requirements()

    def _installed_requirement_files(self) -> list[str]:
        out: list[str] = []
        known = [p for p in self.project.files if is_requirements(p) and self.tree.exists(self.tree.rel(p))
                 and (not self.context or p.startswith(self.context + "/"))]
        for step in self.facts.steps:
            for cmd in step.commands:
                pip = pip_install(expanded(cmd, step))
                for arg in pip.requirements if pip else ():
                    if "$" in arg or "://" in arg:
                        continue
                    rel = to_context(absolute(arg, step.workdir), self.copies, self.tree.is_dir)
                    if rel is None or not self.tree.exists(rel):
                        rel = posixpath.normpath(arg.removeprefix("./")) if not arg.startswith("/") else None
                    full = self.tree.full(rel) if rel and self.tree.exists(rel) else None
                    if full is None:
                        base = posixpath.basename(arg)
                        full = next((p for p in known if posixpath.basename(p) == base), None)
                    if full and full not in out:
                        out.append(full)
        return out

    # -- what the CMD needs ---------------------------------------------------------------
    def _entries(self, lay: layouts.Layout) -> set[str]:
        needed: set[str] = set()
        for entry in entries(self.df, self.facts):
            for argv in simple_commands(entry.argv):
                argv = tuple(strip_runner(list(argv)))  # the rewrite drops it, and the next run reads what is left
                for target in targets(argv):
                    self._target(lay, target, needed)
                if argv and posixpath.basename(argv[0]) == "gunicorn" and not {"-c", "--config"} & set(argv) \
                        and not any(a.startswith("--config=") for a in argv) and self.tree.exists("gunicorn.conf.py"):
                    self._runtime("gunicorn.conf.py", "gunicorn reads ./gunicorn.conf.py from its working directory")
        for argv in self._other_commands():  # python manage.py collectstatic, a HEALTHCHECK script
            for target in targets(argv):
                if target.kind == "script":
                    self._script(lay, target.value, needed)
        return needed

    def _other_commands(self) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for step in self.facts.steps:
            ins = step.ins
            if not self.facts.in_runtime(step):
                continue
            if ins.cmd == "RUN":
                out += [a for c in step.commands if not c.nested for a in simple_commands(c.argv)]
            elif ins.cmd == "HEALTHCHECK" and len(ins.value) > 1 and ins.value[0].upper() == "CMD":
                argv = ins.value[1:] if ins.json else ("/bin/sh", "-c", " ".join(ins.value[1:]))
                out += simple_commands(tuple(argv))
        return out

    def _target(self, lay: layouts.Layout, t: Target, needed: set[str]) -> None:
        if t.kind == "script":
            self._script(lay, t.value, needed)
        elif t.kind in ("module", "object", "app"):
            top = t.value.split(":", 1)[0].split(".", 1)[0]
            if layouts.include(lay, top):
                needed.add(top)
        elif t.kind == "file" and not t.value.startswith("/"):
            rel = self._local(t.value)
            if rel is not None and not self._rewritten(t.value):
                self._runtime(rel, f"{t.runner} reads it by path")

    def _script(self, lay: layouts.Layout, word: str, needed: set[str]) -> None:
        rel = self._local(word)
        if rel is None or not rel.endswith(".py"):
            return
        module = module_of_script(rel)
        top = module.split(".", 1)[0] if module else ""
        if module == top and top not in lay.candidates:
            lay.candidates[top] = rel  # tasks.py, test_smoke.py: left out by name, but the image runs it
        if module is None or not layouts.include(lay, top):
            self._runtime(rel, "the CMD runs it as a file, and its name is not an importable module")
            return
        folder = posixpath.dirname(rel)
        if folder and not self.tree.exists(f"{folder}/__init__.py"):
            facts = layouts.module_facts(lay, rel)
            siblings = {n for n in (facts.imports if facts else ()) if n not in lay.candidates and (
                self.tree.exists(f"{folder}/{n}.py") or self.tree.exists(f"{folder}/{n}/__init__.py"))}
            if siblings:
                self._runtime(folder, f"{rel} imports its neighbours ({', '.join(sorted(siblings))}) as top-level "
                              "modules, which only works when run as a file")
                return
        needed.add(top)
        if word in self.rewrites:
            return
        self.rewrites[word] = module
        self.reasons.append(f"python {word} -> python -m {module}: the module is in the wheel")
        facts = layouts.module_facts(lay, rel)
        if facts is not None and facts.main_calls_main:
            name = module.rsplit(".", 1)[-1].replace("_", "-")
            if name not in {n for n, _ in self.scripts}:
                self.scripts.append((name, f"{module}:main"))
                self.reasons.append(f"[project.scripts] {name} = \"{module}:main\" offered: {rel} runs main(); "
                                    f"the CMD keeps python -m {module}")

    def _django(self, lay: layouts.Layout, needed: set[str]) -> None:
        """The settings package manage.py and wsgi.py name by string must be in the wheel too."""
        for top in list(lay.included):
            for path in lay.files_of(top):
                facts = layouts.module_facts(lay, path)
                settings = facts.django_settings if facts else None
                if not settings:
                    continue
                if layouts.include(lay, settings.split(".", 1)[0]):
                    needed.add(settings.split(".", 1)[0])
                    line = f"Django settings {settings} (named by {path}): in the wheel"
                else:
                    line = f"Django settings {settings} (named by {path}): not found in the build context"
                if line not in self.reasons:
                    self.reasons.append(line)

    def _local(self, word: str) -> str | None:
        """The context path a word of the CMD names (relative to the final WORKDIR)."""
        if "$" in word or not word:
            return None
        rel = to_context(absolute(word, self.workdir), self.copies, self.tree.is_dir)
        if rel is None and not word.startswith("/"):
            rel = posixpath.normpath(word.removeprefix("./"))
        return rel if rel and rel != "." and self.tree.exists(rel) else None

    def _rewritten(self, word: str) -> bool:
        return word in self.rewrites

    def _runtime(self, rel: str, why: str) -> None:
        if is_secret(rel) or self._ignored(rel) or rel in self.runtime:
            return
        self.runtime.append(rel)
        self.reasons.append(f"{rel}: copied into the runtime stage ({why})")

    # -- data files -----------------------------------------------------------------------
    def _data(self, lay: layouts.Layout) -> None:
        for facts in layouts.all_facts(lay):
            for rel in facts.own_reads:
                self._own_read(lay, facts.path, rel)
            for rel in facts.cwd_reads:
                self._cwd_read(lay, facts.path, rel)

    def _own_read(self, lay: layouts.Layout, module: str, rel: str) -> None:
        if rel.startswith("..") or rel in (".", "") or not self.tree.exists(rel) or rel.endswith(".py"):
            if rel.startswith(".."):
                self.reasons.append(f"{module} reads {rel} outside the build context: not shipped")
            return
        if is_secret(rel) or self._ignored(rel) or rel in lay.included.values():
            return
        if rel.endswith(_NOT_DATA):
            self.reasons.append(f"{rel}: not shipped in the wheel (written at run time, e.g. a database)")
            return
        if lay.is_included_path(rel):
            if rel not in self.package_data:
                self.package_data.append(rel)
                self.reasons.append(f"{rel}: package data in the wheel ({module} reads it next to its own file)")
        elif not any(rel == d or rel.startswith(d + "/") for d in self.data):
            self.data = [d for d in self.data if not d.startswith(rel + "/")] + [rel]
            self.reasons.append(f"{rel}: shipped in the wheel next to the modules ({module} reads it relative "
                                "to its own file)")

    def _cwd_read(self, lay: layouts.Layout, module: str, rel: str) -> None:
        name = posixpath.basename(rel)
        if not self.tree.exists(rel) or rel.endswith(".py") or rel in lay.included.values() \
                or rel.split("/", 1)[0] in lay.included or name in _PACKAGING_FILES or is_requirements(rel) \
                or is_dockerfile(name) or name == ".dockerignore" or not self._in_original_image(rel):
            return
        self._runtime(rel, f"{module} opens it relative to the working directory")

    def _in_original_image(self, rel: str) -> bool:
        return any(c.from_stage is None and self.facts.runtime and c.stage in self.facts.runtime and (
            c.source == "." or rel == c.source or rel.startswith(c.source + "/")) for c in self.copies)

    def _known_runtime_files(self, lay: layouts.Layout, read: reqs.Requirements) -> None:
        names = {re.split(r"[<>=!~;\[ @]", s.text, maxsplit=1)[0].strip().lower() for s in read.specs}
        if "alembic" in names and self.tree.exists("alembic.ini"):
            self._runtime("alembic.ini", "alembic reads it from its working directory")
            for folder in ("alembic", "migrations"):
                if folder in self.tree.dirs and folder not in lay.included:
                    self._runtime(folder, "alembic.ini's script_location: alembic loads it by path")

    # -- metadata -------------------------------------------------------------------------
    def _metadata(self, lay: layouts.Layout, read: reqs.Requirements) -> gen.Metadata:
        dev_lines = self._dev_lines()
        deps = tuple(s.text for s in read.specs if (s.path, s.line) not in dev_lines and not _dev_file(s.path))
        dev = tuple(s.text for s in read.specs if (s.path, s.line) in dev_lines or _dev_file(s.path))
        version = python_version(self.df)
        include = tuple(sorted({*lay.included.values(), *self.data}))
        return gen.Metadata(
            name=metadata.name(self.project, self.context, self.tree),
            version=metadata.version(lay, self.tree),
            requires_python=f">={version[0]}.{version[1]}" if version else None,
            dependencies=deps, dev=dev, scripts=tuple(self.scripts), include=include,
            sources=tuple(self.tree.rel(f) for f in read.files),
        )

    def _dev_lines(self) -> set[tuple[str, int]]:
        from dockvenv.deps import analyze_dependencies

        try:
            report = analyze_dependencies(self.project, self.settings)
        except DockvenvError:
            return set()
        return {(d.path, d.line) for d in report.moves}

    def _reasons(self, lay: layouts.Layout, read: reqs.Requirements, meta: gen.Metadata, path: str) -> list[str]:
        head = [f"{path}: generated: the project has no packaging, and the image installs it as a wheel"]
        pins = sum(1 for s in read.specs if re.search(r"===?", s.text))
        if read.files:
            head.append(f"dependencies: {len(meta.dependencies)} from {', '.join(read.files)} "
                        f"({pins} pinned, pins kept)" + (f"; {len(meta.dev)} dev tools in the dev extra"
                                                          if meta.dev else ""))
        else:
            head.append("dependencies: none found (no requirements.txt or Pipfile)")
        head.append(f"wheel: {', '.join(meta.include) or 'nothing'} (hatchling only-include)")
        head.append(f"requires-python {meta.requires_python} from the base image" if meta.requires_python
                    else "requires-python not set: the base image names no Python version")
        skipped = [f"requirement left out: {s}" for s in read.skipped]
        return head + skipped + lay.reasons + self.reasons

    def _ignored(self, rel: str) -> bool:
        from dockvenv.dockerignore import ignored

        return bool(self.ignore) and ignored(self.ignore, rel)


def _dev_file(path: str) -> bool:
    from dockvenv.deps.units import DEV_FILE

    return bool(DEV_FILE.search(posixpath.basename(path).rsplit(".", 1)[0]))
