"""What the runtime-stage rewrite decides about each command, copy and stage.

Which commands are venv or source-install noise (``_drop``), which installs are the
project's own, which programs kept commands still run, which stages only built the
venv: the questions ``runtime.RuntimeStage`` asks before it edits.  ``State`` declares
what a rewrite of one Dockerfile carries; ``dockerfile._Rewriter`` fills it.
"""

from __future__ import annotations

import posixpath
import re
from functools import cached_property
from typing import TYPE_CHECKING, Callable

from dockvenv.analysis import (
    BUILD_TOOLS,
    Facts,
    PipInstall,
    Step,
    absolute,
    activated,
    expand,
    expanded,
    from_mount_install,
    is_local_path,
    mounted_from,
    pip_install,
    venv_created,
)
from dockvenv.dockerfile import Dockerfile, Instruction, Stage
from dockvenv.rewrite.words import dist_name, is_packaging, stage_by_ref, strip_runner
from dockvenv.rules.dv106_tool_venv import tool_venv
from dockvenv.shell import Command, commands, shell_script

if TYPE_CHECKING:
    from dockvenv.rewrite.dockerfile import BuildSpec, Options

_DEV_REQUIREMENTS = re.compile(r"(?:^|[-_.])(?:dev|develop|development|test|tests|testing|lint|docs|ci)(?:[-_.]|$)",
                               re.I)
_TEST_RUNNERS = frozenset({"pytest", "py.test", "tox", "nox", "unittest"})
PIP_SELF = frozenset({"pip", "setuptools", "wheel"}) | BUILD_TOOLS


class State:
    """What a rewrite of one Dockerfile knows and has decided so far."""

    df: Dockerfile
    facts: Facts
    spec: BuildSpec
    opts: Options
    in_context: Callable[[str], bool]
    stage_names_used: frozenset[str]
    runtime_files: tuple[str, ...]
    edits: dict[int, str]  # start_line -> replacement text of that instruction
    reasons: list[str]
    notes: list[str]
    nl: str
    distro: bool
    python: str
    install_at: Instruction | None  # where the wheel install goes
    extras: tuple[str, ...]
    extra_packages: tuple[str, ...]  # installed into the copied venv beside the project
    extra_args: dict[str, str]  # ARG lines those installs need in the runtime stage

    def reason(self, text: str) -> None:
        if text not in self.reasons:
            self.reasons.append(text)


class Decisions(State):
    def _drop(self, cmd: Command, step: Step, mark: bool = True) -> bool:
        """Whether a runtime command is venv or source-install noise."""
        full = expanded(cmd, step)
        if venv_created(full, step.workdir):
            if mark:
                self.reason("DV101: venv creation removed")
            return True
        if activated(full, step.workdir):
            if mark:
                self.reason("DV102: venv activation removed")
            return True
        if tool_venv(cmd, step.vars):
            if not self.spec.packageable:
                return False
            self._tool_extras(cmd)
            if mark:
                self.reason("DV106: project venv install replaced by the wheel install")
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
        names = {dist_name(t) for t in pip.targets}
        if self._is_project_install(pip, step):
            if not self.spec.packageable or [t for t in pip.targets if not is_local_path(t)]:
                return False  # kept (light mode), or rewritten to keep its other packages
            for target in pip.local_targets:
                if "[" in target:
                    self.extras = tuple(target.split("[", 1)[1].rstrip("]'\"").split(","))
            if mark:
                self.reason("DV201: source-tree install replaced by the wheel install")
            return True
        if pip.targets and names <= PIP_SELF and not names & self._tools_still_run():
            if mark:
                self.reason("DV203: build tools no longer installed in the runtime image")
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
        lineage = self._lineage(step.stage)
        for s in self.facts.steps:
            if s.stage.index not in lineage:
                continue  # a COPY in another stage (dockvenv's builder, say) puts nothing here
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

    def _lineage(self, stage: Stage) -> set[int]:
        """The indexes of ``stage`` and the stages it is built FROM, by name."""
        out: set[int] = set()
        while stage.index not in out:
            out.add(stage.index)
            parent = stage_by_ref(self.df, stage.base)
            if parent is None or parent.index >= stage.index:
                break
            stage = parent
        return out

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
                words = strip_runner(words) if self._migrating else words
                used.update(w.rsplit("/", 1)[-1] for w in words[:1])
        return used - {"pip", "pip3", "python", "python3"}

    def _kept_install(self, pip: PipInstall, step: Step) -> bool:
        """An install that stays (``uv pip install gunicorn`` still needs uv), not the project's
        (the wheel replaces it) nor one of build tools only (which goes)."""
        if from_mount_install(step.ins, pip):
            return False
        if self.spec.packageable and self._is_project_install(pip, step) and all(is_local_path(t) for t in pip.targets):
            return False
        return not (pip.targets and {dist_name(t) for t in pip.targets} <= PIP_SELF)

    @cached_property
    def _migrating(self) -> bool:
        """The runtime stage has a venv or a tool-made venv to remove."""
        return bool(self.facts.venvs) or any(
            tool_venv(c, s.vars) for s in self.facts.steps if self.facts.in_runtime(s) for c in s.commands)

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
        st = stage_by_ref(self.df, ref)
        if st is None:
            return False
        steps = [s for s in self.facts.steps if s.stage is st]
        return any(venv_created(expanded(c, s), s.workdir) or pip_install(c) or tool_venv(c, s.vars)
                   for s in steps for c in s.commands)

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
                            and not is_packaging(rel):
                        used.append(rel)
        return list(dict.fromkeys(used))

    def _is_package_dir(self, src: str) -> bool:
        """A folder of the context that is a Python package or an installed project: the wheel carries it."""
        rel = src.strip("'\"").removeprefix("./").rstrip("/")
        if rel in self.spec.subdirs and rel not in (".", ""):
            return True  # a project this image installs: its wheel carries it, whatever its layout
        return bool(rel) and "*" not in rel and self.in_context(f"{rel}/__init__.py")

    def _test_runner(self) -> str | None:
        """The test runner the runtime stage's CMD/ENTRYPOINT starts: its tests are in the source tree."""
        for s in self.facts.steps:
            if s.ins.cmd in ("CMD", "ENTRYPOINT") and self.facts.in_runtime(s) and s.ins.value:
                words = strip_runner(list(s.ins.value) if s.ins.json else s.ins.args.split())
                words = words[2:] if len(words) > 2 and words[1] == "-m" else words[:1]
                if words and words[0].rsplit("/", 1)[-1] in _TEST_RUNNERS:
                    return words[0].rsplit("/", 1)[-1]
        return None

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

