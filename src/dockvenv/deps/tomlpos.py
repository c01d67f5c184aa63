"""Line numbers of keys and array strings in a TOML text (tomllib gives none).

A light scan, good enough for findings: it follows table headers and dotted keys,
skips comments and multi-line strings, and reads the strings of one array in order.
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_HEADER = re.compile(r"^\s*\[(?!\[)(.*)\]\s*(#.*)?$")
_AOT = re.compile(r"^\s*\[\[(.*)\]\]\s*(#.*)?$")


def parse_key(text: str) -> tuple[tuple[str, ...], int] | None:
    """A dotted key at the start of ``text``: its parts and where it ends."""
    parts: list[str] = []
    i = 0
    n = len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "\"'":
            q = text[i]
            j = i + 1
            buf = []
            while j < n and text[j] != q:
                if q == '"' and text[j] == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= n:
                return None
            parts.append("".join(buf))
            i = j + 1
        else:
            m = _BARE.match(text, i)
            if not m:
                return None
            parts.append(m.group(0))
            i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == ".":
            i += 1
            continue
        return tuple(parts), i


def _lines(text: str) -> list[str]:
    return text.lstrip("\ufeff").split("\n")


def _entries(text: str):  # type: ignore[no-untyped-def]
    """(line index, current table, key parts, rest of line after '=') for each key line."""
    table: tuple[str, ...] = ()
    in_string: str | None = None
    for idx, line in enumerate(_lines(text)):
        if in_string:
            if in_string in line:
                in_string = None
            continue
        m = _AOT.match(line) or _HEADER.match(line)
        if m:
            key = parse_key(m.group(1))
            table = key[0] if key else table
            continue
        key = parse_key(line)
        if key is None or "=" not in line[key[1] : key[1] + 1]:
            continue
        rest = line[key[1] + 1 :]
        for quote in ('"""', "'''"):
            if rest.count(quote) == 1:
                in_string = quote
        yield idx, table, key[0], rest


def key_lines(text: str, table: tuple[str, ...]) -> dict[str, int]:
    """1-based line of each key of ``table`` (keys written under its header or dotted)."""
    out: dict[str, int] = {}
    for idx, current, key, _rest in _entries(text):
        full = current + key
        if len(full) == len(table) + 1 and full[:-1] == table:
            out.setdefault(full[-1], idx + 1)
    return out


def array_lines(text: str, path: tuple[str, ...]) -> list[int]:
    """1-based line of each string element of the array at ``path``, in order."""
    lines = _lines(text)
    for idx, current, key, rest in _entries(text):
        if current + key != path:
            continue
        offset = sum(len(x) + 1 for x in lines[:idx]) + len(lines[idx]) - len(rest)
        return _strings(text.lstrip("\ufeff"), offset, idx)
    return []


def _strings(text: str, i: int, line: int) -> list[int]:
    out: list[int] = []
    depth = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return out
        elif ch in "\"'":
            triple = text.startswith(ch * 3, i)
            if depth == 1:
                out.append(line + 1)
            end = _string_end(text, i, ch, triple)
            line += text.count("\n", i, end)
            i = end
            continue
        i += 1
    return out


def _string_end(text: str, i: int, q: str, triple: bool) -> int:
    if triple:
        j = text.find(q * 3, i + 3)
        return len(text) if j < 0 else j + 3
    j = i + 1
    while j < len(text) and text[j] != q and text[j] != "\n":
        if q == '"' and text[j] == "\\":
            j += 1
        j += 1
    return j + 1


def value_text(text: str, line: int) -> str:
    """The value of the ``key = value`` on a 1-based line, as written, comment dropped."""
    lines = _lines(text)
    if not 0 < line <= len(lines):
        return ""
    raw = lines[line - 1].rstrip("\r")
    key = parse_key(raw)
    rest = raw[key[1] + 1 :] if key else raw.partition("=")[2]
    quote = ""
    for i, ch in enumerate(rest):
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                continue
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return rest[:i].strip()
    return rest.strip()
