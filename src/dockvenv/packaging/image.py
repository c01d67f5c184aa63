"""What a Dockerfile says about its image: where context files land, the final WORKDIR, the Python.

Pure: read from the parsed Dockerfile and ``analysis.Facts``.  Shared by the packaging
planner (which files a CMD names) and ``dockvenv verify`` (is a named file copied).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from dockvenv.analysis import Facts, Step, absolute, env_pairs, expand
from dockvenv.dockerfile import Dockerfile, Stage
from dockvenv.errors import InputError
from dockvenv.project import Project

_PYTHON_TAG = re.compile(r"(?:^|/)python:(\d+)\.(\d+)")


@dataclass(frozen=True)
class Copy:
    image: str  # absolute path in the image
    source: str  # path in the build context ("." for the whole context)
    stage: int
    from_stage: str | None = None  # COPY --from=X: not from the context


def copies(facts: Facts, is_dir: Callable[[str], bool], runtime_only: bool = False) -> list[Copy]:
    """Every COPY/ADD of the file, with each source's place in the image.

    A folder source puts its content at the destination, never the folder itself.
    """
    out: list[Copy] = []
    for step in facts.steps:
        ins = step.ins
        if ins.cmd not in ("COPY", "ADD") or ins.heredocs or len(ins.value) < 2:
            continue
        if runtime_only and not facts.in_runtime(step):
            continue
        sources = [expand(s, step.vars) for s in ins.value[:-1]]
        dest = expand(ins.value[-1], step.vars)
        into_dir = dest.endswith("/") or dest in (".", "./") or len(sources) > 1
        dest_abs = absolute(dest, step.workdir)
        for raw in sources:
            src = clean(raw)
            if "://" in raw or "*" in src or "$" in src:
                continue
            folder = src == "." or raw.endswith("/") or is_dir(src)
            image = dest_abs if (folder or not into_dir) else posixpath.join(dest_abs, posixpath.basename(src))
            out.append(Copy(posixpath.normpath(image), src, step.stage.index, ins.flag("from")))
    return out


def clean(src: str) -> str:
    src = src.strip("'\"").removeprefix("./").strip("/")
    return posixpath.normpath(src) if src else "."


def to_context(image_path: str, found: list[Copy], is_dir: Callable[[str], bool]) -> str | None:
    """Where an image path comes from in the build context (None: not copied from it)."""
    image_path = posixpath.normpath(image_path)
    for c in sorted(found, key=lambda c: -len(c.image)):
        if c.from_stage is not None:
            continue
        if image_path == c.image:
            return c.source
        if image_path.startswith(c.image.rstrip("/") + "/") and (c.source == "." or is_dir(c.source)):
            rest = image_path[len(c.image.rstrip("/")) + 1:]
            return rest if c.source == "." else f"{c.source}/{rest}"
    return None


def final_steps(facts: Facts) -> list[Step]:
    return [s for s in facts.steps if facts.in_runtime(s)]


def workdir_at_end(facts: Facts, df: Dockerfile) -> str:
    """The WORKDIR the image's CMD runs in."""
    last = [s for s in facts.steps if df.stages and s.stage.index == df.stages[-1].index]
    return last[-1].workdir if last else "/"


def root_base(df: Dockerfile, st: Stage) -> str:
    by_key = {s.key: s for s in df.stages}
    seen: set[int] = set()
    while True:
        parent = by_key.get(st.base.lower())
        if parent is None or parent.index >= st.index or parent.index in seen:
            return st.base
        seen.add(parent.index)
        st = parent


def python_version(df: Dockerfile) -> tuple[int, int] | None:
    """``python:3.11-slim`` (after global ARGs) -> (3, 11); None for a base that names no version."""
    if not df.stages:
        return None
    values = {k: v for a in df.global_args for k, v in env_pairs(a)}
    base = expand(root_base(df, df.stages[-1]), values)
    m = _PYTHON_TAG.search(base)
    return (int(m.group(1)), int(m.group(2))) if m else None


def ignore_rules(project: Project, context: str, dockerfile: str) -> tuple[tuple[bool, str], ...]:
    """The ``.dockerignore`` patterns of a build: ``DOCKERFILE.dockerignore`` first, as BuildKit reads them."""
    from dockvenv.dockerignore import patterns

    ctx_file = f"{context}/.dockerignore" if context else ".dockerignore"
    for path in (f"{dockerfile}.dockerignore", ctx_file):
        text = project.text(path)
        if text is not None:
            try:
                return patterns(text, path)
            except InputError:
                return ()  # docker build fails on it too; the plan reports it elsewhere
    return ()
