"""The runtime stage, instruction by instruction: what each RUN, ENV, COPY/ADD and CMD becomes.

Venv creation and activation leave ``RUN`` chains (the other commands and every byte
between them stay), a kept install is edited word by word (``words.WordEdit``),
``VIRTUAL_ENV`` and venv ``PATH`` entries leave ``ENV``, ``.env`` and the source tree
leave ``COPY``/``ADD``, venv copies from other stages give way to the wheel install, and
venv-qualified programs are called by name.  ``decisions.Decisions`` says what goes.
"""

from __future__ import annotations

import json
import re

from dockvenv.analysis import (
    Step,
    absolute,
    env_pairs,
    expand,
    expanded,
    is_local_path,
    mounted_from,
    path_venvs,
    pip_install,
    venv_of_executable,
)
from dockvenv.dockerfile import Instruction, Stage
from dockvenv.rewrite.decisions import PIP_SELF, Decisions
from dockvenv.rewrite.words import (
    WordEdit,
    copy_text,
    dist_name,
    ensure_newline,
    heredoc_has_commands,
    heredoc_word,
    is_packaging,
    raw_pairs,
    rebase,
    split_head,
    stage_by_ref,
)
from dockvenv.rules.dv106_tool_venv import tool_venv
from dockvenv.rules.dv202_source_tree_copied import is_whole_context
from dockvenv.rules.dv301_env_copied import env_sources
from dockvenv.shell import Command, commands, remove_commands, shell_script

_EXE = re.compile(r"(?P<path>[^\s\"'\[\],=;&|()]*?/bin/)(?P<exe>[A-Za-z_][\w.+-]*)")
_ACTIVATE = re.compile(r"(?:\.|source)\s+[^\s;&|\"']*bin/activate\s*(?:&&|;)\s*")
# the runner's whole word, a path to it included (``/usr/local/bin/poetry run x`` -> ``x``)
_RUNNER = re.compile(r"""(?<![^\s;&|('"])(?:[^\s;&|()'"]*/)?(?:poetry|pipenv|uv)\s+run\s+(?=[^-\s])""")
_SPECIAL_SOURCES = frozenset({"--prefix", "--target", "--index-url", "--extra-index-url", "--find-links", "-i", "-f",
                              "--index-strategy", "--index", "--default-index", "--no-index"})
IN_PROJECT_VARS = frozenset({"PIPENV_VENV_IN_PROJECT", "POETRY_VIRTUALENVS_IN_PROJECT", "UV_PROJECT_ENVIRONMENT"})
_PIP_INSTALL = re.compile(r"\b(?:pip3?|python3?(?:\.\d+)? -m pip) install\b")


class RuntimeStage(Decisions):
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
        head, body = split_head(text, ins)
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
            if cmd.argv and cmd.argv[0] not in ("cd", "true", ":", "set") and not heredoc_word(cmd):
                keep += 1
        drop = [span for span, act in actions.items() if act is None]
        if ins.heredocs:
            new_body = body if not drop else self._drop_heredoc_lines(body, step)
        else:
            new_body = body
            cmd_at = {c.start: c for c in commands(body) if not c.nested}
            for (start, end), act in sorted(rebase(actions, body, step).items(), reverse=True):
                if act is None:
                    new_body = remove_commands(new_body, [(start, end)])
                else:
                    new_body = new_body[:start] + act.apply(new_body[start:end], cmd_at[start]) + new_body[end:]
        new = self._pep668(self._programs(head + new_body, step), step)
        if (drop and keep == 0) or (ins.heredocs and not heredoc_has_commands(new)):
            self.edits[ins.start_line] = ""
        elif new != text:
            self.edits[ins.start_line] = ensure_newline(new, self.nl)
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
        head, _body = split_head(self.df.span_text(ins), ins)
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
                return WordEdit(drop_env=IN_PROJECT_VARS, insert_after=((len(argv) - 1, "--system"),))
            if argv[0].endswith("poetry") and "POETRY_VIRTUALENVS_CREATE" not in dict(cmd.env):
                self.reason("DV106: poetry installs into the image's Python")
                return WordEdit(drop_env=IN_PROJECT_VARS, prefix="POETRY_VIRTUALENVS_CREATE=false ")
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
            cmds = commands(line)
            if cmds and all(self._drop(c, step, mark=False) for c in cmds if not c.nested):
                continue
            out.append(line)
        return "".join(out)

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
        raw = raw_pairs(step.ins)
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
            drop |= {s for s in sources if is_packaging(s) or self._is_package_dir(s)}
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
        self.edits[ins.start_line] = copy_text(ins, left, dest, self.nl)

    def _replace_stage_copy(self, ins: Instruction, from_stage: str) -> None:
        """Drop a venv or project copy; the wheel install takes its place, with the
        other packages the build stage put into that venv (gunicorn, say)."""
        self.edits[ins.start_line] = ""
        if self.install_at is None and self.df.stage_of(ins).index in self.facts.runtime:  # type: ignore[union-attr]
            self.install_at = ins
        st = stage_by_ref(self.df, from_stage)
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
                    if not is_local_path(target) and dist_name(target) not in PIP_SELF \
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
            new = re.sub(r'"(?:[^"\s]*/)?(?:poetry|pipenv|uv)",\s*"run",\s*(?="[^-])', "", new)
            if self.distro:
                new = re.sub(r'(^\s*\S+\s+(?:\[\s*)?)"python"', r'\1"python3"', new)
                new = re.sub(r"(^\s*\S+\s+)python(?=\s)", r"\1python3", new)
        return new

