"""requirements.txt (and Pipfile) -> PEP 621 ``dependencies``, every requirement and pin kept.

``-r`` includes are followed; what a pyproject cannot say is left out, each with a reason:
index options (the image's own ``pip install -r`` still honours them), constraints files,
editable installs and local paths.  ``git+URL#egg=name`` becomes ``name @ git+URL``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement

from dockvenv.config import parse_toml
from dockvenv.deps.manifests import requirement_lines
from dockvenv.errors import InputError
from dockvenv.project import Project

_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s+|=)?(\S+)$")
_CONSTRAINT = re.compile(r"^(?:-c|--constraint)(?:\s+|=)?(\S+)$")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s+|=)?(\S+)")
_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_LINE_OPTIONS = re.compile(r"\s+--[a-z][\w-]*(?:[= ]\S+)?")


@dataclass(frozen=True)
class Spec:
    text: str  # the PEP 508 string written into the pyproject
    path: str  # the requirements file, project-relative
    line: int


@dataclass
class Requirements:
    files: list[str] = field(default_factory=list)  # read, in order
    specs: list[Spec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "requirements.txt:3: -e . (why)"

    @property
    def direct_references(self) -> bool:
        return any(" @ " in s.text for s in self.specs)


def read(project: Project, paths: list[str]) -> Requirements:
    out = Requirements()
    todo = list(paths)
    while todo:
        path = todo.pop(0)
        if path in out.files:
            continue
        text = project.text(path)
        if text is None:
            out.skipped.append(f"{path}: included but not found")
            continue
        out.files.append(path)
        for line, body in _lines(text):
            inc = _INCLUDE.match(body)
            if inc:
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), inc.group(1))))
                continue
            spec, why = _spec(body)
            if spec is None:
                if why:
                    out.skipped.append(f"{path}:{line}: {body[:80]} ({why})")
            elif spec not in {s.text for s in out.specs}:
                out.specs.append(Spec(spec, path, line))
    return out


def _lines(text: str) -> list[tuple[int, str]]:
    return [(first, body) for first, _last, body in requirement_lines(text) if body]


def _spec(body: str) -> tuple[str | None, str]:
    """The PEP 508 text of one logical line, or None and why it is left out."""
    if "${" in body:
        return None, "environment variables are expanded by pip only"
    if _CONSTRAINT.match(body):
        return None, "a constraints file: pyproject.toml has no constraints; the image's -r install keeps it"
    edit = _EDITABLE.match(body)
    if edit:
        target = edit.group(1)
        egg = _EGG.search(target)
        if egg and "+" in target.split("#", 1)[0].split("://", 1)[0]:
            return f"{egg.group(1)} @ {target.split('#', 1)[0]}", ""
        return None, "an editable install of a local folder"
    if body.startswith("-"):
        return None, "a pip option: the image's pip install -r still passes it"
    body = _LINE_OPTIONS.sub("", body).strip()  # --hash=..., --global-option=...: pip-only
    if "://" in body and " @ " not in body and not re.match(r"^[A-Za-z0-9][\w.\-\[\], ]*@", body):
        egg = _EGG.search(body)
        if not egg:
            return None, "a URL without a #egg= name"
        return f"{egg.group(1)} @ {body.split('#', 1)[0]}", ""
    if body.startswith((".", "/")) or body.endswith((".whl", ".tar.gz", ".zip")) and "@" not in body:
        return None, "a local path: not a dependency a wheel can declare"
    try:
        Requirement(body)
    except InvalidRequirement as exc:
        return None, f"not a PEP 508 requirement: {str(exc).splitlines()[0][:60]}"
    return body, ""


def from_pipfile(text: str, path: str) -> Requirements:
    """``[packages]`` of a Pipfile (``[dev-packages]`` are the dev tools: not runtime dependencies)."""
    out = Requirements(files=[path])
    try:
        data = parse_toml(text, path)
    except InputError as exc:
        out.skipped.append(str(exc))
        return out
    packages = data.get("packages", {})
    for name, value in packages.items() if isinstance(packages, dict) else ():
        spec = _pipfile_spec(str(name), value)
        if spec is None:
            out.skipped.append(f"{path}: {name} (a local path or an editable install)")
            continue
        try:
            Requirement(spec)
        except InvalidRequirement:
            out.skipped.append(f"{path}: {name} (not a PEP 508 requirement)")
            continue
        out.specs.append(Spec(spec, path, 0))
    return out


def _pipfile_spec(name: str, value: object) -> str | None:
    if isinstance(value, str):
        return name if value.strip() in ("*", "") else f"{name}{value.strip()}"
    if not isinstance(value, dict) or "path" in value or value.get("editable"):
        return None
    extras = value.get("extras")
    head = f"{name}[{','.join(extras)}]" if isinstance(extras, list) and extras else name
    marker = value.get("markers")
    tail = f"; {marker}" if isinstance(marker, str) and marker else ""
    for vcs in ("git", "hg", "svn", "bzr"):
        if vcs in value:
            ref = f"@{value['ref']}" if value.get("ref") else ""
            url = str(value[vcs])
            url = url if url.startswith(f"{vcs}+") else f"{vcs}+{url}"
            return f"{head} @ {url}{ref}{' ' + tail if tail else ''}"
    if "file" in value:
        return f"{head} @ {value['file']}{' ' + tail if tail else ''}"
    version = str(value.get("version", "*")).strip()
    return f"{head}{'' if version in ('*', '') else version}{tail}"
