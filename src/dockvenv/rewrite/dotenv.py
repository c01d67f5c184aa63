"""Make import-time ``load_dotenv()`` opt-in: a guarded import of python-dotenv.

Each module-level ``from dotenv import load_dotenv`` becomes::

    try:
        from dotenv import load_dotenv
    except ImportError:  # python-dotenv is a dev dependency: without it no .env file is read
        def load_dotenv(*args: object, **kwargs: object) -> bool:
            return False

The stand-ins return what python-dotenv itself returns when there is no ``.env`` file
(``False``, ``""``, ``{}``), so calls stay as written and an image without
python-dotenv starts exactly as one without a ``.env`` file.
"""

from __future__ import annotations

import ast
from typing import Any

NOTE = "python-dotenv is a dev dependency: without it no .env file is read"
_STAND_INS = {
    "load_dotenv": ("bool", "False"),
    "find_dotenv": ("str", '""'),
    "dotenv_values": ("dict[str, str | None]", "{}"),
}


def make_opt_in(text: str) -> str:
    """``text`` with every module-level ``from dotenv import ...`` guarded."""
    import libcst as cst

    bom = "\ufeff" if text.startswith("\ufeff") else ""
    module = cst.parse_module(text[len(bom) :])
    body = [_guard(module, st) if _is_dotenv_import(st) else st for st in module.body]
    if all(a is b for a, b in zip(body, module.body, strict=True)):
        return text
    after = bom + module.with_changes(body=body).code
    _verify(text, after)
    return after


def _is_dotenv_import(st: Any) -> bool:
    import libcst as cst

    if not isinstance(st, cst.SimpleStatementLine) or len(st.body) != 1:
        return False
    imp = st.body[0]
    return (
        isinstance(imp, cst.ImportFrom)
        and not imp.relative
        and isinstance(imp.module, cst.Name)
        and imp.module.value == "dotenv"
        and not isinstance(imp.names, cst.ImportStar)
        and all(isinstance(a.name, cst.Name) and a.name.value in _STAND_INS for a in imp.names)
    )


def _guard(module: Any, st: Any) -> Any:
    import libcst as cst

    nl, ind = module.default_newline, module.default_indent
    line = module.code_for_node(st.with_changes(leading_lines=[]))
    defs = []
    for alias in st.body[0].names:
        bound = alias.asname.name.value if alias.asname else alias.name.value
        kind, value = _STAND_INS[alias.name.value]
        defs.append(
            f"{ind}def {bound}(*args: object, **kwargs: object) -> {kind}:{nl}{ind}{ind}return {value}{nl}"
        )
    code = f"try:{nl}{ind}{line}except ImportError:  # {NOTE}{nl}" + "".join(defs)
    guarded = cst.parse_statement(code, config=module.config_for_parsing)
    return guarded.with_changes(leading_lines=st.leading_lines)


def _unguarded(tree: ast.Module) -> str:
    body: list[ast.stmt] = []
    for st in tree.body:
        if (
            isinstance(st, ast.Try)
            and len(st.body) == 1
            and isinstance(st.body[0], ast.ImportFrom)
            and st.body[0].module == "dotenv"
            and st.handlers
            and all(isinstance(s, ast.FunctionDef) for s in st.handlers[0].body)
        ):
            body.append(st.body[0])
        else:
            body.append(st)
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def _verify(before: str, after: str) -> None:
    from dockvenv.rewrite.pyproject import EditRefused

    try:
        old, new = ast.parse(before.lstrip("\ufeff")), ast.parse(after.lstrip("\ufeff"))
    except SyntaxError:
        raise EditRefused("the guarded import would not parse") from None
    if _unguarded(old) != _unguarded(new):
        raise EditRefused("guarding the dotenv import would change other code")
