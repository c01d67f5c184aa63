"""A lossless Dockerfile model that agrees with Docker's own (BuildKit) parser.

The scanner follows BuildKit's ``parser.Parse`` line for line: lines split on ``\\n``
only (a bare ``\\r`` is whitespace), a BOM dropped from the first line, parser
directives only at the very top, comment and blank lines skipped inside
continuations, heredoc bodies read after the instruction's last line.  Every
instruction keeps its exact 1-based line span, so a rewrite replaces whole spans
and leaves every other byte of the file as it was.

dockerfile-parse is not used: it mis-spans heredocs, blank lines inside
continuations and a continuation at end of file, and it keeps the BOM (see
docs/decisions.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Iterable, Mapping

from dockvenv.errors import InputError

_WS = re.compile(r"[\t\v\f\r ]+")
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_VALID_DIRECTIVES = frozenset({"escape", "syntax", "check"})
_HEREDOC = re.compile(r"^(\d*)<<(-?)\s*([^<]*)$")
_HEREDOC_CMDS = frozenset({"ADD", "COPY", "RUN"})
# Go's unicode.IsSpace, which BuildKit trims with: Python's isspace() also takes \x1c-\x1f
_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
         "\u2028\u2029\u202f\u205f\u3000"
_SPACES = frozenset(_SPACE)


@dataclass(frozen=True)
class Heredoc:
    name: str
    chomp: bool
    content: str


@dataclass(frozen=True)
class Instruction:
    """One instruction: its words as Docker reads them, and where it stands."""

    keyword: str  # as written, e.g. "run"
    cmd: str  # upper case, e.g. "RUN"
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive, heredoc bodies included
    flags: tuple[str, ...]
    args: str  # the joined line after the flags: continuations joined, comments dropped
    value: tuple[str, ...]  # what Docker's parser reports as the arguments
    json: bool
    heredocs: tuple[Heredoc, ...] = ()
    sub_cmd: str | None = None  # the instruction under ONBUILD

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value`` (``""`` for a bare ``--name``), or None."""
        for raw in self.flags:
            key, _, val = raw[2:].partition("=")
            if key.lower() == name:
                return val
        return None

    def flag_values(self, name: str) -> tuple[str, ...]:
        out = []
        for raw in self.flags:
            key, _, val = raw[2:].partition("=")
            if key.lower() == name:
                out.append(val)
        return tuple(out)

    @property
    def shell_text(self) -> str:
        """The command a shell runs: the joined line, or each heredoc body."""
        if self.heredocs and self.cmd == "RUN":
            return "\n".join([self.args, *(h.content for h in self.heredocs)])
        return self.args


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None  # as written; compare with ``key``
    base: str
    platform: str | None
    from_: Instruction
    instructions: tuple[Instruction, ...]  # after the FROM

    @property
    def key(self) -> str:
        return (self.name or str(self.index)).lower()


@dataclass(frozen=True)
class Comment:
    line: int
    text: str  # without the leading '#', stripped


@dataclass(frozen=True)
class Dockerfile:
    path: str
    text: str
    instructions: tuple[Instruction, ...]
    directives: Mapping[str, str]
    comments: tuple[Comment, ...]
    escape: str = "\\"
    lines: tuple[str, ...] = field(default=(), repr=False)

    @property
    def newline(self) -> str:
        first = self.lines[0] if self.lines else ""
        return "\r\n" if first.endswith("\r\n") else "\n"

    @property
    def global_args(self) -> tuple[Instruction, ...]:
        out = []
        for ins in self.instructions:
            if ins.cmd == "FROM":
                break
            if ins.cmd == "ARG":
                out.append(ins)
        return tuple(out)

    @cached_property
    def stages(self) -> tuple[Stage, ...]:
        stages: list[Stage] = []
        current: Instruction | None = None
        body: list[Instruction] = []
        for ins in (*self.instructions, None):
            if ins is None or ins.cmd == "FROM":
                if current is not None:
                    stages.append(_stage(len(stages), current, body))
                current, body = ins, []
            elif current is not None:
                body.append(ins)
        return tuple(stages)

    def stage_of(self, ins: Instruction) -> Stage | None:
        for st in self.stages:
            if st.from_ is ins or any(i is ins for i in st.instructions):
                return st
        return None

    def span_text(self, ins: Instruction) -> str:
        return "".join(self.lines[ins.start_line - 1 : ins.end_line])

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""


def _stage(index: int, from_: Instruction, body: list[Instruction]) -> Stage:
    words = list(from_.value)
    name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    return Stage(
        index=index,
        name=name,
        base=words[0] if words else "",
        platform=from_.flag("platform"),
        from_=from_,
        instructions=tuple(body),
    )


def split_lines(text: str) -> list[str]:
    """Lines as Docker reads them: split on ``\\n`` only, each keeping its ending."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def splice(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """Replace whole line spans ``(start, end, new_text)`` (1-based, inclusive).

    ``new_text`` must carry its own line endings; ``""`` deletes the span.  A span with
    ``end == start - 1`` inserts before ``start``.  Spans must not overlap.
    """
    lines = split_lines(text)
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start - 1 : end] = [new] if new else []
    return "".join(lines)


def parse(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile text; raise InputError (file:line) where Docker would refuse it.

    One object per (text, path): check, the dependency scan and the plan all parse the
    same files, and analysis.analyze keeps its facts on that object.
    """
    return _parse(text, path)


@lru_cache(maxsize=512)
def _parse(text: str, path: str) -> Dockerfile:
    return _Scanner(text, path).run()


def _continuation(escape: str) -> re.Pattern[str]:
    """An escape at the end of a line, unless it is itself escaped (BuildKit: ``([^\\])\\[ \t]*$``)."""
    e = re.escape(escape)
    return re.compile(rf"(?<!{e}){e}[ \t]*$")


class _Scanner:
    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.text = text
        self.lines = split_lines(text)
        self.escape = "\\"
        self.continuation = _continuation("\\")
        self.directives: dict[str, str] = {}
        self.directives_done = False

    def error(self, line: int, message: str) -> InputError:
        return InputError(f"{self.path}:{line}: {message}")

    def _directive(self, line: str, number: int) -> None:
        if self.directives_done:
            return
        m = _DIRECTIVE.match(line)
        if not m or m.group(1).lower() not in _VALID_DIRECTIVES:
            self.directives_done = True
            return
        key, val = m.group(1).lower(), m.group(2)
        if key in self.directives:
            raise self.error(number, f"only one {key} parser directive can be used")
        self.directives[key] = val
        if key == "escape":
            if val not in ("\\", "`"):
                raise self.error(number, f"invalid escape token '{val}' does not match ` or \\")
            self.escape = val
            self.continuation = _continuation(val)

    def _cont(self, line: str) -> tuple[str, bool]:
        if self.continuation.search(line):
            return self.continuation.sub("", line), False
        return line, True

    def run(self) -> Dockerfile:
        lines, n = self.lines, len(self.lines)
        instructions: list[Instruction] = []
        comments: list[Comment] = []
        i = 0
        while i < n:
            raw = lines[i]
            if i == 0 and raw.startswith("\ufeff"):
                raw = raw[1:]
            i += 1
            start = i
            token = raw.rstrip("\r\n").lstrip(_SPACE)
            self._directive(token, i)
            if token.startswith("#"):
                comments.append(Comment(i, token[1:].strip()))
                continue
            line, done = self._cont(token)
            if done and not line:
                continue
            buf = [line]
            while not done and i < n:
                raw = lines[i]
                i += 1
                stripped = raw.rstrip("\r\n")
                if stripped.lstrip(_SPACE).startswith("#"):
                    comments.append(Comment(i, stripped.lstrip(_SPACE)[1:].strip()))
                    continue
                if not stripped.strip(_SPACE):
                    continue
                part, done = self._cont(stripped)
                buf.append(part)
            joined = "".join(buf)
            ins = self._node(joined, start, i)
            if ins.cmd in _HEREDOC_CMDS and not ins.json and "<<" in joined:
                docs = []
                for name, chomp in _heredoc_names(joined):
                    body: list[str] = []
                    while True:
                        if i >= n:
                            raise self.error(start, f"unterminated heredoc <<{name}")
                        raw = lines[i]
                        i += 1
                        candidate = raw.rstrip("\r\n")
                        if chomp:
                            candidate = candidate.lstrip("\t")
                        if candidate == name:
                            break
                        body.append(raw)
                    docs.append(Heredoc(name, chomp, "".join(body)))
                ins = _replace_end(ins, i, tuple(docs))
            instructions.append(ins)
        return Dockerfile(
            path=self.path,
            text=self.text,
            instructions=tuple(instructions),
            directives=dict(self.directives),
            comments=tuple(comments),
            escape=self.escape,
            lines=tuple(lines),
        )

    def _node(self, line: str, start: int, end: int) -> Instruction:
        parts = _WS.split(line.strip(_SPACE), maxsplit=1)
        keyword = parts[0]
        rest, flags = _builder_flags(parts[1]) if len(parts) == 2 else ("", [])
        rest = rest.strip(_SPACE)
        cmd = keyword.upper()
        sub_cmd = None
        if cmd == "ONBUILD":
            if rest:
                inner = self._node(rest, start, end)
                return Instruction(keyword, cmd, start, end, tuple(flags), rest,
                                   inner.value, inner.json, (), inner.cmd)
            value, is_json = (), False
        else:
            try:
                value, is_json = _values(cmd, rest, self.escape)
            except ValueError as exc:
                raise self.error(start, f"{cmd} {exc}") from None
        return Instruction(keyword, cmd, start, end, tuple(flags), rest, value, is_json, (), sub_cmd)


def _replace_end(ins: Instruction, end: int, docs: tuple[Heredoc, ...]) -> Instruction:
    from dataclasses import replace

    return replace(ins, end_line=end, heredocs=docs)


def _values(cmd: str, rest: str, escape: str) -> tuple[tuple[str, ...], bool]:
    if cmd in ("ADD", "COPY", "VOLUME"):
        as_json = _json_list(rest)
        if as_json is not None:
            return as_json, True
        return _whitespace_split(rest), False
    if cmd in ("CMD", "ENTRYPOINT", "RUN", "SHELL"):
        return _maybe_json(rest)
    if cmd in ("ENV", "LABEL"):
        return _name_val(cmd, rest, escape), False
    if cmd == "ARG":
        return tuple(parse_words(rest, escape)), False
    if cmd in ("EXPOSE", "FROM"):
        return _whitespace_split(rest), False
    if cmd == "HEALTHCHECK":
        m = re.match(r"(\S+)\s*(.*)\Z", rest, re.S)
        if not m:
            return (), False
        inner, is_json = _maybe_json(m.group(2))
        return (m.group(1), *inner), is_json
    if cmd in ("MAINTAINER", "STOPSIGNAL", "USER", "WORKDIR"):
        return ((rest,) if rest else ()), False
    return ("",), False  # an unknown instruction: Docker keeps one empty word


def _maybe_json(rest: str) -> tuple[tuple[str, ...], bool]:
    as_json = _json_list(rest)
    if as_json is not None:
        return as_json, True
    return ((rest,) if rest else ()), False


def _json_list(rest: str) -> tuple[str, ...] | None:
    rest = rest.lstrip(_SPACE)
    if not rest.startswith("["):
        return None
    try:
        data = json.loads(rest)
    except ValueError:
        return None
    if not isinstance(data, list):
        return None
    if not all(isinstance(x, str) for x in data):
        raise ValueError("requires the arguments to be a JSON array of strings")
    return tuple(data)


def _whitespace_split(rest: str) -> tuple[str, ...]:
    return tuple(_WS.split(rest)) if rest else ()


def _name_val(cmd: str, rest: str, escape: str) -> tuple[str, ...]:
    words = parse_words(rest, escape)
    if not words:
        if cmd == "LABEL":
            raise ValueError("requires at least one argument")
        return ()
    if "=" not in words[0]:
        parts = _WS.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ValueError("must have two arguments")
        return (parts[0], parts[1])
    out: list[str] = []
    for word in words:
        if "=" not in word:
            raise ValueError(f"syntax error - can't find = in {word!r}. Must be of the form: name=value")
        key, _, val = word.partition("=")
        out += [key, val]
    return tuple(out)


def parse_words(rest: str, escape: str = "\\") -> list[str]:
    """Split on blanks as Docker's ``parseWords`` does: quotes and escapes kept in the words."""
    words: list[str] = []
    word, quote, blank_ok, in_word, in_quote = "", "", False, False, False
    pos, n = 0, len(rest)
    while pos < n:
        ch = rest[pos]
        if not in_word and not in_quote:
            if ch in _SPACES:
                pos += 1
                continue
            in_word = True
        if in_quote:
            if ch == quote:
                in_quote, in_word = False, True
            if ch == escape and quote != "'":
                if pos + 1 == n:
                    in_quote, in_word = False, True
                    pos += 1
                    continue
                word += ch
                pos += 1
                ch = rest[pos]
            word += ch
            pos += 1
            continue
        if ch in _SPACES:
            if blank_ok or word:
                words.append(word)
            word, blank_ok, in_word = "", False, False
            pos += 1
            continue
        if ch in "'\"":
            quote, blank_ok, in_quote, in_word = ch, True, True, False
        if ch == escape:
            if pos + 1 == n:
                pos += 1
                continue
            word += ch
            pos += 1
            ch = rest[pos]
        word += ch
        pos += 1
    if (in_word or in_quote) and (blank_ok or word):
        words.append(word)
    return words


def _builder_flags(line: str) -> tuple[str, list[str]]:
    """Leading ``--flag[=value]`` words, unquoted, and the rest of the line."""
    words: list[str] = []
    word, quote, blank_ok = "", "", False
    phase = "spaces"
    pos, n = 0, len(line)
    while pos <= n:
        ch = line[pos] if pos < n else ""
        if phase == "spaces":
            if pos == n:
                break
            if ch in _SPACES:
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or line[pos + 1] != "-":
                return line[pos:], words
            phase = "word"
        if pos == n:
            if word != "--" and (blank_ok or word):
                words.append(word)
            break
        if phase == "word":
            if ch in _SPACES:
                if word == "--":
                    return line[pos:], words
                if blank_ok or word:
                    words.append(word)
                word, blank_ok, phase = "", False, "spaces"
                pos += 1
                continue
            if ch in "'\"":
                quote, blank_ok, phase = ch, True, "quote"
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += ch
            pos += 1
            continue
        if ch == quote:
            phase = "word"
            pos += 1
            continue
        if ch == "\\":
            if pos + 1 == n:
                phase = "word"
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        word += ch
        pos += 1
    return "", words


def _heredoc_names(line: str) -> list[tuple[str, bool]]:
    out = []
    for word in _raw_shell_words(line):
        m = _HEREDOC.match(word)
        if not m or not m.group(3):
            continue
        name = _unquote(m.group(3))
        if name:
            out.append((name, m.group(2) == "-"))
    return out


def _raw_shell_words(line: str) -> list[str]:
    """Blank-separated words, quotes and escapes kept (BuildKit's raw shell lexer)."""
    words, word, quote, i = [], "", "", 0
    while i < len(line):
        ch = line[i]
        if quote:
            word += ch
            if ch == "\\" and quote == '"' and i + 1 < len(line):
                word += line[i + 1]
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote, word = ch, word + ch
        elif ch == "\\" and i + 1 < len(line):
            word += ch + line[i + 1]
            i += 1
        elif ch in " \t\r\n":
            if word:
                words.append(word)
            word = ""
        else:
            word += ch
        i += 1
    if word:
        words.append(word)
    return words


def _unquote(word: str) -> str:
    out, quote = "", ""
    i = 0
    while i < len(word):
        ch = word[i]
        if quote:
            if ch == quote:
                quote = ""
            else:
                out += ch
        elif ch in "'\"":
            quote = ch
        elif ch == "\\" and i + 1 < len(word):
            out += word[i + 1]
            i += 1
        else:
            out += ch
        i += 1
    return out
