"""What dependency analysis finds: declarations and their lines, evidence of runtime use,
the kept/move verdicts and their reasons, and what the three rules report."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockvenv.config import Settings
from dockvenv.deps import analyze_dependencies, plan_dependency_edits
from dockvenv.deps.commands import runs
from dockvenv.deps.devtools import is_dev_tool
from dockvenv.deps.imports import scan
from dockvenv.errors import InputError
from dockvenv.project import Project, read_project
from dockvenv.rules import dv303_dotenv_at_import, dv401_dev_tool_runtime, dv402_dev_tool_used
from dockvenv.rules.base import Context


def project(tmp_path: Path, files: dict[str, str]) -> Project:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(textwrap.dedent(text).lstrip("\n").encode())
    return read_project(tmp_path)


def pyproject(*deps: str, extra: str = "") -> str:
    body = "".join(f'    "{d}",\n' for d in deps)
    return f'[project]\nname = "app"\nversion = "1"\ndependencies = [\n{body}]\n{extra}'


@pytest.mark.parametrize(
    ("name", "dev"),
    [
        ("pytest", True),
        ("pytest-cov", True),
        ("types-requests", True),
        ("django-stubs", True),
        ("sphinx-rtd-theme", True),
        ("mkdocs-material", True),
        ("flake8-bugbear", True),
        ("mypy-extensions", False),
        ("django-stubs-ext", False),
        ("flask", False),
        ("pytz", False),
        ("faker", True),
        ("factory-boy", True),
        ("bump-my-version", True),
    ],
)
def test_curated_list(name: str, dev: bool) -> None:
    assert is_dev_tool(name, Settings()) is dev


def test_settings_extend_and_exempt() -> None:
    s = Settings(dev_tools=("acme-lint*", "Our_Tool"), runtime_tools=("coverage",))
    assert is_dev_tool("acme-lint-rules", s) and is_dev_tool("our-tool", s)
    assert not is_dev_tool("coverage", s)


def test_declarations_carry_their_lines(tmp_path: Path) -> None:
    p = project(tmp_path, {"pyproject.toml": pyproject("flask", "pytest>=8", "mypy")})
    report = analyze_dependencies(p, Settings())
    lines = {d.name: (d.line, d.table, d.spec) for d in report.declared}
    assert lines["pytest"] == (6, "project.dependencies", "pytest>=8")
    assert lines["mypy"] == (7, "project.dependencies", "mypy")
    assert [d.name for d in report.moves] == ["pytest", "mypy"]


def test_import_scan_ignores_tests_type_checking_and_optional_imports() -> None:
    found = scan(
        [
            ("src/app/a.py", "import pytest\nfrom faker import Faker\n"),
            ("src/app/b.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mypy\n"),
            ("src/app/c.py", "try:\n    import ipdb\nexcept ImportError:\n    ipdb = None\n"),
            ("src/app/d.py", "def f():\n    import hypothesis\n"),
        ]
    )
    assert found.required("pytest") and found.required("faker") and found.required("hypothesis")
    assert "mypy" not in found.imports
    assert found.imports["ipdb"] and not found.required("ipdb")


def test_tests_and_conftest_do_not_count(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        {
            "pyproject.toml": pyproject("pytest", "faker"),
            "tests/test_x.py": "import pytest\nimport faker\n",
            "conftest.py": "import pytest\n",
            "src/app/seed.py": "import faker\n",
        },
    )
    report = analyze_dependencies(p, Settings())
    assert [d.name for d in report.moves] == ["pytest"]
    assert [(d.name, why) for d, why in report.kept] == [
        ("faker", "imported by runtime code (src/app/seed.py:1)")
    ]


def test_commands_from_dockerfile_procfile_and_compose(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        {
            "Dockerfile": """
            FROM python:3.12
            RUN uv run --frozen pytest -q && python -m mypy src
            ENTRYPOINT ["dumb-init", "--", "coverage", "run", "-m", "ipdb"]
        """,
            "Procfile": "web: exec debugpy --listen 0.0.0.0:5678 app.py\n",
            "compose.yaml": """
            services:
              web:
                command:
                  - ipython
                  - app.py
              worker:
                entrypoint: ["poetry", "run", "celery", "worker"]
        """,
        },
    )
    seen = {(r.distribution, r.modules) for r in runs(p)}
    assert {
        ("pytest", ()),
        ("mypy", ("mypy",)),
        ("coverage", ("ipdb",)),
        ("debugpy", ()),
        ("ipython", ()),
        ("celery", ()),
    } <= seen


def test_kept_reasons(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        {
            "pyproject.toml": pyproject(
                "pytest",
                "coverage",
                "ruff",
                "ipython",
                extra='[project.entry-points.pytest11]\nx = "app.plugin"\n',
            ),
            "Dockerfile": "FROM python:3.12\nCMD coverage run -m app\n",
        },
    )
    report = analyze_dependencies(p, Settings(runtime_tools=("ipython",)))
    kept = {d.name: why for d, why in report.kept}
    assert kept["pytest"].startswith("the project is a pytest plugin")
    assert kept["coverage"].startswith("run by Dockerfile:2")
    assert kept["ipython"] == "listed in [tool.dockvenv] runtime-tools"
    assert [d.name for d in report.moves] == ["ruff"]


def test_a_dev_tool_project_keeps_its_dependencies(tmp_path: Path) -> None:
    text = pyproject("click", "mypy", "pytest").replace('name = "app"', 'name = "pytest-fancy"')
    report = analyze_dependencies(project(tmp_path, {"pyproject.toml": text}), Settings())
    assert not report.moves
    assert all("itself a development tool" in why for _, why in report.kept)


def test_deliberate_family_and_its_override(tmp_path: Path) -> None:
    text = pyproject(
        "celery",
        "pytest-celery",
        "types-redis",
        extra='\n[dependency-groups]\ndev = ["pytest", "pytest-cov", "mypy"]\n',
    )
    p = project(tmp_path, {"pyproject.toml": text})
    report = analyze_dependencies(p, Settings())
    assert [d.name for d in report.moves] == ["types-redis"]  # stubs never run
    assert "looks deliberate" in dict((d.name, w) for d, w in report.kept)["pytest-celery"]
    forced = analyze_dependencies(p, Settings(dev_tools=("pytest-celery",)))
    assert {d.name for d in forced.moves} == {"pytest-celery", "types-redis"}


def test_computed_setup_py_is_reported_not_guessed(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        {
            "setup.py": """
        from setuptools import setup
        REQS = open("requirements.in").read().splitlines()
        setup(name="x", install_requires=REQS)
    """
        },
    )
    report = analyze_dependencies(p, Settings())
    assert report.notes == (("setup.py", 3, "install_requires is computed, not a literal list"),)
    findings = list(dv401_dev_tool_runtime.check(Context(p, Settings(), ())))
    assert [(f.line, f.fixable) for f in findings] == [(3, False)]


def test_dotted_key_documents_are_refused_not_rewritten(tmp_path: Path) -> None:
    text = (
        'project.name = "dotted"\nproject.version = "1"\n'
        'project.dependencies = ["flask", "pytest"]\nproject.requires-python = ">=3.9"\n'
    )
    p = project(tmp_path, {"pyproject.toml": text})
    report = analyze_dependencies(p, Settings())
    edits = plan_dependency_edits(p, Settings(), report)
    if report.unfixable:  # tomlkit would re-home keys: reported, nothing written
        assert not report.moves and edits == ()
    else:  # or the edit is exact
        import tomllib

        data = tomllib.loads(edits[0].after or "")
        assert data["project"]["dependencies"] == ["flask"]
        assert data["project"]["requires-python"] == ">=3.9"


def test_rules_report_lines(tmp_path: Path) -> None:
    p = project(
        tmp_path,
        {
            "pyproject.toml": pyproject("flask", "python-dotenv", "pytest", "faker"),
            "app/__init__.py": "from dotenv import load_dotenv\nimport faker\n\nload_dotenv()\n",
            "app/other.py": "import dotenv\ndotenv.load_dotenv()\n",
        },
    )
    ctx = Context(p, Settings(), ())
    assert [(f.path, f.line) for f in dv401_dev_tool_runtime.check(ctx)] == [("pyproject.toml", 7)]
    assert [(f.path, f.line, f.fixable) for f in dv402_dev_tool_used.check(ctx)] == [
        ("pyproject.toml", 8, False)
    ]
    dv303 = [(f.path, f.line, f.fixable) for f in dv303_dotenv_at_import.check(ctx)]
    assert dv303 == [("app/__init__.py", 4, True), ("app/other.py", 2, False)]
    # python-dotenv stays: app/other.py still needs it
    assert "python-dotenv" not in {d.name for d in analyze_dependencies(p, Settings()).moves}


def test_libcst_is_imported_only_to_edit(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "pyproject.toml": pyproject("flask", "pytest"),
            "setup.py": 'from setuptools import setup\nsetup(name="x", install_requires=["flask", "mypy"])\n',
            "app/__init__.py": "from dotenv import load_dotenv\nload_dotenv()\n",
        },
    )
    code = textwrap.dedent(f"""
        import sys
        from dockvenv.config import Settings
        from dockvenv.deps import analyze_dependencies, plan_dependency_edits
        from dockvenv.project import read_project
        p = read_project({str(tmp_path)!r})
        r = analyze_dependencies(p, Settings())
        assert "libcst" not in sys.modules, "analysis imported libcst"
        plan_dependency_edits(p, Settings(), r)
        assert "libcst" in sys.modules
    """)
    subprocess.run([sys.executable, "-c", code], check=True)


_LINES = st.sampled_from(
    [
        "[project]",
        'dependencies = ["pytest", "flask"',
        "]",
        'name = "x"',
        "[tool.poetry.dependencies]",
        'pytest = "^8"',
        "mypy = {version = '1', optional = true}",
        "install_requires =",
        "    pytest",
        "[options]",
        "-r requirements.txt",
        "pytest==8 \\",
        "  --hash=sha256:00",
        "# comment",
        "",
        "setup(install_requires=['pytest', x])",
        "from dotenv import load_dotenv",
        "load_dotenv()",
        "project.dependencies = ['ruff']",
        "[dependency-groups]",
        'dev = ["black"]',
        "\ufeff",
        "\r",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.dictionaries(
        st.sampled_from(["pyproject.toml", "requirements.txt", "setup.cfg", "setup.py", "app/__init__.py"]),
        st.lists(_LINES, max_size=8).map("\n".join),
        min_size=1,
    )
)
def test_odd_inputs_never_raise_anything_but_input_error(tmp_path: Path, files: dict[str, str]) -> None:
    root = tmp_path / str(abs(hash(tuple(sorted(files.items())))))
    try:
        p = project(root, files)
        report = analyze_dependencies(p, Settings())
        for e in plan_dependency_edits(p, Settings(), report):
            assert e.changed
    except InputError:
        pass
