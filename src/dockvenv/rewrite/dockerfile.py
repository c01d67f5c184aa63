"""Rewrite one Dockerfile into the uv-wheel multi-stage build (pure: text in, text out).

The runtime stage (the last one, and the stages it is built ``FROM``) loses the venv:
creation, activation, ``VIRTUAL_ENV``, venv ``PATH`` entries, venv-qualified programs,
``poetry run``/``uv run`` prefixes and venv copies from other stages.  Its source-tree
installs give way to two installs from a ``dockvenv-builder`` stage, mounted with
``RUN --mount=from=``: the locked dependency set in its own cached layer (when the
project has a lock), then the project's wheel.  ``.env`` sources leave every
COPY/ADD.  Every other instruction, comment and byte stays where it was.

This module holds the entry point, ``migrate``, and assembles the file; the work is in
``rewrite.runtime`` (each runtime instruction), ``rewrite.decisions`` (what goes),
``rewrite.builder`` (the builder stage and the wheel install) and ``rewrite.words``
(word edits and text helpers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from dockvenv.analysis import Facts, analyze, env_pairs, expand
from dockvenv.dockerfile import Dockerfile, Instruction, Stage, splice
from dockvenv.rewrite.builder import BUILDER, BuilderStage
from dockvenv.rewrite.runtime import RuntimeStage
from dockvenv.rewrite.words import ensure_newline, is_blank, merge_edits, no_new_blank_runs, root_base, stage_by_ref
from dockvenv.rules.dv501_pep668 import distro_python

__all__ = ["BUILDER", "BuildSpec", "Options", "Result", "migrate", "unsupported_reason"]

_DIRECTIVE_LINE = re.compile(r"\s*#\s*(syntax|escape|check)\s*=", re.I)
_WINDOWS_SHELL = re.compile(r"\b(?:powershell|pwsh|cmd)(?:\.exe)?\b", re.I)
_WINDOWS_BASE = re.compile(r"windows(?:servercore)?[/:-]|nanoserver|servercore|mcr\.microsoft\.com/windows", re.I)
_PRAGMA = re.compile(r"\s*#\s*(hadolint|dockvenv:)\s*ignore", re.I)


@dataclass(frozen=True)
class BuildSpec:
    """What the builder stage needs to know about the project it builds."""

    subdirs: tuple[str, ...] = (".",)  # the project folders inside the build context, in install order
    lock: str | None = None  # "uv", "poetry" or "requirements:<path>"
    vcs_version: bool = False
    packageable: bool = True
    project_paths: frozenset[str] = frozenset()  # where the original put those projects in the image
    prune: tuple[str, ...] = ()  # dev tools moved out of the dependencies but still in the uv.lock
    # the context files the lock export reads; empty: it needs the whole context (a workspace, path sources)
    lock_inputs: tuple[str, ...] = ()


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


class _Rewriter(RuntimeStage, BuilderStage):
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
        self.distro = distro_python(root_base(df, final), [w for s in facts.steps for c in s.commands for w in c.argv])
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
        needs_builder = self.install_at is not None and self.spec.packageable and stage_by_ref(self.df, BUILDER) is None
        if needs_builder and self.install_at is not None:
            self.edits.setdefault(self.install_at.start_line, ensure_newline(self.df.span_text(self.install_at), self.nl))
        if self.install_at is not None and not self.spec.packageable:
            self.notes.append("the project has no packaging (pyproject.toml/setup.py): "
                              "the source-tree install stays until it is made packageable")
        edits = self._edits(dead, needs_builder)
        if not edits:
            return Result(self.df.text)
        after = no_new_blank_runs(self.df.text, splice(self.df.text, edits))
        if self.df.text.startswith("\ufeff") and not after.startswith("\ufeff"):
            after = "\ufeff" + after.replace("\ufeff", "", 1)  # the BOM stays the first bytes
        if needs_builder:
            after = self._with_directive(after)
        return Result(after, tuple(self.reasons), None, tuple(self.notes))

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
                if is_blank(self.df.line_text(first - 1)) and is_blank(self.df.line_text(last + 1)) \
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
        return merge_edits(out)

