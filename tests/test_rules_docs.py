"""Rule documentation: every rule's docstring is complete, and docs/ is generated from the code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockvenv import docs
from dockvenv.config import documented_fields
from dockvenv.rules import RULES, doc
from tests.conftest import ROOT

SECTIONS = ("## Why is this bad?", "## Example", "## Use instead", "## Fix safety")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.CODE)
def test_rule_docstring_has_the_four_sections_in_order(rule) -> None:  # type: ignore[no-untyped-def]
    text = doc(rule.CODE)
    positions = [text.find(f"\n{s}\n") for s in SECTIONS]
    assert all(p > 0 for p in positions), [s for s, p in zip(SECTIONS, positions) if p <= 0]
    assert positions == sorted(positions)
    bodies = re.split(r"^## .*$", text, flags=re.M)[1:]
    assert len(bodies) == 4 and all(b.strip() for b in bodies)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.CODE)
def test_rule_identity(rule) -> None:  # type: ignore[no-untyped-def]
    assert re.fullmatch(r"DV[1-9]\d\d", rule.CODE)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.NAME)
    assert rule.__name__.rsplit(".", 1)[-1].startswith(rule.CODE.lower() + "_")
    first = doc(rule.CODE).splitlines()[0]
    assert first.startswith(f"{rule.CODE} {rule.NAME}: ") and len(first) <= 100
    assert callable(rule.check)


def test_rule_codes_and_names_are_unique() -> None:
    assert len({r.CODE for r in RULES}) == len({r.NAME for r in RULES}) == len(RULES)


def test_every_setting_is_documented() -> None:
    fields = documented_fields()
    assert fields and all(text.strip() for _name, _default, text in fields)


@pytest.mark.parametrize("name", ["rules.md", "configuration.md"])
def test_committed_docs_equal_the_generated_text(name: str) -> None:
    expected = docs.outputs(ROOT)[ROOT / "docs" / name]
    assert (ROOT / "docs" / name).read_text(encoding="utf-8") == expected, "run: python -m dockvenv.docs"


def test_rules_md_covers_every_rule_and_setting() -> None:
    rules_md = docs.rules_markdown()
    for rule in RULES:
        assert f"## {rule.CODE} {rule.NAME}\n" in rules_md
        assert f"[{rule.CODE}](#{rule.CODE.lower()}-{rule.NAME})" in rules_md
    assert "\n## Why is this bad?" not in rules_md and "\n### Why is this bad?" in rules_md  # demoted
    config_md = docs.configuration_markdown()
    for name, _default, _text in documented_fields():
        assert f"| `{name}` |" in config_md and f"\n{name} = " in config_md


def test_configuration_example_is_valid_toml_with_the_defaults() -> None:
    import tomllib

    from dockvenv.config import Settings, load

    block = docs.configuration_markdown().split("```toml\n", 1)[1].split("```", 1)[0]
    assert tomllib.loads(block)["tool"]["dockvenv"]
    assert load(block) == Settings()


def test_docs_command_check_and_write(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    for name in ("rules.md", "configuration.md"):
        shutil.copy(ROOT / "docs" / name, tmp_path / "docs" / name)
    cmd = [sys.executable, "-m", "dockvenv.docs", "--root", str(tmp_path)]
    assert subprocess.run([*cmd, "--check"], capture_output=True, timeout=60).returncode == 0
    (tmp_path / "docs" / "rules.md").write_text("stale\n")
    done = subprocess.run([*cmd, "--check"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, "stale docs/rules.md\n")
    assert (tmp_path / "docs" / "rules.md").read_text() == "stale\n"  # --check writes nothing
    assert subprocess.run(cmd, capture_output=True, timeout=60).returncode == 0
    assert (tmp_path / "docs" / "rules.md").read_text() == docs.rules_markdown()
