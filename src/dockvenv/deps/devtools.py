"""The curated list of development tools, and what is known about each.

docs/dependencies.md documents this list; ``[tool.dockvenv] dev-tools`` adds names or
``name*`` patterns to it and ``runtime-tools`` takes names out of it.
"""

from __future__ import annotations

import fnmatch
import re


from dockvenv.config import Settings

# Canonical distribution names.
DEV_TOOLS = frozenset(
    {
        # tests and test doubles
        "pytest",
        "coverage",
        "hypothesis",
        "tox",
        "nox",
        "nose",
        "nose2",
        "mutmut",
        "faker",
        "factory-boy",
        "freezegun",
        "time-machine",
        "responses",
        "requests-mock",
        "respx",
        "pyfakefs",
        # type checkers, linters, formatters
        "mypy",
        "pyright",
        "basedpyright",
        "pytype",
        "pyre-check",
        "ty",
        "ruff",
        "black",
        "isort",
        "flake8",
        "pylint",
        "pycodestyle",
        "pydocstyle",
        "pyflakes",
        "autopep8",
        "yapf",
        "autoflake",
        "pyupgrade",
        "docformatter",
        "codespell",
        "vulture",
        "darglint",
        "interrogate",
        "bandit",
        "safety",
        "pip-audit",
        # hooks, release and packaging chores
        "pre-commit",
        "prek",
        "twine",
        "build",
        "commitizen",
        "bump-my-version",
        "bumpversion",
        "bump2version",
        "bumpver",
        "towncrier",
        "check-manifest",
        # debuggers, shells and profilers
        "ipython",
        "ipdb",
        "pdbpp",
        "debugpy",
        "line-profiler",
        "memory-profiler",
        "py-spy",
        "snakeviz",
        "viztracer",
        "django-debug-toolbar",
        # documentation
        "pdoc",
        "myst-parser",
        "furo",
        "recommonmark",
    }
)

# Prefix/suffix families, as fnmatch patterns over canonical names.
DEV_PATTERNS = (
    "pytest-*",
    "flake8-*",
    "pylint-*",
    "tox-*",
    "nox-*",
    "sphinx",
    "sphinx-*",
    "sphinxcontrib-*",
    "mkdocs",
    "mkdocs-*",
    "mkdocstrings*",
    "types-*",
    "*-stubs",
)

# Entry-point groups that make the project a plugin of a tool: the tool then runs the
# project, so the tool's family is what the project needs at run time.
PLUGIN_GROUPS = {
    "pytest11": "pytest",
    "flake8.extension": "flake8",
    "flake8.report": "flake8",
    "mkdocs.plugins": "mkdocs",
    "mkdocs.themes": "mkdocs",
    "sphinx.html_themes": "sphinx",
    "sphinx.builders": "sphinx",
    "tox": "tox",
    "hypothesis": "hypothesis",
    "twine.registered_commands": "twine",
}

# Import names that differ from the distribution name (stub-only packages have none).
_IMPORT_NAMES = {
    "pytest": ("pytest", "_pytest", "py"),
    "ipython": ("IPython",),
    "factory-boy": ("factory",),
    "pre-commit": ("pre_commit",),
    "pip-audit": ("pip_audit",),
    "pytest-xdist": ("xdist",),
    "bump-my-version": ("bumpversion",),
    "black": ("black", "blackd"),
    "mkdocs-material": ("material",),
    "python-dotenv": ("dotenv",),
    "pyre-check": ("pyre_extensions",),
    "memory-profiler": ("memory_profiler",),
    "line-profiler": ("line_profiler",),
    "time-machine": ("time_machine",),
    "requests-mock": ("requests_mock",),
    "django-debug-toolbar": ("debug_toolbar",),
}

# Programs whose name is not the distribution's.
_PROGRAMS = {
    "py.test": "pytest",
    "cz": "commitizen",
    "sphinx-build": "sphinx",
    "sphinx-apidoc": "sphinx",
    "dmypy": "mypy",
    "stubgen": "mypy",
    "pyproject-build": "build",
    "blackd": "black",
    "ipython3": "ipython",
    "pip-audit": "pip-audit",
    "bump-my-version": "bump-my-version",
    "pyright-langserver": "pyright",
    "memray": "memray",
    "kernprof": "line-profiler",
    "dotenv": "python-dotenv",
}


def canonical(name: str) -> str:
    """PEP 503 normalisation (what packaging.utils.canonicalize_name does), without its imports."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pattern(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw.strip().lower())


def is_listed(name: str) -> bool:
    """On the curated list (whatever the settings say)."""
    return name in DEV_TOOLS or any(fnmatch.fnmatchcase(name, p) for p in DEV_PATTERNS)


def configured_dev(name: str, settings: Settings) -> bool:
    """Named (exactly or by a pattern) in ``[tool.dockvenv] dev-tools``."""
    return any(fnmatch.fnmatchcase(name, _pattern(p)) for p in settings.dev_tools)


def configured_runtime(name: str, settings: Settings) -> bool:
    return any(fnmatch.fnmatchcase(name, _pattern(p)) for p in settings.runtime_tools)


def is_dev_tool(name: str, settings: Settings) -> bool:
    if configured_runtime(name, settings):
        return False
    return is_listed(name) or configured_dev(name, settings)


def is_stub_only(name: str) -> bool:
    """Type stubs hold only ``.pyi`` files: nothing at run time can use them."""
    return name.startswith("types-") or name.endswith("-stubs")


def family(name: str) -> str:
    """The tool a package belongs to: ``pytest-cov`` -> ``pytest``."""
    for root in ("pytest", "flake8", "pylint", "tox", "nox", "mkdocs", "sphinx"):
        if name == root or name.startswith(root + "-"):
            return root
    if name.startswith("sphinxcontrib-"):
        return "sphinx"
    if name.startswith("mkdocstrings"):
        return "mkdocs"
    return name


def import_names(name: str) -> tuple[str, ...]:
    """Top-level module names a distribution provides (best knowledge, no installs)."""
    if is_stub_only(name):
        return ()
    return _IMPORT_NAMES.get(name, (name.replace("-", "_"),))


def program_distribution(program: str) -> str:
    """The distribution that installs a console script of that name."""
    return _PROGRAMS.get(program, canonical(program) if program else "")
