"""Unified diffs and hunks, derived in one place from a plan's before/after texts.

The diff is what ``git apply`` accepts: ``a/``/``b/`` paths relative to the project,
``/dev/null`` for created files, and the ``\\ No newline at end of file`` marker.
"""

from __future__ import annotations

import difflib

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
