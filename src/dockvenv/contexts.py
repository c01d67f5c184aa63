"""Which folder each Dockerfile is built from, and why we think so.

Evidence is taken in this order: a compose file's ``build:`` (``context``,
``dockerfile``, ``target``), a CI workflow or Makefile that runs ``docker build -f X
CONTEXT`` or ``docker/build-push-action`` with ``context``/``file``, and otherwise
the folder (the Dockerfile's own, then each parent up to the repository root) that
holds the most of the files its COPY/ADD instructions name.  ``--context`` wins.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from typing import Any, Iterator

from dockvenv.dockerfile import Dockerfile
from dockvenv.project import Project, is_compose_file

_DOCKER_BUILD = re.compile(r"docker\s+(?:buildx\s+)?build\b([^\n;&|]*(?:\\\n[^\n;&|]*)*)")


@dataclass(frozen=True)
class Context:
    folder: str  # relative to the project root; "" is the root
    evidence: str  # one line: where the choice comes from
    targets: tuple[str, ...] = ()  # stage names other files build with --target


def resolve(project: Project, path: str, df: Dockerfile, override: str | None = None) -> Context:
    if override is not None:
        return Context(_norm(override), "--context on the command line")
    found = list(_declared(project, path))
    if found:
        folder, evidence = found[0][0], found[0][1]
        targets = tuple(sorted({t for f, _e, t in found if t and f == folder}))
        return Context(folder, evidence, targets)
    return Context(_by_sources(project, path, df), "the folder holding the files its COPY/ADD name")


def _declared(project: Project, path: str) -> Iterator[tuple[str, str, str | None]]:
    """(context, evidence, target) from compose files, CI workflows and Makefiles."""
    for rel, f in sorted(project.files.items()):
        name = rel.rsplit("/", 1)[-1]
        base = posixpath.dirname(rel)
        if is_compose_file(name):
            yield from _compose(f.text, base, rel, path)
        elif rel.startswith(".github/workflows/") or name in ("Makefile", ".gitlab-ci.yml"):
            yield from _build_commands(f.text, rel, path)
            if rel.startswith(".github/workflows/"):
                yield from _build_push_action(f.text, rel, path)


def _compose(text: str, base: str, rel: str, path: str) -> Iterator[tuple[str, str, str | None]]:
    data = _yaml(text)
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return
    for name, service in services.items():
        build = service.get("build") if isinstance(service, dict) else None
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict) or "://" in str(build.get("context", "")):
            continue
        context = _norm(posixpath.join(base, str(build.get("context", "."))))
        dockerfile = _norm(posixpath.join(context, str(build.get("dockerfile", "Dockerfile"))))
        if dockerfile == path:
            target = build.get("target")
            yield context, f"{rel}: service '{name}' builds it", str(target) if target else None


def _build_commands(text: str, rel: str, path: str) -> Iterator[tuple[str, str, str | None]]:
    for m in _DOCKER_BUILD.finditer(text):
        try:
            words = shlex.split(m.group(1).replace("\\\n", " "))
        except ValueError:
            continue
        file, target, positional = "", None, []
        it = iter(words)
        for word in it:
            if word in ("-f", "--file"):
                file = next(it, "")
            elif word.startswith("--file="):
                file = word.split("=", 1)[1]
            elif word == "--target":
                target = next(it, None)
            elif word.startswith("--target="):
                target = word.split("=", 1)[1]
            elif word in ("-t", "--tag", "--build-arg", "--platform", "--cache-from", "--label", "--secret"):
                next(it, None)
            elif not word.startswith("-"):
                positional.append(word)
        if not positional or "$" in positional[-1]:
            continue
        context = _norm(positional[-1])
        dockerfile = _norm(file) if file else _norm(posixpath.join(context, "Dockerfile"))
        if dockerfile == path:
            yield context, f"{rel}: 'docker build' builds it", target


def _build_push_action(text: str, rel: str, path: str) -> Iterator[tuple[str, str, str | None]]:
    data = _yaml(text)
    jobs = data.get("jobs") if isinstance(data, dict) else None
    for job in (jobs or {}).values() if isinstance(jobs, dict) else ():
        for step in job.get("steps", []) if isinstance(job, dict) else ():
            if not isinstance(step, dict) or "docker/build-push-action" not in str(step.get("uses", "")):
                continue
            with_ = step.get("with") or {}
            context = str(with_.get("context", "."))
            if "${{" in context or "://" in context:
                continue
            context = _norm(context)
            file = str(with_.get("file", posixpath.join(context, "Dockerfile")))
            if _norm(file) == path:
                target = with_.get("target")
                yield context, f"{rel}: docker/build-push-action builds it", str(target) if target else None


def _by_sources(project: Project, path: str, df: Dockerfile) -> str:
    sources = [s.strip("'\"").removeprefix("./").strip("/") for ins in df.instructions
               if ins.cmd in ("COPY", "ADD") and ins.flag("from") is None and not ins.heredocs
               for s in ins.value[:-1] if "$" not in s and "://" not in s and "*" not in s]
    sources = [s for s in sources if s not in ("", ".")]
    folder = posixpath.dirname(path)
    best, best_score = folder, -1
    while True:
        prefix = f"{folder}/" if folder else ""
        score = sum(project.exists(prefix + s) for s in sources)
        if score > best_score:
            best, best_score = folder, score
        if not folder or score == len(sources):
            return best
        folder = posixpath.dirname(folder)


def _norm(path: str) -> str:
    path = posixpath.normpath(path.strip().removeprefix("./")) if path.strip() else "."
    return "" if path in (".", "") else path.strip("/")


def _yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None
