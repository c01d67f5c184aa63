"""Which top-level modules and packages an app has, and which of its files they read.

Every top-level module and regular package goes into the wheel (tests, docs and build
scripts excepted); a folder without ``__init__.py`` goes in when the CMD names it or an
included module imports it.  A name the standard library also has is left out when
nothing imports it, and blocks packaging when something does: run from the source tree it
shadowed the standard module, from site-packages it would lose to it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from dockvenv.packaging.sources import ModuleFacts, scan
from dockvenv.packaging.tree import NOT_APP_DIRS, NOT_APP_FILES, Tree


@dataclass
class Layout:
    tree: Tree
    candidates: dict[str, str] = field(default_factory=dict)  # top-level name -> "app.py" / "pkg"
    namespaces: dict[str, str] = field(default_factory=dict)  # folders of modules without __init__.py
    included: dict[str, str] = field(default_factory=dict)  # what the wheel carries
    facts: dict[str, ModuleFacts] = field(default_factory=dict)  # per Python file of the included ones
    reasons: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)

    def is_included_path(self, rel: str) -> bool:
        return any(rel == p or rel.startswith(p + "/") for p in self.included.values())

    def files_of(self, top: str) -> list[str]:
        path = self.included.get(top) or self.candidates.get(top) or self.namespaces.get(top)
        if path is None:
            return []
        return [path] if path.endswith(".py") else self.tree.python_files(path)


def find(tree: Tree) -> Layout:
    lay = Layout(tree)
    for name in tree.top:
        if name.endswith(".py") and name[:-3].isidentifier() and name not in NOT_APP_FILES \
                and not name.startswith("test_") and not name.endswith("_test.py") and tree.text(name) is not None:
            lay.candidates[name[:-3]] = name
        elif name in tree.dirs and name.isidentifier() and name not in NOT_APP_DIRS:
            if tree.exists(f"{name}/__init__.py"):
                lay.candidates[name] = name
            elif tree.python_files(name):
                lay.namespaces[name] = name
    lay.included = dict(lay.candidates)
    return lay


def include(lay: Layout, top: str) -> bool:
    """Take a namespace folder (or a candidate) into the wheel; False when no such name exists."""
    if top in lay.included:
        return True
    path = lay.candidates.get(top) or lay.namespaces.get(top)
    if path is None:
        return False
    lay.included[top] = path
    return True


def close(lay: Layout, needed: set[str]) -> None:
    """Follow imports from the included modules to namespace folders; then the stdlib check."""
    todo = list(lay.included)
    seen: set[str] = set()
    while todo:
        top = todo.pop()
        if top in seen:
            continue
        seen.add(top)
        for path in lay.files_of(top):
            facts = _facts(lay, path)
            for name in facts.imports if facts else ():
                if name not in lay.included and name in lay.namespaces:
                    include(lay, name)
                    lay.reasons.append(f"{lay.namespaces[name]}/ (no __init__.py) goes into the wheel: "
                                       f"{path} imports {name}")
                    todo.append(name)
    imported = {n for p, f in lay.facts.items() for n in f.imports if not p.startswith(n + "/") and p != f"{n}.py"}
    for name in sorted(lay.included):
        if name not in getattr(sys, "stdlib_module_names", ()):
            continue
        if name in imported or name in needed:
            lay.blockers.append(f"{lay.included[name]} shadows the standard library's {name} module: it only "
                                "works run from the source tree, not installed from a wheel")
        else:
            del lay.included[name]
            lay.reasons.append(f"{lay.candidates.get(name, name)} left out of the wheel: nothing imports it "
                               f"and it has the name of the standard library's {name} module")


def _facts(lay: Layout, path: str) -> ModuleFacts | None:
    if path not in lay.facts:
        text = lay.tree.text(path)
        found = scan(path, text) if text is not None else None
        if found is None:
            return None
        lay.facts[path] = found
    return lay.facts[path]


def all_facts(lay: Layout) -> list[ModuleFacts]:
    out = []
    for top in sorted(lay.included):
        for path in lay.files_of(top):
            f = _facts(lay, path)
            if f is not None:
                out.append(f)
    return out


def module_facts(lay: Layout, path: str) -> ModuleFacts | None:
    return _facts(lay, path)
