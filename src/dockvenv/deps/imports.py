"""What runtime code imports, and where it loads ``.env`` files at import time.

stdlib ``ast`` only: it lists the same imports as libcst 30 to 40 times faster, and
walking statement lists (never expressions) keeps a 5,000-line package well under
the 100 ms budget (``bench/bench_import_scan.py``).  An import inside
``try: ... except ImportError`` is optional: the code runs without it, so it does not
pin a package to run time; one under ``if TYPE_CHECKING:`` never runs at all.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_GUARDS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
# Names the dotenv codemod can give a "no .env file" stand-in (see rewrite/dotenv.py).
DOTENV_NAMES = frozenset({"load_dotenv", "find_dotenv", "dotenv_values"})
_SKIP_DIRS = frozenset({"tests", "test", "docs", "doc"})
_SKIP_FILES = frozenset({"conftest.py", "setup.py", "noxfile.py"})


@dataclass(frozen=True)
class ImportUse:
    path: str
    line: int
    guarded: bool  # optional: inside try/except ImportError


@dataclass(frozen=True)
class DotenvSite:
    path: str
    line: int  # the load_dotenv() call
    import_line: int  # the import that binds it
    fixable: bool
    why: str = ""


@dataclass
class Scan:
    imports: dict[str, list[ImportUse]] = field(default_factory=dict)
    dotenv: list[DotenvSite] = field(default_factory=list)
    files: int = 0

    def required(self, module: str) -> list[ImportUse]:
        return [u for u in self.imports.get(module, ()) if not u.guarded]


def is_runtime_source(path: str) -> bool:
    """Shipped or run code: tests, conftest, docs and build scripts do not count."""
    parts = path.split("/")
    name = parts[-1]
    if name in _SKIP_FILES or name.startswith("test_") or name.endswith("_test.py"):
        return False
    return not any(p in _SKIP_DIRS or p.startswith(".") for p in parts[:-1])


def scan(sources: Iterable[tuple[str, str]], only: Iterable[str] | None = None) -> Scan:
    """Imports of every source; with ``only``, a file is parsed only when it names one of
    those modules (or calls load_dotenv): most files name no dev tool at all."""
    out = Scan()
    wanted = None
    if only is not None:
        names = sorted(set(only) | {"load_dotenv"})
        wanted = re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b")
    for path, text in sources:
        out.files += 1
        if "import" not in text or (wanted is not None and not wanted.search(text)):
            continue
        try:
            tree = ast.parse(text.lstrip("\ufeff"), path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # not ours to judge; a broken file imports nothing we can see
        _File(path, out, "load_dotenv" in text).run(tree)
    return out


class _File:
    def __init__(self, path: str, out: Scan, dotenv: bool) -> None:
        self.path = path
        self.out = out
        self.dotenv = dotenv
        self.bindings: dict[str, tuple[int, bool, bool, str]] = {}  # name -> (line, guarded, fixable, why)
        self.modules: dict[str, tuple[int, bool]] = {}  # alias of `import dotenv`

    def run(self, tree: ast.Module) -> None:
        lines: dict[int, int] = {}
        for st in tree.body:
            lines[st.lineno] = lines.get(st.lineno, 0) + 1
        self.shared_lines = {k for k, v in lines.items() if v > 1}
        self.walk(tree.body, guarded=False, import_time=True, top=True)

    def walk(self, body: list[ast.stmt], guarded: bool, import_time: bool, top: bool = False) -> None:
        for st in body:
            if isinstance(st, ast.Import):
                for alias in st.names:
                    self.add(alias.name.split(".")[0], st.lineno, guarded)
                    if alias.name == "dotenv":
                        self.modules[alias.asname or "dotenv"] = (st.lineno, guarded)
            elif isinstance(st, ast.ImportFrom):
                if st.level == 0 and st.module:
                    root = st.module.split(".")[0]
                    self.add(root, st.lineno, guarded)
                    if root == "dotenv":
                        self.bind(st, guarded, top)
            elif isinstance(st, ast.Try) or type(st).__name__ == "TryStar":
                catches = any(_catches_import_error(h) for h in st.handlers)  # type: ignore[attr-defined]
                self.walk(st.body, guarded or catches, import_time)  # type: ignore[attr-defined]
                for h in st.handlers:  # type: ignore[attr-defined]
                    self.walk(h.body, guarded, import_time)
                self.walk(st.orelse, guarded or catches, import_time)  # type: ignore[attr-defined]
                self.walk(st.finalbody, guarded, import_time)  # type: ignore[attr-defined]
            elif isinstance(st, ast.If):
                if _is_type_checking(st.test):
                    self.walk(st.orelse, guarded, import_time)
                    continue
                main = _is_main_guard(st.test)
                if self.dotenv and import_time:
                    self.calls(st.test, st.lineno)
                self.walk(st.body, guarded, import_time and not main)
                self.walk(st.orelse, guarded, import_time)
            elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.walk(st.body, guarded, False)
            elif isinstance(st, ast.ClassDef):
                self.walk(st.body, guarded, import_time)
            elif isinstance(st, (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
                self.walk(st.body, guarded, import_time)
                self.walk(getattr(st, "orelse", []), guarded, import_time)
            elif isinstance(st, ast.Match):
                for case in st.cases:
                    self.walk(case.body, guarded, import_time)
            elif self.dotenv and import_time:
                self.calls(st, st.lineno)

    def add(self, module: str, line: int, guarded: bool) -> None:
        self.out.imports.setdefault(module, []).append(ImportUse(self.path, line, guarded))

    def bind(self, st: ast.ImportFrom, guarded: bool, top: bool) -> None:
        names = {a.name for a in st.names}
        why = ""
        if not top:
            why = "the dotenv import is not at module level"
        elif st.module != "dotenv" or not names <= DOTENV_NAMES:
            why = f"imports {', '.join(sorted(names - DOTENV_NAMES)) or st.module} from dotenv"
        elif st.lineno in self.shared_lines:
            why = "the import shares its line with another statement"
        for alias in st.names:
            self.bindings[alias.asname or alias.name] = (st.lineno, guarded, not why, why)

    def calls(self, node: ast.AST, line: int) -> None:
        for sub in ast.walk(node):
            if not isinstance(sub, ast.Call):
                continue
            f = sub.func
            if isinstance(f, ast.Name) and f.id in self.bindings:
                imp, guarded, fixable, why = self.bindings[f.id]
                if not guarded:
                    self.out.dotenv.append(DotenvSite(self.path, sub.lineno, imp, fixable, why))
            elif (
                isinstance(f, ast.Attribute)
                and f.attr == "load_dotenv"
                and isinstance(f.value, ast.Name)
                and f.value.id in self.modules
            ):
                imp, guarded = self.modules[f.value.id]
                if not guarded:
                    why = "`import dotenv` form: make it a guarded import by hand"
                    self.out.dotenv.append(DotenvSite(self.path, sub.lineno, imp, False, why))


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    t = handler.type
    if t is None:
        return True
    names = t.elts if isinstance(t, ast.Tuple) else [t]
    return any(isinstance(n, ast.Name) and n.id in _GUARDS for n in names)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )
