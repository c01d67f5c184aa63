"""``dockvenv migrate --interactive``: every hunk of the plan, decided one key at a time.

Hunks come from ``render.diff``; this module only records decisions (a hunk accepted,
maybe split or edited first, or skipped) and gives the accepted ones to
``diff.rebuild``.  Each decision is re-checked on the rebuilt text (Dockerfile: Docker's
grammar and stage references; TOML; Python): one that leaves no valid way to finish the
file is refused with the hunk it needs, so an invalid file is never written.  Nothing is
written before the end; ``apply.write`` writes, and Ctrl-C leaves every file as it was.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Literal, TextIO, Union

from dockvenv.errors import DockvenvError
from dockvenv.model import FileEdit, Plan
from dockvenv.render.diff import Hunk, edit_text, hunks, parse_edit, rebuild, split

if TYPE_CHECKING:
    from dockvenv.dockerfile import Instruction

SKIP: Literal["skip"] = "skip"
Decision = Union[Hunk, Literal["skip"], None]  # None: not decided yet
Ask = Callable[[str, str, Union[str, None]], str]  # (message, keys, default) -> key

HELP = """\
y - accept this hunk
n - skip this hunk
a - accept this hunk and the rest of this file
d - skip this hunk and the rest of this file
s - split this hunk into smaller hunks
e - edit this hunk in $VISUAL / $EDITOR
u - undo the last decision
q - quit; write the hunks accepted so far (asks first)
? - print this help"""

def review_and_write(root: str, plan: Plan, force: bool, *, ask: Ask | None = None,
                     out: TextIO | None = None) -> int:
    """Review ``plan`` hunk by hunk, write what was accepted, print a summary."""
    from dockvenv.apply import refuse, write

    out = out or sys.stdout
    if not plan.changes:
        out.write(f"{root}: nothing to migrate\n")
        return 0
    refuse(plan.root, plan.changes, force=force)  # before the review, not after it
    review = Review(plan, ask or ask_key, _Printer(out))
    try:
        go = review.run()
    except EOFError:
        raise KeyboardInterrupt from None  # Ctrl-D or a closed input: abort, write nothing
    todo = [replace(f.edit, after=f.result()) for f in review.files if go and f.writable]
    written = write(plan.root, todo, force=force) if any(e.changed for e in todo) else []
    show = review.printer.line
    for f in review.files:
        n, state = len(f.hunks), "written" if f.edit.path in written else "not written"
        show(f"{_display(root, f.edit.path)}: accepted {len(f.accepted)} of {n} hunk{'s' * (n != 1)}; {state}")
    if not written:
        show("nothing written")
    if any(f.result() != f.edit.after for f in review.files) or not written:
        show(f"to see what is left: dockvenv migrate --dry-run {root}")
    return 0


def _display(root: str, rel: str) -> str:
    return rel if root in (".", "./", "") else os.path.join(root, rel)


@dataclass
class FileReview:
    """One file's hunks and the decision on each (an accepted hunk may be an edited one)."""

    edit: FileEdit
    hunks: list[Hunk]
    choice: list[Decision]
    writable: bool = True
    _checked: dict[tuple[Hunk, ...], str | None] = field(default_factory=dict)

    @property
    def accepted(self) -> list[Hunk]:
        return [c for c in self.choice if isinstance(c, Hunk)]

    def result(self) -> str | None:
        return rebuild(self.edit, self.accepted)

    def problem(self, chosen: list[Hunk]) -> str | None:
        """Why the text rebuilt from ``chosen`` is invalid, or None."""
        key = tuple(sorted(set(chosen), key=lambda h: (h.start, len(h.old))))
        if key not in self._checked:
            self._checked[key] = recheck(self.edit, rebuild(self.edit, key))
        return self._checked[key]

    def dead_end(self, accepted: list[Hunk], open_: list[Hunk]) -> str | None:
        """None when some way of deciding the ``open_`` hunks gives a valid file, else why not."""
        error = self.problem(accepted)
        if error is None or self.problem(accepted + open_) is None:
            return None
        if any(self.problem(accepted + [h]) is None for h in open_):
            return None
        return error

    def refusal(self, i: int, decision: Decision) -> str | None:
        """Why hunk ``i`` cannot take ``decision`` now, naming the hunk it depends on."""
        choice = self.choice[:i] + [decision] + self.choice[i + 1:]
        accepted = [c for c in choice if isinstance(c, Hunk)]
        open_ = [h for h, c in zip(self.hunks, choice) if c is None]
        error = self.dead_end(accepted, open_)
        if error is None:
            return None
        if isinstance(decision, Hunk):
            for j, (h, c) in enumerate(zip(self.hunks, choice)):
                if not isinstance(c, Hunk) and self.dead_end(accepted + [h], [o for o in open_ if o != h]) is None:
                    note = " (skipped: u undoes decisions back to it)" if c == SKIP else ""
                    return f"this hunk needs hunk {j + 1} of this file{note}; {error}"
            return f"this would leave an invalid file: {error}"
        for k, c in enumerate(choice):
            if isinstance(c, Hunk) and self.dead_end([a for a in accepted if a != c], open_) is None:
                return f"hunk {k + 1} of this file needs this hunk (u undoes decisions back to it); {error}"
        return f"skipping it would leave an invalid file: {error}"


class Review:
    """The decision loop.  ``run`` returns whether the accepted hunks are to be written."""

    def __init__(self, plan: Plan, ask: Ask, printer: _Printer) -> None:
        self.plan = plan
        self.ask = ask
        self.printer = printer
        self.files = [FileReview(e, hs, [None] * len(hs)) for e in plan.changes if (hs := hunks(e))]
        self.history: list[tuple[int, list[tuple[int, Decision]]]] = []
        self.drafts: dict[Hunk, str] = {}  # a rejected edit, reopened by the next 'e'

    def run(self) -> bool:
        shown: tuple[int, int] | None = None
        header: int | None = None
        while (at := self._next()) is not None:
            fi, i = at
            f = self.files[fi]
            if at != shown:
                self._show(fi, i, header=header != fi)
                shown, header = at, fi
            keys = "ynad"
            keys += ("s" if len(split(f.edit, f.hunks[i])) > 1 else "") + "e"
            keys += ("u" if self.history else "") + "q?"
            menu = ",".join(k.upper() if k == "y" else k for k in keys)
            key = self.ask(f"({i + 1}/{len(f.hunks)}) Accept this hunk [{menu}]? ", keys, "y")
            if key == "q":
                return self._quit()
            if key == "?":
                self.printer.line(HELP)
            elif key == "u":
                fi, undo = self.history.pop()
                for j, old in undo:
                    self.files[fi].choice[j] = old
                self.printer.line(f"undid the decision on hunk {undo[0][0] + 1} of {self.files[fi].edit.path}")
                shown = None
            elif key == "s":
                parts = split(f.edit, f.hunks[i])
                f.hunks[i:i + 1] = parts
                f.choice[i:i + 1] = [None] * len(parts)
                self.printer.line(f"split into {len(parts)} hunks")
                shown = None
            elif key == "e":
                self._edit(fi, i)
            else:
                rest = range(i, len(f.hunks) if key in "ad" else i + 1)
                self._decide(fi, [j for j in rest if f.choice[j] is None], key in "ya")
        return True

    def _next(self) -> tuple[int, int] | None:
        for fi, f in enumerate(self.files):
            for i, c in enumerate(f.choice):
                if c is None:
                    return fi, i
        return None

    def _decide(self, fi: int, todo: list[int], accept: bool) -> None:
        f = self.files[fi]
        undo: list[tuple[int, Decision]] = []
        for j in todo:
            decision: Decision = f.hunks[j] if accept else SKIP
            why = f.refusal(j, decision)
            if why:
                self.printer.line(("" if j == todo[0] else f"hunk {j + 1}: ") + why, "bold red")
                break
            undo.append((j, f.choice[j]))
            f.choice[j] = decision
        if undo:
            self.history.append((fi, undo))

    def _edit(self, fi: int, i: int) -> None:
        f = self.files[fi]
        hunk = f.hunks[i]
        text = self.drafts.get(hunk) or edit_text(hunk)
        try:
            edited = run_editor(text)
            new = parse_edit(hunk, edited, _newline(f.edit))
        except ValueError as exc:
            self.printer.line(f"{exc}; the hunk is unchanged", "bold red")
            return
        why = f.refusal(i, replace(hunk, new=new))
        if why:
            self.drafts[hunk] = edited
            self.printer.line(f"the edited hunk is not accepted: {why}", "bold red")
            self.printer.line("press e to edit it again, or decide on the hunk as it was", "bold red")
            self._show_lines(replace(hunk, new=new))
            return
        self.drafts.pop(hunk, None)
        self.history.append((fi, [(i, None)]))
        f.choice[i] = replace(hunk, new=new)
        self.printer.line("edited hunk accepted")

    def _quit(self) -> bool:
        for f in self.files:
            error = f.problem(f.accepted)
            if f.accepted and error:
                f.writable = False
                needs = [f"hunk {j + 1}" for j, (h, c) in enumerate(zip(f.hunks, f.choice))
                         if c is None and f.problem(f.accepted + [h]) is None]
                self.printer.line(f"{f.edit.path}: not written: the accepted hunks need "
                                  f"{needs[0] if needs else 'hunks not yet accepted'}; {error}", "bold red")
        n = sum(len(f.accepted) for f in self.files if f.writable)
        if not n:
            return False
        return self.ask(f"write the {n} accepted hunk{'s' * (n != 1)}? [y/n] ", "yn", None) == "y"

    def _show(self, fi: int, i: int, header: bool) -> None:
        f = self.files[fi]
        if header:
            old = "/dev/null" if f.edit.before is None else f"a/{f.edit.path}"
            new = "/dev/null" if f.edit.after is None else f"b/{f.edit.path}"
            for line in (f"diff --git a/{f.edit.path} b/{f.edit.path}", f"--- {old}", f"+++ {new}"):
                self.printer.line(line, "bold")
        self.printer.line(f"# {reason(self.plan, f.edit, f.hunks[i])}", "yellow")
        self._show_lines(f.hunks[i])

    def _show_lines(self, hunk: Hunk) -> None:
        self.printer.line(hunk.header, "cyan")
        for mark, line in hunk.lines():
            self.printer.line(mark + line.rstrip("\r\n"), {"-": "red", "+": "green"}.get(mark, ""))
            if not line.endswith("\n"):
                self.printer.line("\\ No newline at end of file")


def reason(plan: Plan, edit: FileEdit, hunk: Hunk) -> str:
    """The reasons whose rule found something in the hunk's lines; all of them otherwise."""
    first, last = hunk.start + 1, hunk.start + max(len(hunk.old), 1)
    codes = {f.code for f in plan.findings if f.path == edit.path and first <= f.line <= last}
    picked = [r for r in edit.reasons if r.split(":", 1)[0].strip() in codes]
    return "; ".join(picked or edit.reasons) or "migration"


def recheck(edit: FileEdit, text: str | None) -> str | None:
    """Why ``text`` cannot be written as ``edit.path``, or None."""
    if text is None:
        return None
    from dockvenv.project import is_dockerfile

    name = edit.path.rsplit("/", 1)[-1]
    try:
        if is_dockerfile(name):
            return _dockerfile_problem(edit, text)
        if name.endswith(".toml"):
            from dockvenv.config import parse_toml

            parse_toml(text, edit.path)
        elif name.endswith(".py"):
            ast.parse(text.lstrip("\ufeff"), edit.path)
    except DockvenvError as exc:
        return str(exc)
    except SyntaxError as exc:
        return f"{edit.path}:{exc.lineno}: {exc.msg}"
    return None


def _dockerfile_problem(edit: FileEdit, text: str) -> str | None:
    from dockvenv.dockerfile import parse

    doc = parse(text, edit.path)
    if not doc.instructions:
        return f"{edit.path}: no instructions left"
    first = next((i for i in doc.instructions if i.cmd != "ARG"), None)
    if first is None or first.cmd != "FROM":
        return f"{edit.path}:{(first or doc.instructions[0]).start_line}: the first instruction must be FROM"
    known: set[str] = set()  # stage names of the original and of the full migration
    for whole in (edit.before, edit.after):
        try:
            known |= {s.name.lower() for s in parse(whole or "", edit.path).stages if s.name}
        except DockvenvError:
            pass
    defined: set[str] = set()
    for stage in doc.stages:
        uses = [(stage.from_, stage.base)] + [(ins, ref) for ins in stage.instructions for ref in _stage_refs(ins)]
        for ins, ref in uses:
            if ref.lower() in known and ref.lower() not in defined:
                return f"{edit.path}:{ins.start_line}: {ins.cmd} uses stage '{ref}', which is not defined above it"
        if stage.name:
            if stage.name.lower() in defined:
                return f"{edit.path}:{stage.from_.start_line}: duplicate stage name '{stage.name}'"
            defined.add(stage.name.lower())
    return None


def _stage_refs(ins: Instruction) -> list[str]:
    refs = [ins.flag("from") or ""] if ins.cmd in ("COPY", "ADD") else []
    for mount in ins.flag_values("mount") if ins.cmd == "RUN" else ():
        refs += [v for k, _, v in (p.partition("=") for p in mount.split(",")) if k.strip().lower() == "from"]
    return [r for r in refs if r]


def _newline(edit: FileEdit) -> str:
    first = (edit.after or edit.before or "").split("\n", 1)[0]
    return "\r\n" if first.endswith("\r") else "\n"


def run_editor(text: str) -> str:
    """``text`` after the user's editor (``$VISUAL``, ``$EDITOR``, else vi) has changed it."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, path = tempfile.mkstemp(prefix="dockvenv-hunk-", suffix=".diff")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        proc = subprocess.run(["/bin/sh", "-c", f'{editor} "$@"', editor, path])
        if proc.returncode:
            raise ValueError(f"the editor exited with status {proc.returncode}")
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def ask_key(message: str, keys: str, default: str | None) -> str:
    """One key from ``keys`` (either case; Enter gives ``default``), through questionary."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
    from prompt_toolkit.keys import Keys
    from questionary.question import Question
    from questionary.styles import merge_styles_default

    bindings = KeyBindings()

    def choose(key: str) -> Callable[[KeyPressEvent], None]:
        def handler(event: KeyPressEvent) -> None:
            event.app.current_buffer.insert_text(key)  # echoed, as the answer
            event.app.exit(result=key)
        return handler

    for key in keys:
        bindings.add(key)(choose(key))
        if key.upper() != key:
            bindings.add(key.upper())(choose(key))
    if default:
        bindings.add(Keys.Enter)(choose(default))
    bindings.add(Keys.Any)(lambda event: None)  # any other key: still waiting
    session: PromptSession[str] = PromptSession(
        [("class:qmark", "?"), ("class:question", f" {message}")],
        key_bindings=bindings, style=merge_styles_default([]))
    return str(Question(session.app).unsafe_ask())  # Ctrl-C raises KeyboardInterrupt


class _Printer:
    """Lines to ``out``: coloured with rich on a terminal unless NO_COLOR is set, else plain."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.console = None
        if out.isatty() and not os.environ.get("NO_COLOR"):
            from rich.console import Console

            self.console = Console(file=out, highlight=False, markup=False, emoji=False, soft_wrap=True)

    def line(self, text: str, style: str = "") -> None:
        if self.console is not None and style:
            from rich.text import Text

            self.console.print(Text(text, style=style))
        else:
            self.out.write(text + "\n")
            self.out.flush()
