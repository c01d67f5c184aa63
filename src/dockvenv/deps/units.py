"""Find the packaging units of a checkout and which requirements files are runtime ones.

A unit is a folder with a pyproject.toml, setup.py or setup.cfg (a monorepo has
several); requirements files and Python sources belong to the deepest unit above
them.  A requirements file is a runtime one when it is a unit's ``requirements.txt``,
a Dockerfile installs it with ``-r``, or a runtime file includes it, and its name
does not say dev, test, lint, docs or the like.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from dockvenv.analysis import pip_install
from dockvenv.deps import manifests
from dockvenv.deps.manifests import Manifest
from dockvenv.dockerfile import parse as parse_dockerfile
from dockvenv.errors import InputError
from dockvenv.project import Project, is_requirements
from dockvenv.shell import commands

_IGNORED_DIRS = frozenset({"tests", "test", "fixtures", "testdata", "docs", "doc", "examples"})
DEV_FILE = re.compile(
    r"(^|[-_./])(dev|devel|develop|development|developer|test|tests|testing|lint|linting|docs?|"
    r"readthedocs|ci|typing|typehint|mypy|coverage|pip-tools|tox|style|qa)([-_./]|$)",
    re.IGNORECASE,
)


@dataclass
class Unit:
    root: str  # folder, "" for the project root
    manifests: list[Manifest] = field(default_factory=list)
    compiled: list[Manifest] = field(default_factory=list)  # pip-compile outputs the image installs
    dev_files: list[str] = field(default_factory=list)  # dev requirements files

    @property
    def name(self) -> str | None:
        return next((m.name for m in self.manifests if m.name), None)

    @property
    def plugin_groups(self) -> set[str]:
        return {g for m in self.manifests for g in m.plugin_groups}

    @property
    def dev_names(self) -> set[str]:
        return {n for m in self.manifests for n in m.dev_names}


def _ignored(path: str) -> bool:
    return any(p in _IGNORED_DIRS or p.startswith(".") for p in path.split("/")[:-1])


def _dir(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def owner(path: str, roots: list[str]) -> str:
    """The deepest unit folder that holds ``path``."""
    best = ""
    for root in roots:
        if (root == "" or path.startswith(root + "/")) and len(root) >= len(best):
            best = root
    return best


def find_units(project: Project) -> list[Unit]:
    units: dict[str, Unit] = {}
    for path in sorted(project.files):
        name = path.rsplit("/", 1)[-1]
        if _ignored(path) or name not in ("pyproject.toml", "setup.py", "setup.cfg"):
            continue
        text = project.files[path].text
        reader = {
            "pyproject.toml": manifests.read_pyproject,
            "setup.py": manifests.read_setup_py,
            "setup.cfg": manifests.read_setup_cfg,
        }[name]
        units.setdefault(_dir(path), Unit(_dir(path))).manifests.append(reader(path, text))
    reqs = [p for p in sorted(project.files) if is_requirements(p) and not _ignored(p)]
    runtime = runtime_requirements(project, reqs)
    roots = sorted(units)
    for path in reqs:
        root = owner(path, roots)
        unit = units.setdefault(root, Unit(root))
        roots = sorted(units)
        text = project.files[path].text
        if DEV_FILE.search(path.rsplit("/", 1)[-1].rsplit(".", 1)[0]) or (
            "/" in path and DEV_FILE.search(_dir(path).rsplit("/", 1)[-1]) and _dir(path) != root
        ):
            unit.dev_files.append(path)
            unit.manifests.append(_dev_names(path, text))
        elif path in runtime:
            target = unit.compiled if manifests.is_compiled(text) else unit.manifests
            target.append(manifests.read_requirements(path, text))
    return [units[k] for k in sorted(units)]


def _dev_names(path: str, text: str) -> Manifest:
    m = manifests.read_requirements(path, text)
    return Manifest(path, "dev-requirements", dev_names={d.name for d in m.declared})


def runtime_requirements(project: Project, reqs: list[str]) -> set[str]:
    wanted = [r for r in reqs if r.rsplit("/", 1)[-1] == "requirements.txt"]
    for arg in docker_requirement_args(project):
        tail = posixpath.normpath(arg).lstrip("./")
        matches = [r for r in reqs if r == tail or r.endswith("/" + tail) or tail.endswith("/" + r)]
        if not matches:
            base = tail.rsplit("/", 1)[-1]
            matches = [r for r in reqs if r.rsplit("/", 1)[-1] == base]
        wanted.extend(matches)
    out: set[str] = set()
    while wanted:
        path = wanted.pop()
        if path in out or path not in project.files:
            continue
        out.add(path)
        for inc in manifests.includes(project.files[path].text):
            wanted.append(posixpath.normpath(posixpath.join(_dir(path), inc)))
    return out


def docker_requirement_args(project: Project) -> list[str]:
    out: list[str] = []
    for path in project.dockerfiles:
        try:
            df = parse_dockerfile(project.files[path].text, path)
        except InputError:
            continue
        for ins in df.instructions:
            if ins.cmd != "RUN":
                continue
            for cmd in commands(ins.shell_text if not ins.json else " ".join(ins.value)):
                pi = pip_install(cmd)
                if pi is not None:
                    out.extend(r for r in pi.requirements if r and "$" not in r and "://" not in r)
    return out
