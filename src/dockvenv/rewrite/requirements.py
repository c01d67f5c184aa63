"""Move requirement lines from a runtime requirements file to its dev file.

Lines move whole, inline comments, hashes and continuations included.  A block of
lines (between blank lines) whose every requirement moves takes its comments along;
otherwise comments stay where they are.  ``-r``/``-c`` includes and options never
move.  A created dev file starts with ``-r <runtime file>`` so that installing it
still gives a complete development environment.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from dockvenv.rewrite.pyproject import EditRefused

_OPTION = re.compile(r"^\s*(-[a-zA-Z]\b|--[a-z-]+)")


def name_of(line: str) -> str:
    """The canonical project name a requirement line installs ('' for options, paths, URLs)."""
    body = re.sub(r"(^|\s)#.*$", "", line).replace("\\\n", " ").strip()
    if not body or _OPTION.match(body) or "://" in body or body.startswith((".", "/")):
        return ""
    spec = re.split(r"\s+--?[a-z]", " " + body, maxsplit=1)[0].strip()
    try:
        return str(canonicalize_name(Requirement(spec).name))
    except InvalidRequirement:
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
        return str(canonicalize_name(m.group(1))) if m else ""


def _logical(lines: list[str]) -> list[list[int]]:
    """Indexes of the physical lines of each logical line (backslash continuations)."""
    out: list[list[int]] = []
    i = 0
    while i < len(lines):
        group = [i]
        while re.sub(r"(^|\s)#.*$", "", lines[i].rstrip("\r\n")).rstrip().endswith("\\") and i + 1 < len(
            lines
        ):
            i += 1
            group.append(i)
        out.append(group)
        i += 1
    return out


def move(runtime: str, dev: str | None, names: Collection[str], include: str) -> tuple[str, str]:
    """(runtime text, dev text) with the requirements named in ``names`` moved."""
    bom = "\ufeff" if runtime.startswith("\ufeff") else ""
    lines = runtime[len(bom) :].splitlines(keepends=True)
    groups = _logical(lines)
    text_of = ["".join(lines[i] for i in g) for g in groups]
    picked = {k for k, t in enumerate(text_of) if name_of(t) in names}
    if not picked:
        return runtime, dev if dev is not None else ""
    moving = set(picked)
    starts: set[int] = set()  # first line of each block that moves whole
    dropped: set[int] = set()  # the blank line that separated such a block
    block: list[int] = []
    for k, t in enumerate([*text_of, ""]):
        if t.strip():
            block.append(k)
            continue
        reqs = [b for b in block if name_of(text_of[b])]
        if reqs and all(b in picked for b in reqs) and not any(_OPTION.match(text_of[b]) for b in block):
            moving |= set(block)
            starts.add(block[0])
            if k < len(text_of):
                dropped.add(k)
            elif block[0] > 0 and not text_of[block[0] - 1].strip():
                dropped.add(block[0] - 1)
        block = []
    kept = [t for k, t in enumerate(text_of) if k not in moving and k not in dropped]
    moved = [("\n" if k in starts else "") + t for k, t in enumerate(text_of) if k in moving]
    nl = "\r\n" if (dev if dev is not None else runtime).count("\r\n") > 0 else "\n"
    have = {name_of(t) for t in (dev or "").splitlines()} - {""}
    if dev is None:
        new_dev = f"-r {include}{nl}"
    else:
        new_dev = dev if not dev or dev.endswith("\n") else dev + nl
    for t in moved:
        n = name_of(t)
        if n and n in have:
            continue
        have.add(n)
        if t.startswith("\n"):
            t = t[1:]
            if new_dev.strip() and not new_dev.endswith(nl + nl):
                new_dev += nl
        new_dev += t.rstrip("\r\n") + nl
    new_runtime = bom + "".join(kept)
    if runtime.endswith("\n") and new_runtime and not new_runtime.endswith("\n"):
        new_runtime += "\r\n" if "\r\n" in runtime else "\n"  # the last line moved away: keep its final newline
    _verify(runtime, dev, new_runtime, new_dev, set(names))
    return new_runtime, new_dev


def _names(text: str) -> list[str]:
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    return [n for g in _logical(lines) if (n := name_of("".join(lines[i] for i in g)))]


def _verify(runtime: str, dev: str | None, new_runtime: str, new_dev: str, names: set[str]) -> None:
    before = _names(runtime)
    if _names(new_runtime) != [n for n in before if n not in names]:
        raise EditRefused("the runtime requirements would change beyond the moved lines")
    moved = {n for n in before if n in names}
    if not moved <= set(_names(new_dev)) or not set(_names(dev or "")) <= set(_names(new_dev)):
        raise EditRefused("the dev requirements would lose or miss a line")
