"""What a module reads next to its own file, what it reads from the working directory, what it imports."""

from __future__ import annotations

import pytest

from dockvenv.packaging.sources import scan

OWN = [
    ('from pathlib import Path\nT = Path(__file__).parent / "templates"\n', "app.py", ["templates"]),
    ('from pathlib import Path\nT = Path(__file__).resolve().parent / "static" / "css"\n', "app.py", ["static/css"]),
    ('import os\nS = os.path.join(os.path.dirname(__file__), "static")\n', "pkg/web.py", ["pkg/static"]),
    ('import os\nS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "x.csv")\n', "app.py",
     ["data/x.csv"]),
    (("from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\n"
     'STATICFILES_DIRS = [BASE_DIR / "static"]\nT = [BASE_DIR / "templates"]\n'), "mysite/settings.py",
     ["static", "templates"]),
    ('from pathlib import Path\nROOT = Path(__file__).parents[1]\nC = ROOT.joinpath("conf", "app.ini")\n',
     "pkg/sub.py", ["conf/app.ini"]),
    ('import os\nHERE = os.path.dirname(__file__)\nP = f"{HERE}/assets"\n', "app.py", ["assets"]),
    ("from flask import Flask\napp = Flask(__name__)\n", "app.py", ["templates", "static"]),
    ('from flask import Flask\napp = Flask(__name__, template_folder="views", static_folder=None)\n', "web/app.py",
     ["web/views"]),
    ('from flask import Blueprint\nbp = Blueprint("admin", __name__, template_folder="tpl")\n', "admin/views.py",
     ["admin/tpl"]),
    ('from pathlib import Path\nX = Path(__file__).parent.parent / "shared"\n', "app.py", ["../shared"]),
    ('import os\nX = os.path.join(os.path.dirname(__file__), name)\n', "app.py", []),
]


@pytest.mark.parametrize(("source", "path", "expected"), OWN)
def test_reads_next_to_the_module(source: str, path: str, expected: list[str]) -> None:
    facts = scan(path, source)
    assert facts is not None
    assert list(facts.own_reads) == expected


CWD = [
    ('import json\nC = json.load(open("config.json"))\n', ["config.json"]),
    ('from pathlib import Path\nC = Path("settings/app.yaml").read_text()\n', ["settings/app.yaml"]),
    ('from fastapi.staticfiles import StaticFiles\ns = StaticFiles(directory="static")\n', ["static"]),
    ('CONFIG_PATH = "./conf/app.toml"\n', ["conf/app.toml"]),
    ('STATIC_URL = "static/"\nLOGIN_URL = "login"\n', []),
    ('from flask import url_for\nu = url_for("static", filename="style.css")\n', []),
    ('open("/etc/hosts")\nopen("https://x")\nopen(f"{x}.txt")\n', []),
]


@pytest.mark.parametrize(("source", "expected"), CWD)
def test_reads_from_the_working_directory(source: str, expected: list[str]) -> None:
    facts = scan("app.py", source)
    assert facts is not None
    assert list(facts.cwd_reads) == expected


def test_imports_are_top_level_absolute_names() -> None:
    facts = scan("app.py", "import os.path\nfrom app.routes import x\nfrom . import y\nimport helpers as h\n")
    assert facts is not None and facts.imports == {"os", "app", "helpers"}


@pytest.mark.parametrize(("main", "offered"), [
    ("main()", True), ("sys.exit(main())", True), ("raise SystemExit(main())", True), ("exit(main())", True),
    ("main(sys.argv[1:])", False), ("app.run()", False), ("main()\n    print('done')", False),
])
def test_console_script_offered_only_when_the_guard_just_calls_main(main: str, offered: bool) -> None:
    facts = scan("app.py", f"import sys\ndef main():\n    pass\nif __name__ == '__main__':\n    {main}\n")
    assert facts is not None and facts.main_calls_main is offered


def test_main_with_required_arguments_is_not_a_console_script() -> None:
    facts = scan("app.py", "def main(argv):\n    pass\nif __name__ == '__main__':\n    main()\n")
    assert facts is not None and not facts.main_calls_main


def test_django_settings_module() -> None:
    facts = scan("manage.py", 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n')
    assert facts is not None and facts.django_settings == "mysite.settings"


@pytest.mark.parametrize("source", ["print 'python 2'\n", "{% if x %}\n", "\x00"])
def test_unparsable_modules_give_none(source: str) -> None:
    assert scan("app.py", source) is None
