"""Read one Python module for what packaging must keep: imports and the files it opens.

stdlib ``ast`` only.  A read relative to the module's own file
(``Path(__file__).parent / "templates"``, ``os.path.join(os.path.dirname(__file__),
"static")``, Django's ``BASE_DIR / "static"``, ``Flask(__name__)``'s implied
``templates``/``static``) must travel with the module into the wheel; a literal relative
path (``open("config.yaml")``, ``StaticFiles(directory="static")``) is read from the working
directory and must be copied into the image.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass

_PATH_WRAPPERS = frozenset({"abspath", "realpath", "normpath", "Path", "PurePath", "PosixPath", "str", "fspath",
                            "resolve", "absolute", "expanduser"})
# CONFIG_PATH = "settings.yaml" names a file; STATIC_URL = "static/" does not.
_PATH_NAME = re.compile(r"path|file|dir|folder|config|cfg|conf", re.IGNORECASE)
_URL_NAME = re.compile(r"url|uri|route|prefix", re.IGNORECASE)
_NOT_FILE_CALLS = frozenset({"url_for", "render_template", "send_static_file", "get_template", "getenv", "get",
                             "setdefault", "reverse", "include", "path", "re_path", "url", "Blueprint", "route",
                             "getLogger", "import_module", "TemplateResponse"})


@dataclass(frozen=True)
class ModuleFacts:
    path: str  # relative to the packaged folder
    imports: frozenset[str]  # top-level names of absolute imports
    own_reads: tuple[str, ...]  # paths read relative to the module's file, relative to the folder
    cwd_reads: tuple[str, ...]  # literal relative paths, read from the working directory
    main_calls_main: bool  # ``if __name__ == "__main__": main()`` and a top-level ``def main()``
    django_settings: str | None  # DJANGO_SETTINGS_MODULE the module sets


def scan(path: str, text: str) -> ModuleFacts | None:
    """The module's facts; None when it does not parse (Python 2, a template)."""
    try:
        tree = ast.parse(text.lstrip("\ufeff"))
    except (SyntaxError, ValueError, RecursionError):
        return None
    v = _Visitor(path)
    v.visit(tree)
    return ModuleFacts(path, frozenset(v.imports), tuple(dict.fromkeys(v.own)), tuple(dict.fromkeys(v.cwd)),
                       _main_guard_calls_main(tree), v.django)


def _parent(rel: str) -> str:
    if rel in ("", "."):
        return ".."
    if rel == ".." or rel.endswith("/.."):
        return rel + "/.."
    return posixpath.dirname(rel) or "."


def _join(base: str, *parts: str) -> str:
    return posixpath.normpath(posixpath.join(base, *parts))


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.dir = posixpath.dirname(path) or "."
        self.env: dict[str, str] = {}  # names bound to a place relative to the folder
        self.imports: set[str] = set()
        self.own: list[str] = []
        self.cwd: list[str] = []
        self.django: str | None = None

    # -- places: an expression that evaluates to a path relative to the folder ---------------
    def place(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.path if node.id == "__file__" else self.env.get(node.id)
        if isinstance(node, ast.Attribute):
            if node.attr == "parent":
                base = self.place(node.value)
                return _parent(base) if base is not None else None
            return None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents":
            base = self.place(node.value.value)
            index = node.slice
            if base is None or not (isinstance(index, ast.Constant) and isinstance(index.value, int)):
                return None
            for _ in range(index.value + 1):
                base = _parent(base)
            return base
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            base = self.place(node.left)
            part = _literal(node.right)
            return _join(base, part) if base is not None and part else None
        if isinstance(node, ast.JoinedStr) and node.values:
            head = node.values[0]
            base = self.place(head.value) if isinstance(head, ast.FormattedValue) else None
            rest = "".join(v.value for v in node.values[1:] if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if base is None or len(rest) < 2 or len(node.values) != 2 or not rest.startswith("/"):
                return None
            return _join(base, rest.lstrip("/"))
        if isinstance(node, ast.Call):
            return self._call_place(node)
        return None

    def _call_place(self, node: ast.Call) -> str | None:
        name = _func_name(node.func)
        if name == "dirname" and node.args:
            base = self.place(node.args[0])
            return _parent(base) if base is not None else None
        if name in _PATH_WRAPPERS:
            if isinstance(node.func, ast.Attribute) and name in ("resolve", "absolute", "expanduser"):
                return self.place(node.func.value)
            return self.place(node.args[0]) if node.args and len(node.args) == 1 else None
        if name in ("join", "joinpath"):
            args = list(node.args)
            base_node = node.func.value if name == "joinpath" and isinstance(node.func, ast.Attribute) else (
                args.pop(0) if args else None)
            base = self.place(base_node) if base_node is not None else None
            parts = []
            for a in args:
                lit = _literal(a)
                if lit is None:
                    break
                parts.append(lit)
            return _join(base, *parts) if base is not None and parts else None
        return None

    def _is_join(self, node: ast.AST) -> bool:
        if isinstance(node, (ast.BinOp, ast.JoinedStr)):
            return True
        return isinstance(node, ast.Call) and _func_name(node.func) in ("join", "joinpath")

    # -- statements and expressions -----------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        self.imports.update(a.name.split(".", 1)[0] for a in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.imports.add(node.module.split(".", 1)[0])

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        where = self.place(node.value)
        for t in node.targets:
            if isinstance(t, ast.Name):
                if where is not None:
                    self.env[t.id] = where
                elif _PATH_NAME.search(t.id) and not _URL_NAME.search(t.id) and _literal(node.value) is not None:
                    self._cwd(node.value.value)  # type: ignore[attr-defined]

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno))

    def generic_visit(self, node: ast.AST) -> None:
        if self._is_join(node):
            where = self.place(node)
            if where is not None:
                self.own.append(where)
                return
        super().generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _func_name(node.func)
        where = self.place(node) if self._is_join(node) else None
        if where is not None:
            self.own.append(where)
            return
        if name in ("Flask", "Blueprint"):
            self._flask(node, name)
        if name == "setdefault" and len(node.args) == 2 and _literal(node.args[0]) == "DJANGO_SETTINGS_MODULE":
            self.django = _literal(node.args[1])
        if name not in _NOT_FILE_CALLS:
            for a in (*node.args, *(k.value for k in node.keywords)):
                lit = _literal(a)
                if lit is not None:
                    self._cwd(lit)
        super().generic_visit(node)

    def _flask(self, node: ast.Call, name: str) -> None:
        args = node.args[:1] if name == "Flask" else node.args[1:2]
        if not (args and isinstance(args[0], ast.Name) and args[0].id == "__name__"):
            return
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        defaults = {"template_folder": "templates", "static_folder": "static"} if name == "Flask" else {}
        for key in ("template_folder", "static_folder"):
            value = kw.get(key)
            folder = _literal(value) if value is not None else defaults.get(key)
            if folder and not folder.startswith("/"):
                self.own.append(_join(self.dir, folder))

    def _cwd(self, value: str) -> None:
        v = value.strip()
        if v and len(v) < 200 and "\n" not in v and not v.startswith(("/", "~", "$", "-", "http:", "https:")) \
                and "{" not in v and "*" not in v:
            self.cwd.append(posixpath.normpath(v.removeprefix("./")))


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _func_name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _main_guard_calls_main(tree: ast.Module) -> bool:
    has_main = any(isinstance(n, ast.FunctionDef) and n.name == "main" and not _required_args(n) for n in tree.body)
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_guard(node.test) and not node.orelse:
            return has_main and len(node.body) == 1 and _calls_main(node.body[0])
    return False


def _required_args(fn: ast.FunctionDef) -> int:
    return len(fn.args.posonlyargs) + len(fn.args.args) - len(fn.args.defaults)


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and _literal(test.comparators[0]) == "__main__")


def _calls_main(stmt: ast.stmt) -> bool:
    """``main()``, ``sys.exit(main())``, ``exit(main())``, ``raise SystemExit(main())``."""
    def is_main_call(e: ast.AST | None) -> bool:
        return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "main" \
            and not e.args and not e.keywords

    def is_exit_of_main(e: ast.AST | None) -> bool:
        return isinstance(e, ast.Call) and _func_name(e.func) in ("exit", "SystemExit") and len(e.args) == 1 \
            and is_main_call(e.args[0])

    if isinstance(stmt, ast.Expr):
        return is_main_call(stmt.value) or is_exit_of_main(stmt.value)
    if isinstance(stmt, ast.Raise):
        return is_exit_of_main(stmt.exc)
    return False
