"""``.dockerignore`` matching as Docker does it: last matching pattern wins, ``!`` re-includes.

Patterns are cleaned like paths (a leading ``/`` or ``./`` dropped), ``*`` and ``?`` do
not cross ``/``, ``**`` matches any number of folders, and a pattern that matches a
folder excludes everything under it.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache


def patterns(text: str | None) -> tuple[tuple[bool, str], ...]:
    """(negated, pattern) pairs of a .dockerignore text, comments and blanks dropped."""
    out = []
    for raw in (text or "").lstrip("\ufeff").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        pat = line[1:].strip() if neg else line
        pat = posixpath.normpath(pat.lstrip("/")) if pat.strip("/") else "."
        out.append((neg, pat))
    return tuple(out)


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out += "(?:.*/)?"
            else:
                out += ".*"
            continue
        if ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            end = pattern.find("]", i)
            if end < 0:
                out += re.escape(ch)
            else:
                cls = pattern[i + 1 : end].replace("\\", "\\\\")
                out += "[" + ("^" + cls[1:] if cls.startswith("!") else cls) + "]"
                i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + r"(?:/.*)?\Z")


def ignored(rules: tuple[tuple[bool, str], ...], path: str) -> bool:
    """Whether ``path`` (relative to the build context) is left out of the context."""
    path = posixpath.normpath(path.lstrip("/"))
    result = False
    for neg, pat in rules:
        if _regex(pat).match(path):
            result = not neg
    return result
