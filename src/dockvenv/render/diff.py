"""Unified diffs and hunks, derived in one place from a plan's before/after texts.

The diff is what ``git apply`` accepts: ``a/``/``b/`` paths relative to the project,
``/dev/null`` for created files, and the ``\\ No newline at end of file`` marker.

``hunks`` cuts an edit into the hunks a reviewer decides on (those of ``unified``),
``split`` cuts one hunk at the unchanged lines between its changes, as ``git add -p``
does, and ``rebuild`` is the one function that turns a chosen subset back into text.
``edit_text``/``parse_edit`` are a hunk as a person edits it, and back.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable

from dockvenv.dockerfile import split_lines
from dockvenv.model import FileEdit


def unified(edit: FileEdit, context: int = 3) -> str:
    before = split_lines(edit.before or "")
    after = split_lines(edit.after or "")
    old = "/dev/null" if edit.before is None else f"a/{edit.path}"
    new = "/dev/null" if edit.after is None else f"b/{edit.path}"
    out = []
    for line in difflib.unified_diff(before, after, old, new, n=context, lineterm="\n"):
        if line.startswith(("---", "+++")):
            line = line.rstrip("\n") + "\n"
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    if out and edit.before is None:
        out.insert(0, f"diff --git a/{edit.path} b/{edit.path}\nnew file mode 100644\n")
    elif out:
        out.insert(0, f"diff --git a/{edit.path} b/{edit.path}\n")
    return "".join(out)


def stat(edit: FileEdit) -> tuple[int, int]:
    """(lines added, lines removed)."""
    added = removed = 0
    for line in unified(edit).splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


EDIT_GUIDE = """\
# ---
# To skip a '-' line, make it a ' ' line (it stays).
# To skip a '+' line, delete it.
# Lines starting with # are ignored.
# The result is checked; if it is invalid you see why and can edit it again.
"""


@dataclass(frozen=True)
class Hunk:
    """Lines ``old`` of the before text, from 0-based line ``start``, become ``new``.

    ``old`` and ``new`` run from the hunk's first change to its last, unchanged lines
    between changes included; ``leading``/``trailing`` are up to ``context`` unchanged
    lines around it, only for display.  ``shift`` is how many lines the hunks before
    this one add (negative: remove) in the full diff, for the ``@@`` header.
    """

    path: str
    start: int
    old: tuple[str, ...]
    new: tuple[str, ...]
    shift: int = 0
    leading: tuple[str, ...] = ()
    trailing: tuple[str, ...] = ()

    @property
    def header(self) -> str:
        first = self.start - len(self.leading)
        old_n = len(self.leading) + len(self.old) + len(self.trailing)
        new_n = len(self.leading) + len(self.new) + len(self.trailing)
        return f"@@ -{_range(first, old_n)} +{_range(first + self.shift, new_n)} @@"

    def lines(self) -> list[tuple[str, str]]:
        """``(mark, line)`` pairs, mark one of ``' '``, ``'-'``, ``'+'``; context included."""
        out = [(" ", line) for line in self.leading]
        matcher = difflib.SequenceMatcher(None, self.old, self.new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                out += [(" ", line) for line in self.old[i1:i2]]
                continue
            out += [("-", line) for line in self.old[i1:i2]]
            out += [("+", line) for line in self.new[j1:j2]]
        return out + [(" ", line) for line in self.trailing]


def _range(first: int, count: int) -> str:
    start = first + 1 if count else first  # an empty range names the line before it
    return str(start) if count == 1 else f"{start},{count}"


def hunks(edit: FileEdit, context: int = 3) -> list[Hunk]:
    """The hunks of ``unified(edit, context)``, in file order."""
    if not edit.changed:
        return []
    before = split_lines(edit.before or "")
    after = split_lines(edit.after or "")
    if edit.before is None or edit.after is None:  # a created or deleted file is one hunk
        return [Hunk(edit.path, 0, tuple(before), tuple(after))]
    out = []
    for group in difflib.SequenceMatcher(None, before, after).get_grouped_opcodes(context):
        changes = [op for op in group if op[0] != "equal"]
        if changes:
            out.append(_hunk(edit.path, before, after, changes[0][1], changes[-1][2],
                             changes[0][3], changes[-1][4], context))
    return out


def _hunk(path: str, before: list[str], after: list[str], i1: int, i2: int, j1: int, j2: int,
          context: int) -> Hunk:
    return Hunk(path, i1, tuple(before[i1:i2]), tuple(after[j1:j2]), j1 - i1,
                tuple(before[max(0, i1 - context):i1]), tuple(before[i2:i2 + context]))


def split(edit: FileEdit, hunk: Hunk, context: int = 3) -> list[Hunk]:
    """``hunk`` cut at every unchanged line between its changes; ``[hunk]`` when it cannot be."""
    before = split_lines(edit.before or "")
    matcher = difflib.SequenceMatcher(None, hunk.old, hunk.new, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if len(changes) < 2:
        return [hunk]
    after_like = list(before[:hunk.start]) + list(hunk.new)  # indexes of the new side, for shift
    parts = []
    for _tag, i1, i2, j1, j2 in changes:
        part = _hunk(hunk.path, before, after_like, hunk.start + i1, hunk.start + i2,
                     hunk.start + j1, hunk.start + j2, context)
        parts.append(Hunk(part.path, part.start, part.old, tuple(hunk.new[j1:j2]),
                          hunk.shift + j1 - i1, part.leading, part.trailing))
    return parts


def rebuild(edit: FileEdit, accepted: Iterable[Hunk]) -> str | None:
    """``edit.before`` with the accepted hunks applied: the one way a reviewed text is made.

    None means "no file": a created file none of whose hunks was accepted, or a deleted
    file whose deletion was.  Hunks must come from ``hunks``/``split`` of this edit (their
    ``new`` may be edited) and must not overlap.
    """
    chosen = sorted(accepted, key=lambda h: (h.start, len(h.old)))
    if edit.before is None and not chosen:
        return None
    lines = split_lines(edit.before or "")
    out: list[str] = []
    pos = 0
    for h in chosen:
        if h.start < pos or tuple(lines[h.start:h.start + len(h.old)]) != h.old:
            raise ValueError(f"{edit.path}: hunk at line {h.start + 1} does not apply")
        out += lines[pos:h.start]
        out += h.new
        pos = h.start + len(h.old)
    text = "".join(out + lines[pos:])
    if edit.after is None and chosen and not text:
        return None
    return text


def edit_text(hunk: Hunk) -> str:
    """The hunk as the editor shows it: ' ', '-' and '+' lines, then a short guide."""
    out = [f"# Edit this hunk of {hunk.path}; the result replaces it.\n", f"{hunk.header}\n"]
    marked = hunk.lines()[len(hunk.leading):]
    for mark, line in marked[:len(marked) - len(hunk.trailing)]:
        out.append(mark + line.rstrip("\r\n") + "\n")
        if not line.endswith("\n"):
            out.append("\\ No newline at end of file\n")
    return "".join(out) + EDIT_GUIDE


def parse_edit(hunk: Hunk, text: str, newline: str = "\n") -> tuple[str, ...]:
    """The new lines of an edited hunk; ValueError when its old side was changed."""
    rows: list[tuple[str, str]] = []  # (mark, line without its ending)
    ends: dict[int, bool] = {}  # row index -> False after a "\\ No newline" marker
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for raw in lines:
        raw = raw.rstrip("\r")
        if raw.startswith(("#", "@@")):
            continue
        if raw.startswith("\\"):
            ends[len(rows) - 1] = False
            continue
        mark, body = (raw[0], raw[1:]) if raw else (" ", "")  # an editor may strip " " to ""
        if mark not in " -+":
            raise ValueError(f"the edited hunk has a line starting with {mark!r}, not ' ', '-' or '+'")
        rows.append((mark, body))
    if not rows:
        raise ValueError("the edited hunk is empty")
    if [b for m, b in rows if m in " -"] != [line.rstrip("\r\n") for line in hunk.old]:
        raise ValueError("the edit changed ' ' or '-' lines; only '+' lines can be changed, added or deleted")
    added = [line for mark, line in hunk.lines() if mark == "+"]
    result, pos, seen = [], 0, 0
    for n, (mark, body) in enumerate(rows):  # lines left as they were keep their exact bytes
        if mark != "+":
            result += [hunk.old[pos]] if mark == " " else []
            pos += 1
            continue
        line = body + (newline if ends.get(n, True) else "")
        same = [k for k in range(seen, len(added)) if added[k].rstrip("\r\n") == body
                and added[k].endswith("\n") == line.endswith("\n")]
        if same:
            line, seen = added[same[0]], same[0] + 1
        result.append(line)
    return tuple(result)
