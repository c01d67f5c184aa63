"""Rewrite one Dockerfile into the uv-wheel multi-stage build (pure: text in, text out).

The runtime stage (the last one, and the stages it is built ``FROM``) loses the venv:
creation, activation, ``VIRTUAL_ENV``, venv ``PATH`` entries, venv-qualified programs,
``poetry run``/``uv run`` prefixes and venv copies from other stages.  Its source-tree
installs give way to two installs from a ``dockvenv-builder`` stage, mounted with
``RUN --mount=from=``: the locked dependency set in its own cached layer (when the
project has a lock), then the project's wheel.  ``.env`` sources leave every
COPY/ADD.  Every other instruction, comment and byte stays where it was.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from functools import cached_property
from typing import Callable
from dataclasses import dataclass, field

from dockvenv.analysis import (
    BUILD_TOOLS,
    Facts,
    PipInstall,
    absolute,
    from_mount_install,
    Step,
    activated,
    analyze,
    expand,
    expanded,
    is_local_path,
    pip_install,
    venv_created,
    venv_of_executable,
    path_venvs,
    env_pairs,
    mounted_from,
)
from dockvenv.dockerfile import Dockerfile, Instruction, Stage, parse, splice, split_lines
from dockvenv.rules.dv106_tool_venv import tool_venv
from dockvenv.rules.dv202_source_tree_copied import is_whole_context
from dockvenv.rules.dv301_env_copied import env_sources
from dockvenv.rules.dv501_pep668 import distro_python
from dockvenv.rewrite.words import WordEdit
from dockvenv.shell import Command, commands, remove_commands, shell_script

BUILDER = "dockvenv-builder"
_EXE = re.compile(r"(?P<path>[^\s\"'\[\],=;&|()]*?/bin/)(?P<exe>[A-Za-z_][\w.+-]*)")
_ACTIVATE = re.compile(r"(?:\.|source)\s+[^\s;&|\"']*bin/activate\s*(?:&&|;)\s*")
_RUNNER = re.compile(r"\b(?:poetry|pipenv|uv)\s+run\s+(?=[^-\s])")
_PACKAGING = ("pyproject.toml", "setup.py", "setup.cfg", "requirements", "poetry.lock", "uv.lock",
              "Pipfile", "README", "LICENSE", "MANIFEST.in", "pdm.lock")
_SPECIAL_SOURCES = frozenset({"--prefix", "--target", "--index-url", "--extra-index-url", "--find-links", "-i", "-f",
                              "--index-strategy", "--index", "--default-index", "--no-index"})
_IN_PROJECT_VARS = frozenset({"PIPENV_VENV_IN_PROJECT", "POETRY_VIRTUALENVS_IN_PROJECT", "UV_PROJECT_ENVIRONMENT"})
_DIRECTIVE_LINE = re.compile(r"\s*#\s*(syntax|escape|check)\s*=", re.I)
_PIP_INSTALL = re.compile(r"\b(?:pip3?|python3?(?:\.\d+)? -m pip) install\b")
_WINDOWS_SHELL = re.compile(r"\b(?:powershell|pwsh|cmd)(?:\.exe)?\b", re.I)
_WINDOWS_BASE = re.compile(r"windows(?:servercore)?[/:-]|nanoserver|servercore|mcr\.microsoft\.com/windows", re.I)
_DEV_REQUIREMENTS = re.compile(r"(?:^|[-_.])(?:dev|develop|development|test|tests|testing|lint|docs|ci)(?:[-_.]|$)",
                               re.I)
_TEST_RUNNERS = frozenset({"pytest", "py.test", "tox", "nox", "unittest"})
_PIP_SELF = frozenset({"pip", "setuptools", "wheel"}) | BUILD_TOOLS


@dataclass(frozen=True)
class BuildSpec:
    """What the builder stage needs to know about the project it builds."""

    subdirs: tuple[str, ...] = (".",)  # the project folders inside the build context, in install order
    lock: str | None = None  # "uv", "poetry" or "requirements:<path>"
    vcs_version: bool = False
    packageable: bool = True
    project_paths: frozenset[str] = frozenset()  # where the original put those projects in the image
    prune: tuple[str, ...] = ()  # dev tools moved out of the dependencies but still in the uv.lock


@dataclass(frozen=True)
class Options:
    uv_version: str = "0.13.9"
    uv_source: str = "pip"
    syntax_directive: bool = True
    compile_bytecode: bool = True
    builder_base: str = ""
    poetry_version: str = "2.1.3"


@dataclass(frozen=True)
class Result:
    after: str
    reasons: tuple[str, ...] = ()
    unsupported: str | None = None
    notes: tuple[str, ...] = field(default=())


def unsupported_reason(df: Dockerfile) -> str | None:
    """Why a Dockerfile must be left alone, or None."""
    if any("{{" in ins.keyword or "{%" in ins.args or "{{" in ins.args for ins in df.instructions):
        return "a Jinja-templated Dockerfile: migrate the template's output, not the template"
    if df.escape == "`" or any(i.cmd == "SHELL" and _WINDOWS_SHELL.search(i.args) for i in df.instructions):
        return "a Windows Dockerfile (PowerShell or cmd SHELL, or escape=`)"
    for ins in df.instructions:
        if ins.cmd == "RUN" and re.search(r"\b(conda|mamba|micromamba)\s+(create|install|env)\b", ins.args):
            return "a conda environment: dockvenv migrates pip/uv/poetry venvs only"
        base = expand(ins.args, {k: v for a in df.global_args for k, v in env_pairs(a)})
        if ins.cmd == "FROM" and re.search(r"sclorg/python|ubi\d*/python|s2i", base):
            return f"base image {base.split()[0]} ships its own activated venv"
        if ins.cmd == "FROM" and _WINDOWS_BASE.search(base):
            return f"a Windows Dockerfile (base image {base.split()[0]})"
    return None


def migrate(df: Dockerfile, spec: BuildSpec, opts: Options, stage_names_used: frozenset[str] = frozenset(),
            runtime_files: tuple[str, ...] = (), in_context: Callable[[str], bool] = lambda p: False) -> Result:
    """The migrated text of ``df``; ``in_context`` tells whether a path exists in the build context."""
    reason = unsupported_reason(df)
    if reason:
        return Result(df.text, unsupported=reason)
    if not df.stages:
        return Result(df.text)
    facts = analyze(df)
    return _Rewriter(df, facts, spec, opts, stage_names_used, runtime_files, in_context).run()


class _Rewriter:
    def __init__(self, df: Dockerfile, facts: Facts, spec: BuildSpec, opts: Options,
                 stage_names_used: frozenset[str], runtime_files: tuple[str, ...],
                 in_context: Callable[[str], bool]) -> None:
        self.in_context = in_context
        self.df, self.facts, self.spec, self.opts = df, facts, spec, opts
        self.stage_names_used = stage_names_used
        self.runtime_files = runtime_files
        self.edits: dict[int, str] = {}  # start_line -> replacement text of that instruction
        self.reasons: list[str] = []
        self.notes: list[str] = []
        self.nl = df.newline
        final = df.stages[-1]
        self.distro = distro_python(_root_base(df, final), [w for s in facts.steps for c in s.commands for w in c.argv])
        self.python = "python3"
        self.install_at: Instruction | None = None  # where the wheel install goes
        self.extras: tuple[str, ...] = ()
        self.extra_packages: tuple[str, ...] = ()  # installed into the copied venv beside the project
        self.extra_args: dict[str, str] = {}  # ARG lines those installs need in the runtime stage

    def reason(self, text: str) -> None:
        if text not in self.reasons:
            self.reasons.append(text)

    def run(self) -> Result:
        runtime_steps = [s for s in self.facts.steps if self.facts.in_runtime(s) and s.ins.cmd != "FROM"]
        used = self._venv_folder_used(runtime_steps) if not self.spec.packageable else None
        if used:
            return Result(self.df.text, unsupported=f"later steps use the venv folder itself ({used}), and the "
                          "project has no packaging (pyproject.toml/setup.py) to build a wheel from")
        if not self.spec.packageable and any(self._venv_copy(s) for s in runtime_steps):
            return Result(self.df.text, unsupported="the runtime stage copies a venv built in another stage, and "
                          "the project has no packaging (pyproject.toml/setup.py) to build a wheel from")
        for step in runtime_steps:
            self._runtime_step(step)
        dead = self._dead_stages()
        # a builder already there is ours from an earlier run: a second one is a duplicate stage name
        needs_builder = self.install_at is not None and self.spec.packageable and _stage_by_ref(self.df, BUILDER) is None
        if needs_builder and self.install_at is not None:
            self.edits.setdefault(self.install_at.start_line, _ensure_newline(self.df.span_text(self.install_at), self.nl))
        if self.install_at is not None and not self.spec.packageable:
            self.notes.append("the project has no packaging (pyproject.toml/setup.py): "
                              "the source-tree install stays until it is made packageable")
        edits = self._edits(dead, needs_builder)
        if not edits:
            return Result(self.df.text)
        after = _no_new_blank_runs(self.df.text, splice(self.df.text, edits))
        if self.df.text.startswith("\ufeff") and not after.startswith("\ufeff"):
            after = "\ufeff" + after.replace("\ufeff", "", 1)  # the BOM stays the first bytes
        if needs_builder:
            after = self._with_directive(after)
        return Result(after, tuple(self.reasons), None, tuple(self.notes))

    # -- the runtime stage, instruction by instruction -------------------------------
    def _runtime_step(self, step: Step) -> None:
        ins = step.ins
        if ins.cmd == "RUN":
            self._run(step)
        elif ins.cmd == "ENV":
            self._env(step)
        elif ins.cmd in ("COPY", "ADD"):
            self._copy(step)
        elif ins.cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            new = self._programs(self.df.span_text(ins), step)
            if new != self.df.span_text(ins):
                self.edits[ins.start_line] = new
                self.reason(f"DV104: {ins.cmd} runs programs by name, not from the venv")

    def _run(self, step: Step) -> None:
        ins, text = step.ins, self.df.span_text(step.ins)
        if mounted_from(ins):
            new = self._programs(text, step)
            if new != text:
                self.edits[ins.start_line] = new
            return
        if ins.json:
            self._exec_form(step)
            return
        head, body = _split_head(text, ins)
        actions: dict[tuple[int, int], WordEdit | None] = {}  # span -> None (drop) or the edit
        keep = 0
        for cmd in [c for c in step.commands if not c.nested]:
            if self._drop(cmd, step):
                self._mark_install(ins, cmd)
                actions[(cmd.start, cmd.end)] = None
                continue
            replacement = self._replacement(cmd, step)
            if replacement is not None:
                self._mark_install(ins, cmd)
                actions[(cmd.start, cmd.end)] = replacement
            if cmd.argv and cmd.argv[0] not in ("cd", "true", ":", "set") and not _heredoc_word(cmd):
                keep += 1
        drop = [span for span, act in actions.items() if act is None]
        if ins.heredocs:
            new_body = body if not drop else self._drop_heredoc_lines(body, step)
        else:
            new_body = body
            cmd_at = {c.start: c for c in commands(body) if not c.nested}
            for (start, end), act in sorted(_rebase(actions, body, step).items(), reverse=True):
                if act is None:
                    new_body = remove_commands(new_body, [(start, end)])
                else:
                    new_body = new_body[:start] + act.apply(new_body[start:end], cmd_at[start]) + new_body[end:]
        new = self._pep668(self._programs(head + new_body, step), step)
        if (drop and keep == 0) or (ins.heredocs and not _heredoc_has_commands(new)):
            self.edits[ins.start_line] = ""
        elif new != text:
            self.edits[ins.start_line] = _ensure_newline(new, self.nl)
            if new_body != body:
                self.reason("DV101/DV102/DV201: venv and source-tree install commands removed")

    def _exec_form(self, step: Step) -> None:
        """A JSON-form RUN goes whole, or loses the venv commands of its ``sh -c`` script."""
        ins = step.ins
        cmd = Command(ins.value, (), 0, 0)
        if self._drop(cmd, step):
            self._mark_install(ins, cmd)
            self.edits[ins.start_line] = ""
            return
        script = shell_script(cmd.argv)
        gone = [c for c in commands(script) if not c.nested and self._drop(c, step)] if script is not None else []
        if not gone or script is None:
            return
        for c in gone:
            self._mark_install(ins, c)
        argv = list(ins.value)
        argv[len(argv) - 1 - argv[::-1].index(script)] = remove_commands(script, [(c.start, c.end) for c in gone])
        head, _body = _split_head(self.df.span_text(ins), ins)
        self.edits[ins.start_line] = head + json.dumps(argv, ensure_ascii=False) + self.nl
        self.reason("DV101/DV102/DV201: venv and source-tree install commands removed")

    def _replacement(self, cmd: Command, step: Step) -> WordEdit | None:
        """A runtime command that stays, changed: extra targets of a project install, or a
        tool that must now install into the image's Python."""
        argv = list(cmd.argv)
        pip = pip_install(expanded(cmd, step))
        if pip is not None and self.spec.packageable and self._is_project_install(pip, step):
            others = [t for t in pip.targets if not is_local_path(t)]
            if others:
                raw = pip_install(cmd)
                drop = set(raw.local_targets if raw else ()) | set(pip.local_targets)
                gone: set[int] = set()
                for i, word in enumerate(argv):
                    if i - 1 in gone and argv[i - 1] in ("-e", "--editable"):
                        gone.add(i)
                    elif word in ("-e", "--editable") or word in drop or word.split("[", 1)[0] in drop:
                        gone.add(i)
                self.reason("DV201: the project's install replaced by the wheel; other packages kept")
                return WordEdit(drop=frozenset(gone))
        if not self.facts.venvs and not any(tool_venv(c, s.vars) for s in self.facts.steps for c in s.commands):
            return None
        if pip is not None and pip.via_uv and not ({"--system", "--python", "-p", "--target", "--prefix"}
                                                   & pip.options):
            self.reason("DV101: uv pip installs into the image's Python (--system)")
            return WordEdit(insert_after=((argv.index("install"), "--system"),))
        if not self.spec.packageable and tool_venv(cmd, step.vars):
            if argv[0].endswith("pipenv") and "--system" not in argv:
                self.reason("DV106: pipenv installs into the image's Python (--system)")
                return WordEdit(drop_env=_IN_PROJECT_VARS, insert_after=((len(argv) - 1, "--system"),))
            if argv[0].endswith("poetry") and "POETRY_VIRTUALENVS_CREATE" not in dict(cmd.env):
                self.reason("DV106: poetry installs into the image's Python")
                return WordEdit(drop_env=_IN_PROJECT_VARS, prefix="POETRY_VIRTUALENVS_CREATE=false ")
        return None

    def _pep668(self, text: str, step: Step) -> str:
        """Installs that ran in the venv now run in a distro Python that PEP 668 guards."""
        if not self.distro or not self.facts.venvs or step.vars.get("PIP_BREAK_SYSTEM_PACKAGES"):
            return text
        new = _PIP_INSTALL.sub(lambda m: m.group(0) if "--break-system-packages" in m.string[m.end():m.end() + 200]
                               .split("&&")[0] else m.group(0) + " --break-system-packages", text)
        if new != text:
            self.reason("DV501: installs into the distro Python pass --break-system-packages")
        return new

    def _drop_heredoc_lines(self, body: str, step: Step) -> str:
        out = []
        for line in body.splitlines(keepends=True):
            from dockvenv.shell import commands

            cmds = commands(line)
            if cmds and all(self._drop(c, step, mark=False) for c in cmds if not c.nested):
                continue
            out.append(line)
        return "".join(out)

    def _drop(self, cmd: Command, step: Step, mark: bool = True) -> bool:
        """Whether a runtime command is venv or source-install noise."""
        full = expanded(cmd, step)
        if venv_created(full, step.workdir):
            mark and self.reason("DV101: venv creation removed")
            return True
        if activated(full, step.workdir):
            mark and self.reason("DV102: venv activation removed")
            return True
        if tool_venv(cmd, step.vars):
            if not self.spec.packageable:
                return False
            self._tool_extras(cmd)
            mark and self.reason("DV106: project venv install replaced by the wheel install")
            return True
        if full.argv[:2] in (("poetry", "config"), ("poetry", "lock"), ("uv", "lock"), ("pipenv", "lock")):
            return True
        script = shell_script(cmd.argv)
        if script is not None:
            inner = [c for c in commands(script) if not c.nested]
            real = [c for c in inner if c.argv and c.argv[0] not in ("cd", "true", ":", "set", "exec")]
            return bool(real) and all(self._drop(c, step, mark) for c in real)
        pip = pip_install(full)
        if pip is None:
            return False
        names = {_dist_name(t) for t in pip.targets}
        if self._is_project_install(pip, step):
            if not self.spec.packageable or [t for t in pip.targets if not is_local_path(t)]:
                return False  # kept (light mode), or rewritten to keep its other packages
            for target in pip.local_targets:
                if "[" in target:
                    self.extras = tuple(target.split("[", 1)[1].rstrip("]'\"").split(","))
            mark and self.reason("DV201: source-tree install replaced by the wheel install")
            return True
        if pip.targets and names <= _PIP_SELF and not names & self._tools_still_run():
            mark and self.reason("DV203: build tools no longer installed in the runtime image")
            return True
        return False

    def _is_project_install(self, pip: PipInstall, step: Step) -> bool:
        """An install of the project from the build context (not of a cloned or built artifact)."""
        if from_mount_install(step.ins, pip):
            return False
        outputs = {a.split("=", 1)[-1] for c in step.commands for i, a in enumerate(c.argv)
                   if a.startswith(("--output-file", "-o=", "--output="))} | {
            c.argv[i + 1] for c in step.commands for i, a in enumerate(c.argv[:-1])
            if a in ("-o", "--output-file", "--output")}
        if any(r not in outputs and not _DEV_REQUIREMENTS.search(r.rsplit("/", 1)[-1]) for r in pip.requirements):
            return True  # the project's dependencies; a file of dev tools is not the project
        return any(self._from_context(t, step) for t in pip.local_targets)

    def _from_context(self, target: str, step: Step) -> bool:
        path = expand(target.split("[", 1)[0].strip("'\""), step.vars)
        if not path.startswith("/"):
            return True
        path = posixpath.normpath(path)
        for s in self.facts.steps:
            ins = s.ins
            dests: list[str] = []
            if ins.cmd in ("COPY", "ADD") and ins.flag("from") is None and not ins.heredocs and ins.value:
                dests.append(ins.value[-1])
            dests += [m.split("target=", 1)[1].split(",", 1)[0] for m in ins.flag_values("mount")
                      if "target=" in m and "from=" not in m and "type=cache" not in m]
            for dest in dests:
                full = absolute(expand(dest, s.vars), s.workdir).rstrip("/") or "/"
                if full != "/" and (path == full or path.startswith(full + "/") or full.startswith(path + "/")):
                    return True
        return False

    def _tool_extras(self, cmd: Command) -> None:
        argv = list(cmd.argv)
        extras = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("--extras", "-E", "--extra")]
        extras += [a.split("=", 1)[1] for a in argv if a.startswith(("--extras=", "--extra="))]
        if extras:
            self.extras = tuple(e for x in extras for e in x.replace(",", " ").split())

    def _tools_still_run(self) -> set[str]:
        """Programs that runtime commands which stay in the image still run."""
        used = set()
        for s in self.facts.steps:
            if not self.facts.in_runtime(s):
                continue
            for c in s.commands:
                full = expanded(c, s)
                pip = pip_install(full)
                if not c.argv or venv_created(full, s.workdir) or activated(full, s.workdir) \
                        or (pip is not None and not self._kept_install(pip, s)) \
                        or (self.spec.packageable and tool_venv(c, s.vars)) \
                        or c.argv[:2] in (("poetry", "config"), ("poetry", "lock"), ("uv", "lock")):
                    continue
                used.add(c.program)
            if s.ins.cmd in ("CMD", "ENTRYPOINT") and s.ins.value:
                words = list(s.ins.value) if s.ins.json else s.ins.args.split()
                words = _strip_runner(words) if self._migrating else words
                used.update(w.rsplit("/", 1)[-1] for w in words[:1])
        return used - {"pip", "pip3", "python", "python3"}

    def _kept_install(self, pip: PipInstall, step: Step) -> bool:
        """An install that stays (``uv pip install gunicorn`` still needs uv), not the project's
        (the wheel replaces it) nor one of build tools only (which goes)."""
        if from_mount_install(step.ins, pip):
            return False
        if self.spec.packageable and self._is_project_install(pip, step) and all(is_local_path(t) for t in pip.targets):
            return False
        return not (pip.targets and {_dist_name(t) for t in pip.targets} <= _PIP_SELF)

    @cached_property
    def _migrating(self) -> bool:
        """The runtime stage has a venv or a tool-made venv to remove."""
        return bool(self.facts.venvs) or any(
            tool_venv(c, s.vars) for s in self.facts.steps if self.facts.in_runtime(s) for c in s.commands)

    def _mark_install(self, ins: Instruction, cmd: Command) -> None:
        if self.install_at is not None or self.df.stage_of(ins).index not in self.facts.runtime:  # type: ignore[union-attr]
            return
        step = self.facts.by_instruction[id(ins)]
        script = shell_script(cmd.argv)
        cmds = [c for c in commands(script) if not c.nested] if script is not None else [cmd]
        for c in cmds:
            pip = pip_install(expanded(c, step))
            if (pip is not None and self._is_project_install(pip, step)) or tool_venv(c, step.vars) is not None:
                self.install_at = ins
                return

    def _env(self, step: Step) -> None:
        pairs = env_pairs(step.ins)
        raw = _raw_pairs(step.ins)
        kept: list[str] = []
        changed = False
        for (key, val), word in zip(pairs, raw):
            if key == "VIRTUAL_ENV":
                changed = True
                continue
            if key == "PATH":
                venv_entries = path_venvs(val, self.facts.venvs)
                if venv_entries:
                    changed = True
                    rest = [e for e in val.split(":") if e.strip("'\"") not in venv_entries and e not in venv_entries]
                    if [e for e in rest if e.strip("'\"") not in ("$PATH", "${PATH}")]:
                        kept.append(f'PATH="{":".join(e.strip(chr(34)) for e in rest)}"')
                    continue
            kept.append(word)
        if not changed:
            return
        self.reason("DV103: VIRTUAL_ENV and venv PATH entries removed")
        if not kept:
            self.edits[step.ins.start_line] = ""
            return
        sep = " " if step.ins.start_line == step.ins.end_line else f" \\{self.nl}    "
        self.edits[step.ins.start_line] = f"{step.ins.keyword} {sep.join(kept)}{self.nl}"

    def _copy(self, step: Step) -> None:
        ins = step.ins
        if ins.heredocs or len(ins.value) < 2:
            return
        sources, dest = list(ins.value[:-1]), ins.value[-1]
        from_stage = ins.flag("from")
        if from_stage is not None and re.search(r"astral-sh/uv[:@]", from_stage):
            if self.spec.packageable and self._migrating and "uv" not in self._tools_still_run() \
                    and self._installs_in_runtime():
                self.reason("DV203: uv no longer copied into the runtime image")
                self.edits[ins.start_line] = ""
            return
        if from_stage is not None and self.spec.packageable and self._migrating and self.spec.project_paths and all(
                absolute(expand(src, step.vars).rstrip("/"), step.workdir) in self.spec.project_paths
                for src in sources) and self._is_python_stage(from_stage):
            self.reason("DV201: project source copied from the build stage replaced by its wheel")
            self._replace_stage_copy(ins, from_stage)
            return
        if from_stage is not None:
            from dockvenv.rules.dv105_venv_copied import venv_sources

            venvs = venv_sources(tuple(sources), step.vars, step.workdir, self.facts.venvs)
            if venvs and set(venvs) == set(sources) and self._is_python_stage(from_stage):
                self.reason("DV105: venv copy replaced by the locked dependencies and the wheel")
                self._replace_stage_copy(ins, from_stage)
            return
        drop = set(env_sources(tuple(sources)))
        if drop:
            self.reason("DV301: .env no longer copied into the image")
        if self.spec.packageable and self._installs_in_runtime():
            drop |= {s for s in sources if _is_packaging(s) or self._is_package_dir(s)}
            used = self._later_context_files(ins)
            tests = self._test_runner()
            if used:
                self.notes.append(f"line {ins.start_line}: kept '{ins.cmd} {' '.join(sources)}': "
                                  f"later instructions use {', '.join(used[:3])} from the source tree")
            elif tests:
                self.notes.append(f"line {ins.start_line}: kept '{ins.cmd} {' '.join(sources)}': "
                                  f"the image runs {tests} on the source tree")
            else:
                drop |= {s for s in sources if is_whole_context(s)}
        if not drop:
            return
        left = [s for s in sources if s not in drop]
        if not left:
            self.edits[ins.start_line] = ""
            return
        self.edits[ins.start_line] = _copy_text(ins, left, dest, self.nl)

    def _test_runner(self) -> str | None:
        """The test runner the runtime stage's CMD/ENTRYPOINT starts: its tests are in the source tree."""
        for s in self.facts.steps:
            if s.ins.cmd in ("CMD", "ENTRYPOINT") and self.facts.in_runtime(s) and s.ins.value:
                words = _strip_runner(list(s.ins.value) if s.ins.json else s.ins.args.split())
                words = words[2:] if len(words) > 2 and words[1] == "-m" else words[:1]
                if words and words[0].rsplit("/", 1)[-1] in _TEST_RUNNERS:
                    return words[0].rsplit("/", 1)[-1]
        return None

    def _replace_stage_copy(self, ins: Instruction, from_stage: str) -> None:
        """Drop a venv or project copy; the wheel install takes its place, with the
        other packages the build stage put into that venv (gunicorn, say)."""
        self.edits[ins.start_line] = ""
        if self.install_at is None and self.df.stage_of(ins).index in self.facts.runtime:  # type: ignore[union-attr]
            self.install_at = ins
        st = _stage_by_ref(self.df, from_stage)
        for s in self.facts.steps:
            if s.stage is not st:
                continue
            for c in s.commands:
                pip = pip_install(expanded(c, s))
                if pip is None or pip.requirements or pip.options & _SPECIAL_SOURCES:
                    continue  # from another index, prefix or target: not ours to carry over
                raw = pip_install(c)
                in_scope = self.facts.by_instruction[id(self.install_at)].vars if self.install_at else {}
                for target, written in zip(pip.targets, raw.targets if raw else pip.targets):
                    if not is_local_path(target) and _dist_name(target) not in _PIP_SELF \
                            and not re.search(r"[$*/]|\.(whl|tar\.gz|zip)$", target):
                        # keep ${VERSION} when the runtime stage declares it, so --build-arg still works
                        names = re.findall(r"\$\{?(\w+)", written)
                        args = {n: self._arg_line(n, st) for n in names if n not in in_scope}
                        if all(args.values()):
                            self.extra_args.update(args)  # type: ignore[arg-type]
                            keep = written
                        else:
                            keep = target
                        self.extra_packages = tuple(dict.fromkeys((*self.extra_packages, keep)))

    def _arg_line(self, name: str, stage: Stage | None) -> str | None:
        """The ARG line that brings ``name`` into the runtime stage: a global ARG is
        re-declared, a build-stage ARG is repeated with its default."""
        if any(k == name for a in self.df.global_args for k, _v in env_pairs(a)):
            return f"ARG {name}"
        for ins in stage.instructions if stage else ():
            if ins.cmd == "ARG" and any(k == name for k, _v in env_pairs(ins)):
                word = next(w for w in ins.value if w.split("=", 1)[0] == name)
                return f"ARG {word}"
        return None

    def _is_package_dir(self, src: str) -> bool:
        """A folder of the context that is a Python package or an installed project: the wheel carries it."""
        rel = src.strip("'\"").removeprefix("./").rstrip("/")
        if rel in self.spec.subdirs and rel not in (".", ""):
            return True  # a project this image installs: its wheel carries it, whatever its layout
        return bool(rel) and "*" not in rel and self.in_context(f"{rel}/__init__.py")

    def _later_context_files(self, ins: Instruction) -> list[str]:
        """Source-tree paths that RUN steps after ``ins`` in the runtime stage work on."""
        used = []
        for s in self.facts.steps:
            if s.ins.start_line <= ins.start_line or not self.facts.in_runtime(s) or s.ins.cmd != "RUN":
                continue
            if mounted_from(s.ins):
                continue
            for c in s.commands:
                if self._drop(c, s, mark=False):
                    continue
                for word in c.argv:
                    rel = word.split("*", 1)[0].removeprefix("./").rstrip("/")
                    if rel not in ("", ".") and not rel.startswith(("-", "/", "$")) and self.in_context(rel) \
                            and not _is_packaging(rel):
                        used.append(rel)
        return list(dict.fromkeys(used))

    def _venv_folder_used(self, steps: list[Step]) -> str | None:
        """A venv path that kept commands work on as a folder (strip it, copy it, touch it)."""
        for step in steps:
            for cmd in step.commands:
                if self._drop(cmd, step, mark=False):
                    continue
                for word in expanded(cmd, step).argv[1:]:
                    if "/bin/" in word or word.startswith("-"):
                        continue
                    path = absolute(word.rstrip("/"), step.workdir) if not word.startswith("$") else word
                    for venv in self.facts.venvs:
                        if path == venv or path.startswith(venv + "/"):
                            return word
        return None

    def _venv_copy(self, step: Step) -> bool:
        from dockvenv.rules.dv105_venv_copied import venv_sources

        ins = step.ins
        return ins.cmd == "COPY" and ins.flag("from") is not None and bool(
            venv_sources(ins.value[:-1], step.vars, step.workdir, self.facts.venvs))

    def _installs_in_runtime(self) -> bool:
        for s in self.facts.steps:
            if not self.facts.in_runtime(s):
                continue
            for c in s.commands:
                pip = pip_install(expanded(c, s))
                if (pip and (pip.local_targets or pip.requirements) and self._is_project_install(pip, s)) \
                        or tool_venv(c, s.vars):
                    return True
            if s.ins.cmd == "COPY" and s.ins.flag("from") and self._is_python_stage(s.ins.flag("from") or ""):
                return True
        return False

    def _is_python_stage(self, ref: str) -> bool:
        st = _stage_by_ref(self.df, ref)
        if st is None:
            return False
        steps = [s for s in self.facts.steps if s.stage is st]
        return any(venv_created(expanded(c, s), s.workdir) or pip_install(c) or tool_venv(c, s.vars)
                   for s in steps for c in s.commands)

    def _programs(self, text: str, step: Step) -> str:
        """Activation dropped; ``/opt/venv/bin/x`` -> ``x``; ``poetry run x`` -> ``x``."""

        def sub(m: re.Match[str]) -> str:
            word = m.group(0)
            venv = venv_of_executable(expand(word, step.vars), self.facts.venvs)
            if venv is None and not re.search(r"\$\{?VIRTUAL_ENV\}?/bin/$", m.group("path")):
                return word
            exe = m.group("exe")
            if exe in ("python", "python3") or re.match(r"python3\.\d+$", exe):
                return "python3" if self.distro else exe
            return exe

        new = _ACTIVATE.sub("", text) if self._migrating else text
        new = _EXE.sub(sub, new)
        if step.ins.cmd in ("CMD", "ENTRYPOINT") and self._migrating:
            new = _RUNNER.sub("", new)
            new = re.sub(r'"(?:poetry|pipenv|uv)",\s*"run",\s*(?="[^-])', "", new)
            if self.distro:
                new = re.sub(r'(^\s*\S+\s+(?:\[\s*)?)"python"', r'\1"python3"', new)
                new = re.sub(r"(^\s*\S+\s+)python(?=\s)", r"\1python3", new)
        return new

    # -- stages --------------------------------------------------------------------
    def _dead_stages(self) -> list[Stage]:
        """Non-final stages nothing refers to once the venv copies are gone, and the stages
        only those referred to (one run removes the whole chain, or the next run would)."""
        dead: list[Stage] = []
        while True:
            refs = self._stage_refs({st.index for st in dead})
            more = [st for st in self.df.stages[:-1] if st not in dead and st.index not in self.facts.runtime
                    and st.key not in refs and str(st.index) not in refs
                    and (st.name or "").lower() not in self.stage_names_used and self._is_python_stage(st.key)]
            if not more:
                return sorted(dead, key=lambda st: st.index)
            dead += more

    def _stage_refs(self, gone: set[int]) -> set[str]:
        """The stage references (``FROM``, ``--from``, ``--mount=from=``) left in the stages not ``gone``."""
        refs: set[str] = set()
        for st in self.df.stages:
            if st.index in gone:
                continue
            refs.add(st.base.lower())
            for ins in st.instructions:
                if self.edits.get(ins.start_line) == "":
                    continue
                f = ins.flag("from")
                if f:
                    refs.add(f.lower())
                for m in ins.flag_values("mount"):
                    fm = re.search(r"(?:^|,)from=([^,]+)", m)
                    if fm:
                        refs.add(fm.group(1).lower())
        return refs

    def _edits(self, dead: list[Stage], needs_builder: bool) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        removed_lines: set[int] = set()
        for st in dead:
            start = st.from_.start_line
            end = st.instructions[-1].end_line if st.instructions else st.from_.end_line
            nxt = next((s.from_.start_line for s in self.df.stages if s.index == st.index + 1), None)
            end = max(end, (nxt - 1) if nxt else end)
            out.append((start, end, ""))
            removed_lines.update(range(start, end + 1))
            self.reason(f"DV105: stage '{st.name or st.index}' only built the venv; removed")
        by_start = {i.start_line: i for i in self.df.instructions}
        for start, new in self.edits.items():
            if start in removed_lines:
                continue
            ins = by_start[start]
            first = ins.start_line
            if needs_builder and ins is self.install_at:
                new = (new or "") + self._install_text()
            last = ins.end_line
            if new == "":
                while first > 1 and _PRAGMA.match(self.df.line_text(first - 1)):
                    first -= 1  # a lint pragma goes with the instruction it was about
                if _blank(self.df.line_text(first - 1)) and _blank(self.df.line_text(last + 1)) \
                        and last + 1 <= len(self.df.lines) and last + 1 not in by_start:
                    last += 1  # no double blank line where an instruction was
            out.append((first, last, new))
        if needs_builder:
            at = self.df.stage_of(self.install_at).from_.start_line  # type: ignore[arg-type,union-attr]
            while at > 1 and self.df.line_text(at - 1).lstrip().startswith("#") and not _DIRECTIVE_LINE.match(
                    self.df.line_text(at - 1).lstrip("\ufeff")) and not any(
                    s <= at - 1 <= e for s, e, _t in out):
                at -= 1  # the comments above the final FROM stay with it
            out.append((at, at - 1, self._builder_text() + self.nl))
            files = self._runtime_file_copies()
            if files:
                last = max(i.end_line for i in (self.install_at,) if i)
                out.append((last + 1, last, files))
        return _merge(out)

    def _runtime_file_copies(self) -> str:
        return "".join(f"COPY {f.lstrip('/')} {f if f.startswith('/') else './' + f}{self.nl}" for f in self.runtime_files)

    def _builder_text(self) -> str:
        nl, o, spec = self.nl, self.opts, self.spec
        final = self.df.stages[-1]
        base = o.builder_base or _root_base(self.df, final)
        brk = " --break-system-packages" if self.distro else ""
        seen_base = expand(base, {k: v for a in self.df.global_args for k, v in env_pairs(a)})
        if not o.builder_base and "python" not in seen_base.lower():
            base, brk = "python:3.12-slim", ""  # the runtime base brings no Python; a pure wheel builds anywhere
        lines = [f"FROM {base} AS {BUILDER}"]
        if o.uv_source == "image":
            lines.append(f"COPY --from=ghcr.io/astral-sh/uv:{o.uv_version} /uv /uvx /bin/")
        else:
            lines.append(f"RUN {self.python} -m pip install --no-cache-dir{brk} uv=={o.uv_version}")
        if spec.lock == "poetry":
            lines.append(f"RUN {self.python} -m pip install --no-cache-dir{brk} "
                         f"poetry=={o.poetry_version} poetry-plugin-export")
        lines.append("WORKDIR /src")
        lines.append("COPY . .")
        env = "SETUPTOOLS_SCM_PRETEND_VERSION=${VERSION} " if spec.vcs_version else ""
        if spec.vcs_version:
            lines.append("ARG VERSION=0.0.0")
        steps = [f"{env}uv build --wheel --out-dir /dist{'' if d in ('.', '') else ' ' + d}" for d in spec.subdirs]
        last = spec.subdirs[-1]
        cd = f"cd {last} && " if last not in (".", "") else ""
        if spec.lock == "uv":
            extras = "".join(f" --extra {e}" for e in self.extras if e)
            prune = "".join(f" --prune {p}" for p in spec.prune)
            steps.append(f"{cd}uv export --frozen --no-dev --no-emit-project --no-hashes"
                         f"{extras}{prune} --format requirements-txt -o /dist/requirements.txt")
        elif spec.lock == "poetry":
            extras = "".join(f" --extras {e}" for e in self.extras if e)
            if spec.prune:
                # poetry refuses to export a lock that pyproject.toml no longer matches; `poetry lock`
                # keeps every locked version (Poetry 2) and drops the moved dev tools
                steps.append(f"{cd}(poetry check --lock || poetry lock)")
            steps.append(f"{cd}poetry export --only main --without-hashes{extras} -f requirements.txt -o /dist/requirements.txt")
        elif spec.lock and spec.lock.startswith("requirements:"):
            steps.append(f"cp {spec.lock.split(':', 1)[1]} /dist/requirements.txt")
        # the build backend is downloaded once, not on every code change (builder only)
        lines.append("RUN --mount=type=cache,target=/root/.cache/uv \\" + nl + "    "
                     + f" \\{nl}    && ".join(steps))
        return nl.join(lines) + nl

    def _install_text(self) -> str:
        nl = self.nl
        brk = " --break-system-packages" if self.distro else ""
        compile_ = "" if self.opts.compile_bytecode else " --no-compile"
        pip = f"{self.python} -m pip install --no-cache-dir{compile_}{brk}"
        out = []
        wheel = "/wheels/*.whl"
        if self.extras and not self.spec.lock:
            wheel = f'"$(echo /wheels/*.whl)[{",".join(self.extras)}]"'
        if self.spec.lock:
            out.append(f"RUN --mount=from={BUILDER},source=/dist/requirements.txt,target=/tmp/requirements.txt \\{nl}"
                       f"    {pip} -r /tmp/requirements.txt{nl}")
            out.append(f"RUN --mount=from={BUILDER},source=/dist,target=/wheels \\{nl}    {pip} --no-deps {wheel}{nl}")
        else:
            out.append(f"RUN --mount=from={BUILDER},source=/dist,target=/wheels \\{nl}    {pip} {wheel}{nl}")
        if self.extra_packages:
            out += [f"{line}{nl}" for line in self.extra_args.values()]
            out.append(f"RUN {pip} {' '.join(_quote(p) for p in self.extra_packages)}{nl}")
        user = self._user_at_install()
        if user:  # the image's Python belongs to root; the venv was the user's
            out = [f"USER root{nl}", *out, f"USER {user}{nl}"]
        return "".join(out)

    def _user_at_install(self) -> str | None:
        user = None
        for s in self.facts.steps:
            if s.ins is self.install_at:
                break
            if s.ins.cmd == "FROM" and s.stage.index in self.facts.runtime:
                continue
            if s.ins.cmd == "USER" and s.stage.index in self.facts.runtime and s.ins.value:
                user = s.ins.value[0]
        return None if user is None or user.split(":", 1)[0] in ("root", "0") else user

    def _with_directive(self, text: str) -> str:
        if not self.opts.syntax_directive or "syntax" in self.df.directives:
            return text
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        return f"{bom}# syntax=docker/dockerfile:1{self.nl}{text[len(bom):]}"


def _root_base(df: Dockerfile, st: Stage) -> str:
    seen = set()
    while True:
        parent = _stage_by_ref(df, st.base)
        if parent is None or parent.index >= st.index or parent.index in seen:
            return st.base
        seen.add(parent.index)
        st = parent


def _stage_by_ref(df: Dockerfile, ref: str) -> Stage | None:
    ref = ref.lower()
    for st in df.stages:
        if st.key == ref or str(st.index) == ref:
            return st
    return None


def _split_head(text: str, ins: Instruction) -> tuple[str, str]:
    """The keyword and flags of a span, and the command text after them."""
    m = re.match(r"\s*\S+", text)
    pos = m.end() if m else 0
    for _ in ins.flags:
        fm = re.compile(r"(?:[ \t]|\\\r?\n)+--(?:\"[^\"]*\"|'[^']*'|[^\s\"'])+").match(text, pos)
        if not fm:
            break
        pos = fm.end()
    ws = re.compile(r"[ \t]*").match(text, pos)
    pos = ws.end() if ws else pos
    return text[:pos], text[pos:]


def _rebase(actions: dict[tuple[int, int], WordEdit | None], body: str, step: Step
            ) -> dict[tuple[int, int], WordEdit | None]:
    """The actions re-keyed by the commands' spans in ``body`` (the analysis used the joined line)."""
    from dockvenv.shell import commands

    ours = [c for c in commands(body) if not c.nested]
    theirs = [c for c in step.commands if not c.nested]
    out: dict[tuple[int, int], str | None] = {}
    for mine, orig in zip(ours, theirs):
        key = (orig.start, orig.end)
        if key in actions and mine.argv == orig.argv:
            out[(mine.start, mine.end)] = actions[key]
    return out


def _quote(word: str) -> str:
    """Shell-quote, keeping ``${VAR}`` expandable."""
    return f'"{word}"' if re.search(r"[\[\]<>|&;*? ]", word) else word


def _dist_name(target: str) -> str:
    return re.split(r"[<>=!~\[ ;]", target.strip("'\""), maxsplit=1)[0].lower().replace("_", "-")


_RUNNERS = (("poetry", "run"), ("pipenv", "run"), ("uv", "run"))


def _strip_runner(words: list[str]) -> list[str]:
    """``poetry run X`` -> ``X``: only when the runner has no options of its own."""
    if len(words) > 2 and (words[0].rsplit("/", 1)[-1], words[1]) in _RUNNERS and not words[2].startswith("-"):
        return words[2:]
    return words


def _no_new_blank_runs(before: str, after: str) -> str:
    """Deleted instructions leave no longer runs of blank lines than the file already had."""
    def longest(lines: list[str]) -> int:
        run = best = 0
        for line in lines:
            run = run + 1 if not line.strip() else 0
            best = max(best, run)
        return best

    limit = max(longest(split_lines(before)), 1)
    out: list[str] = []
    run = 0
    for line in split_lines(after):
        run = run + 1 if not line.strip() else 0
        if run <= limit:
            out.append(line)
    return "".join(out)


def _blank(line: str) -> bool:
    return not line.strip()


def _heredoc_word(cmd: Command) -> bool:
    return bool(cmd.argv) and cmd.argv[0].startswith("<<")


def _heredoc_has_commands(text: str) -> bool:
    lines = text.splitlines()[1:-1]
    return any(line.strip() and not line.strip().startswith("#") for line in lines)


def _ensure_newline(text: str, nl: str) -> str:
    return text if text.endswith("\n") else text + nl


def _raw_pairs(ins: Instruction) -> list[str]:
    from dockvenv.dockerfile import parse_words

    words = parse_words(ins.args)
    if words and "=" not in words[0]:
        return [f"{words[0]}={' '.join(words[1:])}"]
    return words


def _is_packaging(src: str) -> bool:
    name = src.strip("'\"").rstrip("/").rsplit("/", 1)[-1]
    return name.startswith(_PACKAGING) or name in ("src",)


def _copy_text(ins: Instruction, sources: list[str], dest: str, nl: str) -> str:
    flags = " ".join(_flag_text(f) for f in ins.flags)
    if ins.json:
        body = json.dumps([*sources, dest])
    else:
        body = " ".join([*sources, dest])
    return f"{ins.keyword} {flags + ' ' if flags else ''}{body}{nl}"


def _flag_text(flag: str) -> str:
    return flag if " " not in flag else f'"{flag}"'


_PRAGMA = re.compile(r"\s*#\s*(hadolint|dockvenv:)\s*ignore", re.I)


def _merge(edits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Order the edits; an insertion and a replacement at the same line keep that order."""
    return sorted(edits, key=lambda e: (e[0], e[1] >= e[0]))
