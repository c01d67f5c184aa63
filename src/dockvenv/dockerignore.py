"""``.dockerignore`` matching as Docker does it: last matching pattern wins, ``!`` re-includes.

Patterns are cleaned like paths (a leading ``/`` or ``./`` dropped), ``*`` and ``?`` do
not cross ``/``, ``**`` matches any number of folders, and a pattern that matches a
folder excludes everything under it.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from typing import Callable

from dockvenv.errors import InputError


def for_dockerfile(text_of: Callable[[str], str | None], dockerfile: str,
                   context: str | None = None) -> tuple[tuple[bool, str], ...]:
    """The patterns for the build context of ``dockerfile`` (its folder unless given).

    ``Dockerfile.dockerignore`` next to the Dockerfile wins over the context's
    ``.dockerignore``, as in BuildKit.
    """
    context = posixpath.dirname(dockerfile) if context is None else context
    for path in (f"{dockerfile}.dockerignore", f"{context}/.dockerignore" if context else ".dockerignore"):
        text = text_of(path)
        if text is not None:
            return patterns(text, path)
    return ()


def patterns(text: str | None, path: str = ".dockerignore") -> tuple[tuple[bool, str], ...]:
    """(negated, pattern) pairs of a .dockerignore text, comments and blanks dropped.

    A pattern Docker would refuse (``[z-a]``, an unclosed ``[``) is an InputError naming
    ``path`` and the line, as ``docker build`` fails on it too.
    """
    out = []
    for number, raw in enumerate((text or "").lstrip("\ufeff").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        pat = line[1:].strip() if neg else line
        pat = posixpath.normpath(pat.lstrip("/")) if pat.strip("/") else "."
        try:
            _regex(pat)
        except re.error:
            raise InputError(f"{path}:{number}: invalid pattern {line!r}") from None
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
            start = i + 1 + (pattern[i + 1 : i + 2] in ("!", "^"))
            end = pattern.find("]", start + 1 if pattern[start : start + 1] == "]" else start)
            if end < 0:
                raise re.error(f"unclosed [ in {pattern!r}")  # Go's filepath.Match: ErrBadPattern
            negate = "^" if start > i + 1 else ""
            members = "".join(c if c == "-" else re.escape(c) for c in pattern[start:end])
            out += f"[{negate}{members}]"
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
