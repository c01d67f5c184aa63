"""Word-level edits of one shell command, keeping the quoting of every word that stays.

A command that stays in the runtime stage sometimes changes: the project's own target
leaves ``pip install . gunicorn``, ``uv pip install`` gains ``--system``.  The edit is
made on the command's own text, so ``"${V}/pip"`` keeps its double quotes (and its
expansion) instead of being re-quoted from the unquoted word.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockvenv.shell import Command, word_spans


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
