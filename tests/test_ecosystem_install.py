"""Install paths (``python -m dockvenv``, pipx, uvx), ``--help`` examples, and shell completion
generated from the parser, exercised in real bash, zsh and fish.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockvenv.cli import _parser, main
from dockvenv.completion import model, script
from dockvenv.rules import BY_CODE

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=600, **kw)  # type: ignore[call-overload]


# -- help and python -m -------------------------------------------------------------------------

def test_python_m_dockvenv_help_shows_an_example_of_each_use() -> None:
    done = run(sys.executable, "-m", "dockvenv", "--help")
    assert done.returncode == 0
    examples = done.stdout.split("examples:", 1)[1]
    for use in ("dockvenv migrate --interactive .", "dockvenv migrate --dry-run .", "dockvenv migrate --check .",
                "dockvenv bulk --repos repos.txt", "dockvenv check ."):
        assert use in examples


def test_completion_help_says_how_to_install(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["completion", "--help"])
    out = capsys.readouterr().out
    assert "bash-completion/completions/dockvenv" in out and "_dockvenv" in out and "dockvenv.fish" in out


# -- the completion model ---------------------------------------------------------------------

def test_model_follows_the_parser() -> None:
    parser = _parser()
    top, commands = model(parser)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    listed = [a.dest for a in sub._choices_actions]
    assert [c.name for c in commands] == listed and "hook" not in listed
    by_name = {c.name: c for c in commands}
    check = {f: o for o in by_name["check"].options for f in o.flags}
    assert check["--format"].values == ("text", "json", "sarif", "github", "gitlab")
    assert set(check["--select"].values) == set(BY_CODE)
    assert by_name["check"].positional == "paths"
    assert by_name["rule"].positional == "values" and set(by_name["rule"].values) == set(BY_CODE)
    assert by_name["completion"].values == ("bash", "zsh", "fish")
    migrate_flags = {f for o in by_name["migrate"].options for f in o.flags}
    assert {"--dry-run", "--diff", "--check", "--interactive", "-i", "--yes", "--dev-target"} <= migrate_flags
    assert "--version" in {f for o in top.options for f in o.flags}
    if "bulk" in by_name:  # file-valued options complete file names
        bulk = {f: o for o in by_name["bulk"].options for f in o.flags}
        assert bulk["--repos"].file and bulk["--report"].file and not bulk["--org"].file
    assert all("%(" not in o.help for c in commands for o in c.options)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_every_command_and_flag_is_in_the_script(shell: str) -> None:
    text = script(_parser(), shell)
    _top, commands = model(_parser())
    for c in commands:
        assert c.name in text
        for o in c.options:
            for flag in o.flags:
                assert (flag if shell != "fish" else flag.lstrip("-")) in text


# -- real shells --------------------------------------------------------------------------------

BASH_DRIVER = """
source "$1"
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _dockvenv; echo "${COMPREPLY[*]}"; }
comp dockvenv ""
comp dockvenv mi
comp dockvenv check --format ""
comp dockvenv check --fo
comp dockvenv migrate --dev-target ""
comp dockvenv rule DV1
comp dockvenv check --select DV3
comp dockvenv completion ""
comp dockvenv check fix
complete -p dockvenv
"""


def test_bash(tmp_path: Path) -> None:
    path = tmp_path / "dockvenv.bash"
    path.write_text(script(_parser(), "bash"))
    done = run("bash", "--norc", "-c", BASH_DRIVER, "driver", str(path), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    _top, commands = model(_parser())
    assert lines[0].split() == [c.name for c in commands] + ["-h", "--help", "--version"]
    assert lines[1:] == [
        "migrate",
        "text json sarif github gitlab",
        "--format",
        "extra group",
        " ".join(c for c in sorted(BY_CODE) if c.startswith("DV1")),
        " ".join(c for c in sorted(BY_CODE) if c.startswith("DV3")),
        "bash zsh fish",
        "fixtures",
        "complete -F _dockvenv dockvenv",
    ]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish(tmp_path: Path) -> None:
    path = tmp_path / "dockvenv.fish"
    path.write_text(script(_parser(), "fish"))
    probe = (f"source {path}; for line in 'dockvenv ' 'dockvenv check --format ' 'dockvenv migrate --dr' "
             "'dockvenv rule DV5' 'dockvenv check fix'; complete -C $line | string replace -r '\\t.*' ''; "
             "echo ===; end")
    done = run("fish", "--no-config", "-c", probe, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    blocks = [b.split() for b in done.stdout.split("===\n")][:5]
    assert {"check", "migrate", "rule", "completion"} <= set(blocks[0]) and "hook" not in blocks[0]
    assert blocks[1] == ["github", "gitlab", "json", "sarif", "text"]
    assert blocks[2] == ["--dry-run"]
    assert blocks[3] == sorted(c for c in BY_CODE if c.startswith("DV5"))
    assert blocks[4] == ["fixtures/"]


ZSH_DRIVER = r"""
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='%% '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D; bindkey '^I' complete-word"
zpty -w -n z "dockvenv check --format "$'\t'
out=""
for i in {1..300}; do  # up to 30 s: compinit and the listing take their time on a busy machine
  while zpty -r -t z chunk; do out+=$chunk; done
  [[ $out == *gitlab* && $out == *sarif* && $out == *text* ]] && break
  sleep 0.1
done
zpty -w z $'\x03'
zpty -d z
print -r -- "$out"
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh(tmp_path: Path) -> None:
    (tmp_path / "_dockvenv").write_text(script(_parser(), "zsh"))
    assert run("zsh", "-n", str(tmp_path / "_dockvenv")).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZDOTDIR")} | {"TERM": "xterm", "HOME": str(tmp_path)}
    done = run("zsh", "-f", "-c", ZSH_DRIVER, "driver", str(tmp_path), env=env, cwd=ROOT)
    screen = done.stdout
    assert all(fmt in screen for fmt in ("github", "gitlab", "json", "sarif", "text")), screen
    # sourced instead of autoloaded, the script registers itself with compdef
    done = run("zsh", "-f", "-c", f"autoload -U compinit; compinit -u -D; source {tmp_path / '_dockvenv'}; "
               "print -r -- $_comps[dockvenv]", env=env)
    assert done.stdout.strip() == "_dockvenv", done.stderr


# -- pipx and uvx, from this checkout -----------------------------------------------------------

@pytest.mark.skipif(shutil.which("pipx") is None, reason="pipx is not installed")
def test_pipx_install(tmp_path: Path) -> None:
    env = {**os.environ, "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin"),
           "PIPX_MAN_DIR": str(tmp_path / "man")}
    done = run("pipx", "install", str(ROOT), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    from dockvenv import __version__

    done = run(str(tmp_path / "bin" / "dockvenv"), "--version")
    assert done.stdout.strip() == f"dockvenv {__version__}"
    done = run(str(tmp_path / "bin" / "dockvenv"), "check", str(ROOT / "fixtures" / "check" / "activation"))
    assert done.returncode == 1 and "DV101" in done.stdout


@pytest.mark.skipif(shutil.which("uvx") is None, reason="uv is not installed")
def test_uvx(tmp_path: Path) -> None:
    env = {**os.environ, "UV_CACHE_DIR": str(tmp_path / "cache"), "UV_TOOL_DIR": str(tmp_path / "tools")}
    done = run("uvx", "--from", str(ROOT), "dockvenv", "check", "--format", "json",
               str(ROOT / "fixtures" / "check" / "lookalikes"), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('{\n  "version": 1,')
