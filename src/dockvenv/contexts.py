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
from dockvenv.project import Project, is_compose_file, per_project

# One command: up to a newline, ``;``, ``&`` or ``|``, across backslash-newline continuations.
_DOCKER_BUILD = re.compile(r"\b(?:docker|podman)\s+(?:buildx\s+|image\s+)?build\b((?:[^\n;&|\\]|\\\r?\n|\\.)*)")
_GITHUB_EXPR = re.compile(r"\$\{\{.*?\}\}")
_VALUE_OPTIONS = frozenset({
    "-t", "--tag", "--build-arg", "--platform", "--cache-from", "--cache-to", "--label", "--secret", "--ssh",
    "-o", "--output", "--network", "--progress", "--build-context", "--iidfile", "--add-host", "--shm-size",
    "--ulimit", "-m", "--memory", "--metadata-file", "--annotation", "--attest", "--builder", "--allow",
    "--cgroup-parent", "--isolation", "--memory-swap", "--cpu-shares", "--cpuset-cpus", "--security-opt",
})
Build = tuple[str, str, str, "str | None"]  # (Dockerfile built, context, evidence, target)


@dataclass(frozen=True)
class Context:
    folder: str  # relative to the project root; "" is the root
    evidence: str  # one line: where the choice comes from
    targets: tuple[str, ...] = ()  # stage names other files build with --target


def resolve(project: Project, path: str, df: Dockerfile, override: str | None = None) -> Context:
    if override is not None:
        return Context(_norm(override), "--context on the command line")
    found = _declared(project).get(path, [])
    if found:
        folder, evidence = found[0][0], found[0][1]
        targets = tuple(sorted({t for f, _e, t in found if t and f == folder}))
        return Context(folder, evidence, targets)
    return Context(_by_sources(project, path, df), "the folder holding the files its COPY/ADD name")


@per_project
def _declared(project: Project) -> dict[str, list[tuple[str, str, str | None]]]:
    """Dockerfile -> (context, evidence, target) from compose files, then CI workflows and Makefiles;
    for all Dockerfiles at once, read once per project (per Dockerfile, a monorepo was quadratic)."""
    out: dict[str, list[tuple[str, str, str | None]]] = {}
    for dockerfile, context, evidence, target in _builds(project):
        out.setdefault(dockerfile, []).append((context, evidence, target))
    return out


def _builds(project: Project) -> Iterator[Build]:
    files = sorted(project.files.items())
    for rel, f in files:
        if is_compose_file(rel.rsplit("/", 1)[-1]):
            yield from _compose(f.text, posixpath.dirname(rel), rel)
    for rel, f in files:
        name = rel.rsplit("/", 1)[-1]
        base = posixpath.dirname(rel)
        if rel.startswith(".github/workflows/"):
            yield from _workflow(f.text, rel)
        elif name in ("Makefile", ".gitlab-ci.yml"):
            # make runs in the Makefile's folder; GitLab jobs start at the repository root
            yield from _build_commands(f.text, rel, base if name == "Makefile" else "")


def _compose(text: str, base: str, rel: str) -> Iterator[Build]:
    data = _yaml(text)
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return
    for name, service in services.items():
        build = service.get("build") if isinstance(service, dict) else None
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict) or re.search(r"://|\$", str(build.get("context", ""))):
            continue
        context = _norm(posixpath.join(base, str(build.get("context", "."))))
        dockerfile = _norm(posixpath.join(context, str(build.get("dockerfile", "Dockerfile"))))
        target = build.get("target")
        yield dockerfile, context, f"{rel}: service '{name}' builds it", str(target) if target else None


def _build_commands(text: str, rel: str, cwd: str = "") -> Iterator[Build]:
    for m in _DOCKER_BUILD.finditer(text):
        try:
            words = shlex.split(_GITHUB_EXPR.sub("$GITHUB_EXPR", re.sub(r"\\\r?\n", " ", m.group(1))))
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
            elif word in _VALUE_OPTIONS:
                next(it, None)
            elif not word.startswith("-"):
                positional.append(word)
        if not positional or "$" in positional[-1]:
            continue
        context = _norm(posixpath.join(cwd, positional[-1]))
        dockerfile = _norm(posixpath.join(cwd, file)) if file else _norm(posixpath.join(context, "Dockerfile"))
        yield dockerfile, context, f"{rel}: 'docker build' builds it", target


def _workflow(text: str, rel: str) -> Iterator[Build]:
    """``run:`` steps (in their ``working-directory``) and docker/build-push-action steps."""
    data = _yaml(text)
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        yield from _build_commands(text, rel)
        return
    top = _working_directory(data)
    for job in jobs.values():
        if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
            continue
        job_cwd = _working_directory(job) or top
        for step in job["steps"]:
            if not isinstance(step, dict):
                continue
            if isinstance(step.get("run"), str):
                cwd = str(step.get("working-directory") or job_cwd)
                if "${{" not in cwd:
                    yield from _build_commands(step["run"], rel, _norm(cwd))
            elif "docker/build-push-action" in str(step.get("uses", "")):
                yield from _build_push_action(step.get("with") or {}, rel)


def _working_directory(node: dict[str, Any]) -> str:
    defaults = node.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    return str(run.get("working-directory") or "") if isinstance(run, dict) else ""


def _build_push_action(with_: dict[str, Any], rel: str) -> Iterator[Build]:
    context = str(with_.get("context", "."))
    if "${{" in context or "://" in context:
        return
    context = _norm(context)
    file = str(with_.get("file", posixpath.join(context, "Dockerfile")))
    target = with_.get("target")
    yield _norm(file), context, f"{rel}: docker/build-push-action builds it", str(target) if target else None


def _by_sources(project: Project, path: str, df: Dockerfile) -> str:
    """The nearest folder, up from the Dockerfile's, holding the most COPY/ADD sources; a source
    that is missing (generated, or a tree we only partly see) counts a little when its folder is there."""
    sources = [_norm(s.strip("'\"")) for ins in df.instructions
               if ins.cmd in ("COPY", "ADD") and ins.flag("from") is None and not ins.heredocs
               for s in ins.value[:-1] if not re.search(r"[$*?\[]|://", s)]
    sources = [s for s in sources if s]
    folder = posixpath.dirname(path)
    best, best_score = folder, (-1, -1)
    while True:
        prefix = f"{folder}/" if folder else ""
        found = [project.exists(prefix + s) for s in sources]
        score = (sum(found), sum(not f and "/" in s and project.exists(prefix + posixpath.dirname(s))
                                 for s, f in zip(sources, found)))
        if score > best_score:
            best, best_score = folder, score
        if not folder or score[0] == len(sources):
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
