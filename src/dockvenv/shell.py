"""Just enough POSIX shell to see the simple commands inside a RUN line.

A RUN's text is split into simple commands at ``&&``, ``||``, ``;``, ``|``, ``&``,
newlines and grouping parentheses or braces.  Each command keeps its unquoted words
and its character span in the text it came from, so a rewrite can drop one command
of a chain and keep every other character.  ``sh -c '...'`` and ``bash -c "..."``
scripts are opened up too (their commands carry ``nested=True`` and no span).
"""

from __future__ import annotations

import os.path
import re
from dataclasses import dataclass
from functools import lru_cache

_OPERATORS = ("&&", "||", ";;", ";", "|", "&", "\n", "(", ")", "{", "}")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]  # unquoted words after any leading VAR=value assignments
    env: tuple[tuple[str, str], ...]
    start: int  # span of the command in the text it was split from
    end: int
    nested: bool = False  # found inside ``sh -c '...'``: the span is not in the text

    @property
    def program(self) -> str:
        """The program's base name (``/opt/venv/bin/pip`` -> ``pip``)."""
        return os.path.basename(self.argv[0]) if self.argv else ""


@dataclass(frozen=True)
class _Token:
    text: str  # unquoted
    start: int
    end: int
    op: bool  # an operator, not a word
    redirect: bool = False  # ">", "2>&", "<<" ...: neither it nor the word after it is an argument


# "> f", "2>&1", ">>f", "&> f", "<<EOF", "<<-EOF", "<<< s"; "<(" and ">(" are process substitutions
_REDIRECT = re.compile(r"\d*(?:>>|>&|>\||<<<|<<-|<<|<&|<>|>|<)|&>>|&>")


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and text.startswith("\n", i + 1):
            i += 2
            continue
        if ch == "\\" and text.startswith("\r\n", i + 1):
            i += 3
            continue
        if ch in " \t\r":
            i += 1
            continue
        if ch == "#" and (i == 0 or text[i - 1] in " \t\n;&|()"):
            while i < n and text[i] != "\n":
                i += 1
            continue
        redirect = _REDIRECT.match(text, i)
        if redirect:
            end = i + 1 if text.startswith(("<(", ">("), i) else redirect.end()
            out.append(_Token(text[i:end], i, end, False, redirect=True))
            i = end
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op in ("{", "}") and not (i + 1 >= n or text[i + 1] in " \t\n;"):
            op = None  # "{a,b}" brace expansion or "${X}" is part of a word
        if op:
            out.append(_Token(op, i, i + len(op), True))
            i += len(op)
            continue
        start, word = i, []
        while i < n:
            ch = text[i]
            if ch in " \t\r\n;&|()" or (ch == "#" and not word and i == start) or (ch in "<>" and i > start):
                break
            if ch == "\\" and i + 1 < n:
                if text[i + 1] == "\n":
                    i += 2
                    continue
                word.append(text[i + 1])
                i += 2
            elif ch in "'\"":
                end = _closing(text, i)
                inner = text[i + 1 : end]
                if ch == '"':
                    inner = re.sub(r'\\([$`"\\\n])', r"\1", inner)
                word.append(inner)
                i = end + 1
            elif ch == "$" and text.startswith("$(", i):
                end = _paren_end(text, i + 1)
                word.append(text[i : end + 1])
                i = end + 1
            else:
                word.append(ch)
                i += 1
        out.append(_Token("".join(word), start, i, False))
    return out


def _closing(text: str, i: int) -> int:
    quote, j = text[i], i + 1
    while j < len(text):
        if text[j] == "\\" and quote == '"':
            j += 2
            continue
        if text[j] == quote:
            return j
        j += 1
    return len(text) - 1 if len(text) - 1 > i else len(text)


def _paren_end(text: str, i: int) -> int:
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return len(text) - 1


def commands(text: str) -> list[Command]:
    """Every simple command in ``text``, in order, nested ``sh -c`` scripts included."""
    return list(_commands(text))


@lru_cache(maxsize=4096)
def _commands(text: str) -> tuple[Command, ...]:
    # check, the dependency scan and the rewrite each split the same RUN texts: split each once
    out: list[Command] = []
    words: list[_Token] = []
    for tok in [*_tokens(text), None]:
        if tok is not None and not tok.op:
            words.append(tok)
            continue
        if words:
            out.extend(_command(words))
        words = []
    return tuple(out)


def _command(tokens: list[_Token]) -> list[Command]:
    words: list[_Token] = []
    target = False
    for tok in tokens:
        if tok.redirect:
            target = not tok.text.endswith("(")  # "<(": the substituted command follows, not a file
        elif target:
            target = False  # the file (or fd, or heredoc word) a redirection names
        else:
            words.append(tok)
    env: list[tuple[str, str]] = []
    k = 0
    while k < len(words) and _ASSIGN.match(words[k].text):
        key, _, val = words[k].text.partition("=")
        env.append((key, val))
        k += 1
    argv = tuple(w.text for w in words[k:])
    if argv and argv[0] in ("exec", "command", "time", "nohup") and len(argv) > 1:
        argv = argv[1:]
    cmd = Command(argv, tuple(env), tokens[0].start, tokens[-1].end)
    found = [cmd]
    script = shell_script(argv)
    if script is not None:
        found += [Command(c.argv, c.env, c.start, c.end, nested=True) for c in commands(script)]
    return found


def word_spans(text: str) -> list[tuple[int, int]]:
    """The spans of the words of one simple command's text, its redirections left out."""
    out: list[tuple[int, int]] = []
    target = False
    for tok in _tokens(text):
        if tok.op:
            continue
        if tok.redirect:
            target = not tok.text.endswith("(")
        elif target:
            target = False
        else:
            out.append((tok.start, tok.end))
    return out


def shell_script(argv: tuple[str, ...]) -> str | None:
    """The script of ``sh -c SCRIPT`` / ``bash -lc SCRIPT``, else None."""
    if not argv or os.path.basename(argv[0]) not in _SHELLS:
        return None
    for j, arg in enumerate(argv[1:], 1):
        if arg.startswith("-") and not arg.startswith("--") and "c" in arg:
            return argv[j + 1] if j + 1 < len(argv) else None
        if not arg.startswith("-"):
            return None
    return None


def split_chain(text: str) -> list[tuple[int, int]]:
    """Spans of the top-level commands joined by ``&&`` (and other separators)."""
    return [(c.start, c.end) for c in commands(text) if not c.nested]


def remove_commands(text: str, spans: list[tuple[int, int]]) -> str:
    """Drop whole commands from a chain with the separator that joined each.

    ``a && b && c`` minus ``b`` is ``a && c``; minus ``a`` it is ``b && c``: the
    operator and the blanks or line continuation after the removed command go with it.
    """
    joiners = ("&&", ";", "\n", "||")
    for start, end in sorted(spans, reverse=True):
        toks = _tokens(text)
        after = [t for t in toks if t.start >= end]
        before = [t for t in toks if t.end <= start]
        nxt = next((t for t in after if not t.op), None)
        ops_after = [t for t in after if t.op and (nxt is None or t.start < nxt.start)]
        prev = next((t for t in reversed(before) if not t.op), None)
        ops_before = [t for t in before if t.op and (prev is None or t.start >= prev.end)]
        if nxt is not None and ops_after and ops_after[0].text in joiners:
            # cut through the joiner only: a "(" or "{" opening the next command stays
            following = ops_after[1].start if len(ops_after) > 1 else nxt.start
            text = text[:start] + text[following:]
        elif prev is not None and ops_before and ops_before[-1].text in joiners:
            # keep a ")" or "}" closing the previous command
            closers = [t for t in ops_before if t.text in (")", "}")]
            cut = closers[-1].end if closers else prev.end
            text = text[:cut] + text[end:]
        else:
            text = text[:start] + text[end:]
    return text
