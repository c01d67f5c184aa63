"""Words, commands and line spans: the small text helpers of the Dockerfile rewrite.

``WordEdit`` changes one shell command that stays in the runtime stage: the project's own
target leaves ``pip install . gunicorn``, ``uv pip install`` gains ``--system``.  The
edit is made on the command's own text, so ``"${V}/pip"`` keeps its double quotes (and
its expansion) instead of being re-quoted from the unquoted word.  The functions below
split an instruction's head from its command text, name stages and distributions, and
splice whole line spans without leaving new runs of blank lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from dockvenv.analysis import Step
from dockvenv.dockerfile import Dockerfile, Instruction, Stage, split_lines
from dockvenv.shell import Command, commands, word_spans


@dataclass(frozen=True)
class WordEdit:
    """Words to drop from, and to insert into, one command (indexes into its ``argv``)."""

    drop: frozenset[int] = frozenset()
    drop_env: frozenset[str] = frozenset()  # leading VAR=value assignments to remove
    insert_after: tuple[tuple[int, str], ...] = ()  # (argv index, text) pairs
    prefix: str = ""

    def apply(self, raw: str, cmd: Command) -> str:
        """``raw`` (the text of ``cmd``) with the edit made."""
        spans = word_spans(raw)
        argv = spans[len(spans) - len(cmd.argv):]  # past the assignments and an ``exec`` prefix
        gone = [i for i, (key, _v) in enumerate(cmd.env) if key in self.drop_env]
        gone += [len(spans) - len(argv) + i for i in sorted(self.drop)]
        cuts: list[tuple[int, int]] = []
        for i in gone:
            start, end = spans[i]
            if i == 0 and len(spans) > 1:
                cuts.append((start, spans[1][0]))  # the blanks after it go with it
            elif i > 0:
                cuts.append((spans[i - 1][1], end))  # the blanks before it go with it
            else:
                cuts.append((start, end))
        pieces = [(argv[i][1], argv[i][1], " " + text) for i, text in self.insert_after]
        pieces += [(s, e, "") for s, e in _union(cuts)]
        out = raw
        for start, end, text in sorted(pieces, reverse=True):
            out = out[:start] + text + out[end:]
        return self.prefix + out


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


PACKAGING = ("pyproject.toml", "setup.py", "setup.cfg", "requirements", "poetry.lock", "uv.lock",
              "Pipfile", "README", "LICENSE", "MANIFEST.in", "pdm.lock")
RUNNERS = (("poetry", "run"), ("pipenv", "run"), ("uv", "run"))


def root_base(df: Dockerfile, st: Stage) -> str:
    seen = set()
    while True:
        parent = stage_by_ref(df, st.base)
        if parent is None or parent.index >= st.index or parent.index in seen:
            return st.base
        seen.add(parent.index)
        st = parent


def stage_by_ref(df: Dockerfile, ref: str) -> Stage | None:
    ref = ref.lower()
    for st in df.stages:
        if st.key == ref or str(st.index) == ref:
            return st
    return None


def split_head(text: str, ins: Instruction) -> tuple[str, str]:
    """The keyword and flags of a span, and the command text after them."""
    m = re.match(r"\s*\S+", text)
    pos = m.end() if m else 0
    for _ in ins.flags:
        fm = re.compile(r"(?:[ \t]|\\\r?\n)+--(?:\"[^\"]*\"|'[^']*'|[^\s\"'])+").match(text, pos)
        if not fm:
            break
        pos = fm.end()
    ws = re.compile(r"[ \t]*").match(text, pos)
    pos = ws.end() if ws else pos
    return text[:pos], text[pos:]


def rebase(actions: dict[tuple[int, int], WordEdit | None], body: str, step: Step
           ) -> dict[tuple[int, int], WordEdit | None]:
    """The actions re-keyed by the commands' spans in ``body`` (the analysis used the joined line)."""
    ours = [c for c in commands(body) if not c.nested]
    theirs = [c for c in step.commands if not c.nested]
    out: dict[tuple[int, int], WordEdit | None] = {}
    for mine, orig in zip(ours, theirs):
        key = (orig.start, orig.end)
        if key in actions and mine.argv == orig.argv:
            out[(mine.start, mine.end)] = actions[key]
    return out


def quote(word: str) -> str:
    """Shell-quote, keeping ``${VAR}`` expandable."""
    return f'"{word}"' if re.search(r"[\[\]<>|&;*? ]", word) else word


def dist_name(target: str) -> str:
    return re.split(r"[<>=!~\[ ;]", target.strip("'\""), maxsplit=1)[0].lower().replace("_", "-")


def strip_runner(words: list[str]) -> list[str]:
    """``poetry run X`` -> ``X``: only when the runner has no options of its own."""
    if len(words) > 2 and (words[0].rsplit("/", 1)[-1], words[1]) in RUNNERS and not words[2].startswith("-"):
        return words[2:]
    return words


def no_new_blank_runs(before: str, after: str) -> str:
    """Deleted instructions leave no longer runs of blank lines than the file already had."""
    def longest(lines: list[str]) -> int:
        run = best = 0
        for line in lines:
            run = run + 1 if not line.strip() else 0
            best = max(best, run)
        return best

    limit = max(longest(split_lines(before)), 1)
    out: list[str] = []
    run = 0
    for line in split_lines(after):
        run = run + 1 if not line.strip() else 0
        if run <= limit:
            out.append(line)
    return "".join(out)


def is_blank(line: str) -> bool:
    return not line.strip()


def heredoc_word(cmd: Command) -> bool:
    return bool(cmd.argv) and cmd.argv[0].startswith("<<")


def heredoc_has_commands(text: str) -> bool:
    lines = text.splitlines()[1:-1]
    return any(line.strip() and not line.strip().startswith("#") for line in lines)


def ensure_newline(text: str, nl: str) -> str:
    return text if text.endswith("\n") else text + nl


def raw_pairs(ins: Instruction) -> list[str]:
    from dockvenv.dockerfile import parse_words

    words = parse_words(ins.args)
    if words and "=" not in words[0]:
        return [f"{words[0]}={' '.join(words[1:])}"]
    return words


def is_packaging(src: str) -> bool:
    name = src.strip("'\"").rstrip("/").rsplit("/", 1)[-1]
    return name.startswith(PACKAGING) or name in ("src",)


def copy_text(ins: Instruction, sources: list[str], dest: str, nl: str) -> str:
    flags = " ".join(flag_text(f) for f in ins.flags)
    if ins.json:
        body = json.dumps([*sources, dest])
    else:
        body = " ".join([*sources, dest])
    return f"{ins.keyword} {flags + ' ' if flags else ''}{body}{nl}"


def flag_text(flag: str) -> str:
    return flag if " " not in flag else f'"{flag}"'


def merge_edits(edits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Order the edits; an insertion and a replacement at the same line keep that order."""
    return sorted(edits, key=lambda e: (e[0], e[1] >= e[0]))

