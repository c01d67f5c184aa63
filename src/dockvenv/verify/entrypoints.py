"""Does every CMD/ENTRYPOINT target resolve from the installed wheel (and what the Dockerfile copies)?

A module (``python -m app``, ``gunicorn app:app``, ``celery -A proj``) must be in the
wheel's RECORD; a console script in its ``entry_points.txt``; a file the command names by
path must be copied into the image by the Dockerfile, since the wheel puts files in
site-packages, never in the working directory.  Programs and modules of the app's
dependencies are taken as resolved without installing them (``--no-deps``), and said so.
"""

from __future__ import annotations

import posixpath
import sys
from dataclasses import dataclass
from pathlib import Path

from dockvenv.analysis import Facts, absolute, analyze
from dockvenv.dockerfile import Dockerfile
from dockvenv.packaging.commands import (
    Entry,
    Target,
    entries,
    module_of_script,
    simple_commands,
    targets,
)
from dockvenv.packaging.image import Copy, copies, to_context, workdir_at_end
from dockvenv.verify.wheel import Installed

# Programs of well-known distributions, by the distribution that installs them.
PROGRAMS = {"django-admin": "django", "waitress-serve": "waitress", "fastapi": "fastapi", "huey_consumer": "huey",
            "jupyter-lab": "jupyterlab", "pip3": "pip"}
# Import names whose distribution is named otherwise.
IMPORTS = {"yaml": "pyyaml", "PIL": "pillow", "cv2": "opencv-python", "sklearn": "scikit-learn", "bs4":
           "beautifulsoup4", "dateutil": "python-dateutil", "dotenv": "python-dotenv", "jwt": "pyjwt",
           "attr": "attrs", "google": "protobuf", "MySQLdb": "mysqlclient", "psycopg2": "psycopg2-binary"}


@dataclass(frozen=True)
class Check:
    dockerfile: str
    line: int
    instruction: str  # "CMD", "ENTRYPOINT" or "ENTRYPOINT+CMD"
    target: Target
    resolved: bool
    why: str

    def as_json(self) -> dict[str, object]:
        return {"dockerfile": self.dockerfile, "line": self.line, "instruction": self.instruction,
                "kind": self.target.kind, "target": self.target.value, "runner": self.target.runner,
                "resolved": self.resolved, "why": self.why}


@dataclass(frozen=True)
class Image:
    """What the Dockerfile puts in the image besides the wheel."""

    df: Dockerfile
    facts: Facts
    context: Path  # the build context on disk
    copies: tuple[Copy, ...]
    workdir: str
    dependencies: frozenset[str]  # canonical names from requirement files the Dockerfile installs

    def is_dir(self, rel: str) -> bool:
        return (self.context / rel).is_dir()


def image(df: Dockerfile, context: Path, dependencies: frozenset[str]) -> Image:
    facts = analyze(df)
    ctx = context
    found = copies(facts, lambda rel: (ctx / rel).is_dir(), runtime_only=True)
    return Image(df, facts, context, tuple(found), workdir_at_end(facts, df), dependencies)


def check(img: Image, wheel: Installed) -> list[Check]:
    out: list[Check] = []
    for entry in entries(img.df, img.facts):
        where = _where(entry)
        for argv in simple_commands(entry.argv):
            for target in targets(argv):
                ok, why = resolve(img, wheel, target)
                out.append(Check(img.df.path, entry.instructions[-1].start_line, where, target, ok, why))
    return out


def _where(entry: Entry) -> str:
    return "+".join(i.cmd for i in entry.instructions)


def resolve(img: Image, wheel: Installed, t: Target) -> tuple[bool, str]:
    if t.kind == "program":
        return _program(img, wheel, t)
    if t.kind == "script":
        return _script(img, wheel, t)
    if t.kind == "file":
        return _file(img, wheel, t.value)
    module = t.value.split(":", 1)[0]
    if t.kind == "app":  # celery -A proj.celery.app: a module, or an attribute of one
        parts = module.split(".")
        for n in range(len(parts), 0, -1):
            found = _module_file(wheel, ".".join(parts[:n]))
            if found:
                return True, f"{found} is in the wheel"
    else:
        found = _module_file(wheel, module, main=t.runner == "python" and t.kind == "module")
        if found:
            return True, f"{found} is in the wheel"
        if t.runner == "python" and t.kind == "module" and _module_file(wheel, module):
            return False, f"{module} is a package in the wheel without a __main__.py: python -m cannot run it"
    return _not_ours(img, wheel, module)


def _module_file(wheel: Installed, module: str, main: bool = False) -> str | None:
    base = module.replace(".", "/")
    options = [f"{base}.py", f"{base}/__init__.py"] if not main else [f"{base}.py", f"{base}/__main__.py"]
    return next((o for o in options if o in wheel.files), None) or (
        base if not main and any(f.startswith(base + "/") and f.endswith(".py") for f in wheel.files) else None)


def _not_ours(img: Image, wheel: Installed, module: str) -> tuple[bool, str]:
    from packaging.utils import canonicalize_name

    top = module.split(".", 1)[0]
    if top in getattr(sys, "stdlib_module_names", ()):
        return True, f"{top} is in the standard library"
    dist = canonicalize_name(IMPORTS.get(top, top))
    if dist in wheel.requires or dist in img.dependencies:
        return True, f"a module of the dependency {dist} (dependencies are not installed here: not checked)"
    return False, f"{module} is not in the wheel, nor a module of its dependencies"


def _program(img: Image, wheel: Installed, t: Target) -> tuple[bool, str]:
    from packaging.utils import canonicalize_name

    name = t.value
    if name in wheel.scripts:
        return True, f"console script of the wheel ({wheel.scripts[name]})"
    dist = canonicalize_name(PROGRAMS.get(name, name))
    if dist in wheel.requires or dist in img.dependencies:
        return True, f"a program of the dependency {dist} (dependencies are not installed here: not checked)"
    if _installed_by_run(img, name):
        return True, "installed by a RUN step of the Dockerfile (not checked)"
    if t.word.startswith("/") and _copied(img, t.word):
        return True, f"{t.word} is copied by the Dockerfile"
    return False, "not a console script of the wheel, nor a program of its dependencies"


def _installed_by_run(img: Image, name: str) -> bool:
    for step in img.facts.steps:
        if step.ins.cmd == "RUN" and img.facts.in_runtime(step):
            for cmd in step.commands:
                if name in cmd.argv[1:] and any(w in ("install", "add") for w in cmd.argv):
                    return True
    return False


def _script(img: Image, wheel: Installed, t: Target) -> tuple[bool, str]:
    ok, why = _file(img, wheel, t.value)
    if ok:
        return ok, why
    module = module_of_script(t.value.removeprefix(img.workdir.rstrip("/") + "/"))
    if module and _module_file(wheel, module):
        return False, (f"{t.value} is in the wheel as the module {module}, not in the working directory: "
                       f"run it as python -m {module}")
    return False, why


def _file(img: Image, wheel: Installed, value: str) -> tuple[bool, str]:
    path = absolute(value, img.workdir)
    if _copied(img, path):
        return True, f"copied into the image at {path} by the Dockerfile"
    stage = _from_stage(img, path)
    if stage:
        return True, f"copied into the image at {path} from the stage {stage} (not checked)"
    if posixpath.normpath(value.removeprefix("./")) in wheel.files:
        return False, f"in the wheel (site-packages), not at {path} where the command looks"
    return False, f"{path} is not copied into the image by the Dockerfile"


def _copied(img: Image, path: str) -> bool:
    rel = to_context(path, list(img.copies), img.is_dir)
    return rel is not None and (img.context / rel).exists()


def _from_stage(img: Image, path: str) -> str | None:
    for c in img.copies:
        if c.from_stage is not None and (path == c.image or path.startswith(c.image.rstrip("/") + "/")):
            return c.from_stage
    return None
