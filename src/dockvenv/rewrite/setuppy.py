"""Move ``install_requires`` entries of a setup.py to ``extras_require["dev"]`` with libcst.

Only literal lists (or tuples) of strings are edited; a computed value is refused.
Removed elements give their separator's comment lines to the element before them, so
comments, quoting and trailing commas stay as written.  The result is re-parsed with
``ast``: apart from the two lists, the module must be the same tree.
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from typing import Any

from dockvenv.rewrite.pyproject import EditRefused
from dockvenv.rewrite.requirements import name_of


def move(text: str, names: Collection[str]) -> str:
    import libcst as cst

    bom = "\ufeff" if text.startswith("\ufeff") else ""
    try:
        module = cst.parse_module(text[len(bom) :])
    except cst.ParserSyntaxError:
        raise EditRefused("setup.py does not parse") from None
    mover = _Mover(set(names))
    new = module.visit(mover)
    if not mover.moved:
        return text
    after = bom + new.code
    _verify(text, after, mover.moved)
    return after


class _Mover:  # a libcst.CSTTransformer, built lazily so libcst loads only when needed
    def __new__(cls, names: set[str]) -> Any:
        import libcst as cst

        class Mover(cst.CSTTransformer):
            def __init__(self) -> None:
                super().__init__()
                self.moved: list[str] = []
                self.done = False

            def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
                if self.done or not _is_setup(updated.func):
                    return updated
                self.done = True
                return _edit_call(updated, names, self.moved)

        return Mover()


def _is_setup(func: Any) -> bool:
    import libcst as cst

    return (isinstance(func, cst.Name) and func.value == "setup") or (
        isinstance(func, cst.Attribute) and func.attr.value == "setup"
    )


def _edit_call(call: Any, names: set[str], moved: list[str]) -> Any:
    import libcst as cst

    args = list(call.args)
    idx = {a.keyword.value: i for i, a in enumerate(args) if a.keyword is not None}
    if "install_requires" not in idx:
        return call
    ir = args[idx["install_requires"]]
    if not isinstance(ir.value, (cst.List, cst.Tuple)):
        raise EditRefused("install_requires is computed, not a literal list")
    keep, out = [], []
    for el in ir.value.elements:
        value = _string(el.value)
        if value is not None and name_of(value) in names:
            out.append(el)
        else:
            keep.append(el)
    if not out:
        return call
    moved.extend(_string(el.value) or "" for el in out)
    args[idx["install_requires"]] = ir.with_changes(value=_remove(ir.value, out))
    if "extras_require" in idx:
        ex = args[idx["extras_require"]]
        if not isinstance(ex.value, cst.Dict):
            raise EditRefused("extras_require is computed, not a literal dict")
        args[idx["extras_require"]] = ex.with_changes(value=_add_to_dict(ex.value, out))
    else:
        args = _insert_extras(args, idx["install_requires"], ir, out)
    return call.with_changes(args=args)


def _string(node: Any) -> str | None:
    import libcst as cst

    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _ws(node: Any) -> Any:
    return node.comma.whitespace_after if hasattr(node.comma, "whitespace_after") else None


def _remove(seq: Any, out: list[Any]) -> Any:
    """``seq`` without the elements in ``out``; their comment lines stay in the list."""
    import libcst as cst

    elements = list(seq.elements)
    rb = seq.rbracket.whitespace_before if isinstance(seq, cst.List) else None
    for i in sorted((k for k, e in enumerate(elements) if any(e is o for o in out)), reverse=True):
        el = elements[i]
        own = _ws(el)
        if i > 0:
            prev = elements[i - 1]
            pw = _ws(prev)
            if i == len(elements) - 1:
                if isinstance(rb, cst.ParenthesizedWhitespace) and isinstance(
                    pw, cst.ParenthesizedWhitespace
                ):
                    # the bracket's line takes the previous element's comment
                    rb = rb.with_changes(
                        first_line=pw.first_line, empty_lines=[*pw.empty_lines, *rb.empty_lines]
                    )
                    comma = prev.comma.with_changes(whitespace_after=cst.SimpleWhitespace(""))
                    elements[i - 1] = prev.with_changes(
                        comma=comma if isinstance(el.comma, cst.Comma) else cst.MaybeSentinel.DEFAULT
                    )
                elif not isinstance(el.comma, cst.Comma):
                    elements[i - 1] = prev.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            elif (
                isinstance(own, cst.ParenthesizedWhitespace)
                and own.empty_lines
                and isinstance(pw, cst.ParenthesizedWhitespace)
            ):
                merged = pw.with_changes(empty_lines=[*pw.empty_lines, *own.empty_lines])
                elements[i - 1] = prev.with_changes(comma=prev.comma.with_changes(whitespace_after=merged))
        del elements[i]
    if not isinstance(seq, cst.List):
        return seq.with_changes(elements=elements)
    if not elements:
        return seq.with_changes(
            elements=[],
            lbracket=seq.lbracket.with_changes(whitespace_after=cst.SimpleWhitespace("")),
            rbracket=seq.rbracket.with_changes(whitespace_before=cst.SimpleWhitespace("")),
        )
    return seq.with_changes(elements=elements, rbracket=seq.rbracket.with_changes(whitespace_before=rb))


def _append(seq: Any, new: list[Any]) -> Any:
    """``seq`` with ``new`` elements after its last one, in the list's own layout."""
    import libcst as cst

    elements = list(seq.elements)
    if not elements:
        return seq.with_changes(elements=_flat(new))
    if len(elements) > 1 and isinstance(elements[-2].comma, cst.Comma):
        sep = elements[-2].comma
    elif isinstance(seq, (cst.List, cst.Dict)) and isinstance(_open_ws(seq), cst.ParenthesizedWhitespace):
        sep = cst.Comma(whitespace_after=_open_ws(seq))
    else:
        sep = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    plain = _plain(sep)
    rb = _close_ws(seq)
    last = elements[-1]
    trailing = isinstance(last.comma, cst.Comma)
    head = plain
    if isinstance(rb, cst.ParenthesizedWhitespace) and isinstance(
        plain.whitespace_after, cst.ParenthesizedWhitespace
    ):
        # the old last element's comment sits on the bracket's whitespace: take it along
        head = plain.with_changes(
            whitespace_after=plain.whitespace_after.with_changes(first_line=rb.first_line)
        )
        rb = rb.with_changes(first_line=cst.TrailingWhitespace())
    elements[-1] = last.with_changes(
        comma=_keep_comment(last.comma, head)
        if not _has_comment(last.comma)
        else _keep_comment(last.comma, plain)
    )
    for el in new:
        elements.append(el.with_changes(comma=_keep_comment(el.comma, plain)))
    final = elements[-1]
    comment = (
        final.comma.whitespace_after.first_line
        if isinstance(final.comma.whitespace_after, cst.ParenthesizedWhitespace)
        else None
    )
    if isinstance(rb, cst.ParenthesizedWhitespace) and comment is not None:
        rb = rb.with_changes(first_line=comment)
        final = final.with_changes(comma=cst.Comma() if trailing else cst.MaybeSentinel.DEFAULT)
    elif not trailing:
        final = final.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    elements[-1] = final
    return _with_close(seq.with_changes(elements=elements), rb)


def _open_ws(seq: Any) -> Any:
    return seq.lbracket.whitespace_after if hasattr(seq, "lbracket") else seq.lbrace.whitespace_after


def _close_ws(seq: Any) -> Any:
    return seq.rbracket.whitespace_before if hasattr(seq, "rbracket") else seq.rbrace.whitespace_before


def _with_close(seq: Any, ws: Any) -> Any:
    if hasattr(seq, "rbracket"):
        return seq.with_changes(rbracket=seq.rbracket.with_changes(whitespace_before=ws))
    return seq.with_changes(rbrace=seq.rbrace.with_changes(whitespace_before=ws))


def _has_comment(comma: Any) -> bool:
    import libcst as cst

    ws = getattr(comma, "whitespace_after", None)
    return isinstance(ws, cst.ParenthesizedWhitespace) and ws.first_line.comment is not None


def _flat(new: list[Any]) -> list[Any]:
    import libcst as cst

    out = [e.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for e in new]
    out[-1] = out[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return out


def _plain(sep: Any) -> Any:
    """A separator without the comment of the element it followed."""
    import libcst as cst

    ws = sep.whitespace_after
    if isinstance(ws, cst.ParenthesizedWhitespace):
        ws = ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return sep.with_changes(whitespace_after=ws)


def _keep_comment(comma: Any, plain: Any) -> Any:
    import libcst as cst

    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        first = comma.whitespace_after.first_line
        return plain.with_changes(whitespace_after=plain.whitespace_after.with_changes(first_line=first))
    return plain


def _add_to_dict(d: Any, out: list[Any]) -> Any:
    import libcst as cst

    elements = list(d.elements)
    for k, el in enumerate(elements):
        if isinstance(el, cst.DictElement) and _string(el.key) == "dev":
            if not isinstance(el.value, (cst.List, cst.Tuple)):
                raise EditRefused('extras_require["dev"] is computed, not a literal list')
            have = {name_of(_string(e.value) or "") for e in el.value.elements}
            new = [e for e in out if name_of(_string(e.value) or "") not in have]
            elements[k] = el.with_changes(value=_append(el.value, new)) if new else el
            return d.with_changes(elements=elements)
    entry = cst.parse_expression(f"{{'dev': {_list_code(out)}}}").elements[0]  # type: ignore[attr-defined]
    quote = _quote(elements)
    entry = entry.with_changes(key=cst.SimpleString(f"{quote}dev{quote}"))
    return _append(d, [entry])


def _quote(elements: list[Any]) -> str:
    import libcst as cst

    for el in elements:
        if isinstance(getattr(el, "key", None), cst.SimpleString):
            return el.key.quote[-1]
    return '"'


def _list_code(out: list[Any]) -> str:
    import libcst as cst

    mod = cst.Module(body=[])
    return "[" + ", ".join(mod.code_for_node(e.value) for e in out) + "]"


def _insert_extras(args: list[Any], at: int, ir: Any, out: list[Any]) -> list[Any]:
    import libcst as cst

    first = ir.value.elements[0].value if ir.value.elements else out[0].value
    quote = first.quote[-1] if isinstance(first, cst.SimpleString) else '"'
    value = cst.parse_expression(_dict_code(args, at, ir, out, quote))
    new = cst.Arg(
        keyword=cst.Name("extras_require"),
        value=value,
        equal=ir.equal,
        comma=ir.comma,
    )
    sep = (
        args[at - 1].comma
        if at > 0 and isinstance(args[at - 1].comma, cst.Comma)
        else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    )
    args[at] = args[at].with_changes(comma=_plain(sep))
    args.insert(at + 1, new)
    return args


def _literal(tree: ast.Module, key: str) -> Any:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and any(k.arg == "install_requires" for k in node.keywords):
            for kw in node.keywords:
                if kw.arg == key:
                    value = ast.literal_eval(kw.value)
                    kw.value = ast.Constant(None)
                    return value
    return None


def _verify(before: str, after: str, moved: list[str]) -> None:
    try:
        old, new = ast.parse(before.lstrip("\ufeff")), ast.parse(after.lstrip("\ufeff"))
    except SyntaxError:
        raise EditRefused("the edited setup.py would not parse") from None
    old_ir, new_ir = _literal(old, "install_requires"), _literal(new, "install_requires")
    old_ex, new_ex = _literal(old, "extras_require") or {}, _literal(new, "extras_require") or {}
    want_ex = {k: list(v) for k, v in old_ex.items()}
    dev = want_ex.setdefault("dev", [])
    have = {name_of(x) for x in dev}
    dev.extend(m for m in moved if name_of(m) not in have and not have.add(name_of(m)))  # type: ignore[func-returns-value]
    if (
        list(new_ir) != [r for r in old_ir if r not in moved]
        or {k: list(v) for k, v in new_ex.items()} != want_ex
    ):
        raise EditRefused("the edited setup.py lists other requirements than intended")
    if _without_extras(old) != _without_extras(new):
        raise EditRefused("the edit would change setup.py beyond its requirement lists")


def _without_extras(tree: ast.Module) -> str:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            node.keywords = [k for k in node.keywords if k.arg != "extras_require"]
    return ast.dump(tree)


def _dict_code(args: list[Any], at: int, ir: Any, out: list[Any], quote: str) -> str:
    """``{"dev": [...]}`` laid out like the install_requires list it comes from."""
    import libcst as cst

    inner = ir.value.lbracket.whitespace_after if isinstance(ir.value, cst.List) else None
    if not isinstance(inner, cst.ParenthesizedWhitespace):
        return f"{{{quote}dev{quote}: {_list_code(out)}}}"
    before = (
        args[at - 1].comma.whitespace_after if at > 0 and isinstance(args[at - 1].comma, cst.Comma) else None
    )
    outer = before.last_line.value if isinstance(before, cst.ParenthesizedWhitespace) else ""
    step = " " * max(len(inner.last_line.value) - len(outer), 4)
    els = list(ir.value.elements) or out
    trailing = "," if isinstance(els[-1].comma, cst.Comma) else ""
    mod = cst.Module(body=[])
    lines = [f"{outer}{step}{step}{mod.code_for_node(e.value)}," for e in out]
    lines[-1] = lines[-1][:-1] + trailing
    for k, e in enumerate(out):
        ws = getattr(e.comma, "whitespace_after", None)
        if isinstance(ws, cst.ParenthesizedWhitespace) and ws.first_line.comment is not None:
            lines[k] += ws.first_line.whitespace.value + ws.first_line.comment.value
    body = "\n".join(lines)
    return f"{{\n{outer}{step}{quote}dev{quote}: [\n{body}\n{outer}{step}]{trailing}\n{outer}}}"
