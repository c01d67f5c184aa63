"""Move requirements out of a pyproject.toml's runtime table: text in, text out.

tomlkit edits the parsed document in place, so comments, order, quoting and trailing
commas stay as written.  Every result is re-read with ``tomllib`` and compared with
the data the move is meant to produce; a difference (tomlkit can silently re-home
keys of dotted-key documents) refuses the edit instead of writing a new meaning.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class EditRefused(Exception):
    """The edit cannot be made safely; ``str()`` says why."""


@dataclass(frozen=True)
class Destination:
    kind: str  # "extra", "group", "pdm", "poetry-group", "poetry-dev"
    path: tuple[str, ...]  # where the moved entries go
    label: str  # as users read it: "[project.optional-dependencies].dev"


_DEST = {
    "extra": (("project", "optional-dependencies", "dev"), "[project.optional-dependencies].dev"),
    "group": (("dependency-groups", "dev"), "[dependency-groups].dev"),
    "pdm": (("tool", "pdm", "dev-dependencies", "dev"), "[tool.pdm.dev-dependencies].dev"),
    "poetry-group": (
        ("tool", "poetry", "group", "dev", "dependencies"),
        "[tool.poetry.group.dev.dependencies]",
    ),
    "poetry-dev": (("tool", "poetry", "dev-dependencies"), "[tool.poetry.dev-dependencies]"),
}


def destination(data: dict[str, Any], table: str, dev_target: str = "extra") -> Destination:
    """Where dev tools of ``table`` go: what the file already uses, else the setting."""
    tool = data.get("tool", {})
    if table == "tool.poetry.dependencies":
        poetry = tool.get("poetry", {})
        old = "dev-dependencies" in poetry and "group" not in poetry
        return Destination(
            "poetry-dev" if old else "poetry-group", *_DEST["poetry-dev" if old else "poetry-group"]
        )
    extras = data.get("project", {}).get("optional-dependencies", {})
    if dev_target == "group":
        kind = "group"
    elif isinstance(extras, dict) and "dev" in extras:
        kind = "extra"
    elif "dependency-groups" in data or "dev-dependencies" in tool.get("uv", {}):
        kind = "group"
    elif "dev-dependencies" in tool.get("pdm", {}):
        kind = "pdm"
    else:
        kind = "extra"
    return Destination(kind, *_DEST[kind])


def name_of(spec: str) -> str:
    try:
        return str(canonicalize_name(Requirement(spec).name))
    except InvalidRequirement:
        return ""


def move(text: str, table: str, names: Collection[str], dev_target: str = "extra") -> str:
    """``text`` with every entry of ``table`` named in ``names`` moved to the dev place."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    crlf = "\r\n" in body and body.count("\r\n") == body.count("\n")
    if crlf:
        body = body.replace("\r\n", "\n")
    data = tomllib.loads(body)
    dest = destination(data, table, dev_target)
    intended = copy.deepcopy(data)
    if table == "tool.poetry.dependencies":
        moved = _intended_poetry(intended, set(names), dest.path)
        after = _edit_poetry(body, set(names), dest.path) if moved else body
    else:
        moved = _intended_pep508(intended, set(names), dest.path)
        after = _edit_pep508(body, set(names), dest.path) if moved else body
    if after != body:
        after = _blank_before_new_headers(body, after)
        if "\n\n\n" not in body:
            while "\n\n\n" in after:  # a removed table leaves its blank line behind
                after = after.replace("\n\n\n", "\n\n")
        if not body.endswith("\n") and after.endswith("\n"):
            after = after[:-1]
    if after.endswith("\n\n") and not body.endswith("\n\n"):
        after = after.rstrip("\n") + "\n"  # a table created last in the file
    check(after, intended)
    if crlf:
        after = after.replace("\n", "\r\n")
    return bom + after


def check(after: str, intended: dict[str, Any]) -> None:
    try:
        got = tomllib.loads(after)
    except tomllib.TOMLDecodeError as exc:
        raise EditRefused(f"the edited file would not parse ({exc})") from None
    if got != intended:
        raise EditRefused("tomlkit would change the meaning of this file (dotted keys?); edit it by hand")


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not hasattr(data, "keys") or key not in data:
            return None
        data = data[key]
    return data


def _intended_pep508(data: dict[str, Any], names: set[str], dest: tuple[str, ...]) -> list[str]:
    deps = data["project"]["dependencies"]
    moved = [d for d in deps if isinstance(d, str) and name_of(d) in names]
    if not moved:
        return []
    data["project"]["dependencies"] = [d for d in deps if d not in moved]
    node = data
    for key in dest[:-1]:
        node = node.setdefault(key, {})
    target = node.setdefault(dest[-1], [])
    have = {name_of(x) for x in target if isinstance(x, str)}
    for spec in moved:
        if name_of(spec) not in have:
            target.append(spec)
            have.add(name_of(spec))
    return moved


def _edit_pep508(body: str, names: set[str], dest: tuple[str, ...]) -> str:
    import tomlkit
    from tomlkit.items import Array

    doc = tomlkit.parse(body)
    deps = doc["project"]["dependencies"]
    groups = [g for g in deps._value if g.value is not None and not _is_comment_or_ws(g.value)]
    moved: list[tuple[Any, str | None]] = []
    for i in reversed(range(len(groups))):
        value = groups[i].value
        if isinstance(value, str) and name_of(str(value)) in names:
            moved.insert(0, (value, _comment(groups[i])))
            del deps[i]
    if not any(not _is_comment_or_ws(g.value) for g in deps._value if g.value is not None):
        if all(_is_ws(g) for g in deps._value):
            deps._value.clear()
            deps._reindex()
    multiline = "\n" in body and _was_multiline(groups)
    indent = _indent(groups)
    created = _get(doc, dest) is None
    target = _dest_array(doc, dest, multiline)
    have = {name_of(str(v)) for v in target}
    new = [(v, c) for v, c in moved if name_of(str(v)) not in have]
    seen: set[str] = set()
    for value, comment in new:
        if name_of(str(value)) in seen:
            continue
        seen.add(name_of(str(value)))
        _append(target, value, comment, multiline, indent)
    if isinstance(target, Array) and multiline and new and target._value and not _closes_on_newline(target):
        target.add_line(indent="")
        if created and not _trailing_comma(groups):
            last = [g for g in target._value if g.value is not None and not _is_comment_or_ws(g.value)][-1]
            last.comma = None
    return doc.as_string()


def _is_comment_or_ws(value: Any) -> bool:
    from tomlkit.items import Comment, Null, Whitespace

    return isinstance(value, (Comment, Whitespace, Null))


def _is_ws(group: Any) -> bool:
    from tomlkit.items import Whitespace

    return all(isinstance(x, Whitespace) for x in group)


def _comment(group: Any) -> Any:
    return getattr(group, "comment", None)


def _was_multiline(groups: list[Any]) -> bool:
    return any(g.indent is not None and "\n" in g.indent.s for g in groups)


def _indent(groups: list[Any]) -> str:
    for g in groups:
        if g.indent is not None and "\n" in g.indent.s:
            return g.indent.s.rsplit("\n", 1)[1]
    return "    "


def _trailing_comma(groups: list[Any]) -> bool:
    values = [g for g in groups if g.value is not None and not _is_comment_or_ws(g.value)]
    return not values or values[-1].comma is not None


def _closes_on_newline(arr: Any) -> bool:
    last = arr._value[-1]
    return _is_ws(last) and "\n" in "".join(x.as_string() for x in last)


def _append(arr: Any, value: Any, comment: Any, multiline: bool, indent: str) -> None:
    if not multiline:
        arr.append(value)
        return
    original = comment
    if arr._value and _closes_on_newline(arr):
        # drop the closing newline group, add the line, put the bracket back on its own line
        closing = arr._value.pop()
        arr._reindex()
        arr.add_line(value, indent=indent)
        arr._value[-1].comment = original
        arr._value.append(closing)
        arr._reindex()
        return
    arr.add_line(value, indent=indent)
    arr._value[-1].comment = original


def _dest_array(doc: Any, dest: tuple[str, ...], multiline: bool) -> Any:
    import tomlkit

    node = doc
    for depth, key in enumerate(dest[:-1]):
        if key not in node:
            table = tomlkit.table(is_super_table=depth + 1 < len(dest) - 1 and key == "tool")
            if depth == 0 and key == "dependency-groups" and "project" in doc:
                table.add(tomlkit.nl())
                _insert_after(doc, "project", key, table)
            else:
                if depth > 0:
                    table.add(tomlkit.nl())
                _put(node, key, table)
        node = node[key]
    if dest[-1] not in node:
        arr = tomlkit.array()
        _add_key(node, dest[-1], arr)
    return node[dest[-1]]


def _add_key(node: Any, key: str, item: Any) -> None:
    """Add ``key`` after the table's last key-value line, before its trailing blank lines."""
    from tomlkit.items import Whitespace

    body = getattr(node, "value", node).body if hasattr(node, "value") else node.body
    trailing: list[Any] = []
    while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace):
        trailing.insert(0, body.pop())
    _put(node, key, item)
    body.extend(trailing)


def _put(node: Any, key: Any, item: Any) -> None:
    if hasattr(node, "add"):
        node.add(key, item)
    else:  # an out-of-order table (a [project] split by other tables) only takes item assignment
        node[key] = item


def _insert_after(doc: Any, after: str, key: str, table: Any) -> None:
    try:
        doc._insert_after(after, key, table)
    except Exception:  # tomlkit's placement refused (e.g. a split [project]): append instead
        doc.add(key, table)


def _intended_poetry(data: dict[str, Any], names: set[str], dest: tuple[str, ...]) -> list[str]:
    poetry = data["tool"]["poetry"]
    deps = poetry["dependencies"]
    moved = [k for k in deps if str(canonicalize_name(k)) in names and k.lower() != "python"]
    if not moved:
        return []
    node = poetry
    for key in dest[2:]:
        node = node.setdefault(key, {})
    have = {str(canonicalize_name(k)) for k in node}
    for key in moved:
        value = deps.pop(key)
        if isinstance(value, dict):
            value.pop("optional", None)
        if str(canonicalize_name(key)) not in have:
            node[key] = value
    _fix_extras(poetry, {str(canonicalize_name(k)) for k in moved})
    return moved


def _fix_extras(poetry: Any, moved: set[str]) -> None:
    """Extras may only name optional runtime dependencies: drop the moved ones."""
    extras = poetry.get("extras")
    if not isinstance(extras, dict):
        return
    for extra in list(extras):
        names = extras[extra]
        keep = [n for n in names if str(canonicalize_name(str(n).split("[")[0])) not in moved]
        if len(keep) == len(names):
            continue
        if not keep:
            del extras[extra]
            continue
        for n in [n for n in names if n not in keep]:
            names.remove(n)
    if not extras:
        del poetry["extras"]


def _edit_poetry(body: str, names: set[str], dest: tuple[str, ...]) -> str:
    import tomlkit
    from tomlkit.items import InlineTable

    doc = tomlkit.parse(body)
    poetry = doc["tool"]["poetry"]
    deps = poetry["dependencies"]
    entries = [(k, v) for k, v in deps.value.body if k is not None]
    moved = [
        (k, v) for k, v in entries if str(canonicalize_name(k.key)) in names and k.key.lower() != "python"
    ]
    node = poetry
    for depth, key in enumerate(dest[2:]):
        if key not in node:
            node.add(key, tomlkit.table(is_super_table=depth < len(dest) - 3))
        node = node[key]
    have = {str(canonicalize_name(k)) for k in node}
    for key, value in moved:
        deps.remove(key.key)
        if isinstance(value, InlineTable) and "optional" in value:
            value = _without_optional(value)
        if str(canonicalize_name(key.key)) not in have:
            node.add(key, value)
    if len(node.value.body) and not _ends_blank(node):
        node.add(tomlkit.nl())
    _fix_extras(poetry, {str(canonicalize_name(k.key)) for k, _ in moved})
    return doc.as_string()


def _ends_blank(table: Any) -> bool:
    text = table.as_string()
    return text.endswith("\n\n")


def _without_optional(table: Any) -> Any:
    """The inline table as written, minus its ``optional = ...`` pair."""
    import re

    import tomlkit

    raw = table.as_string()
    new_raw = re.sub(r"\s*,\s*optional\s*=\s*(true|false)\b", "", raw, count=1)
    if new_raw == raw:
        new_raw = re.sub(r"\boptional\s*=\s*(true|false)\s*,?\s*", "", raw, count=1)
    new = tomlkit.parse(f"x = {new_raw}")["x"]
    new.trivia.comment_ws = table.trivia.comment_ws
    new.trivia.comment = table.trivia.comment
    new.trivia.trail = table.trivia.trail
    return new


def _blank_before_new_headers(before: str, after: str) -> str:
    lines = after.split("\n")
    old = set(before.split("\n"))
    out: list[str] = []
    for line in lines:
        if line.startswith("[") and line not in old and out and out[-1].strip():
            out.append("")
        out.append(line)
    return "\n".join(out)
