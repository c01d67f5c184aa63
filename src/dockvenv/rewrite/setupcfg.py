"""Move ``[options] install_requires`` lines of a setup.cfg to ``[options.extras_require] dev``.

Edited as lines: configparser would drop every comment.  Only the one-requirement-
a-line form is edited (a ``file:`` value or a single-line list is refused), and the
result is re-read with configparser, as setuptools reads it, to prove that nothing
but the moved requirements changed.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Collection

from dockvenv.rewrite.pyproject import EditRefused
from dockvenv.rewrite.requirements import name_of

_HEADER = re.compile(r"^\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^([^\s=:][^=:]*?)\s*[=:]\s*(.*?)\s*$")


def _sections(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Each section's [header index, end index) span."""
    spans: dict[str, tuple[int, int]] = {}
    current, start = None, 0
    for i, line in enumerate(lines):
        m = _HEADER.match(line.strip())
        if m and not line[:1].isspace():
            if current is not None:
                spans.setdefault(current, (start, i))
            current, start = m.group(1).strip(), i
    if current is not None:
        spans.setdefault(current, (start, len(lines)))
    return spans


def _key_span(lines: list[str], span: tuple[int, int], key: str) -> tuple[int, int] | None:
    """[key line, end) of ``key`` in a section: its continuation lines included."""
    for i in range(span[0] + 1, span[1]):
        m = _KEY.match(lines[i].rstrip("\r\n"))
        if m and not lines[i][:1].isspace() and m.group(1).strip().lower() == key:
            j = i + 1
            while j < span[1] and (
                lines[j][:1].isspace() and lines[j].strip() or lines[j].strip().startswith(("#", ";"))
            ):
                j += 1
            while j - 1 > i and not lines[j - 1].strip():
                j -= 1
            return i, j
    return None


def move(text: str, names: Collection[str]) -> str:
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = text[len(bom) :].splitlines(keepends=True)
    nl = "\r\n" if text.count("\r\n") else "\n"
    spans = _sections(lines)
    if "options" not in spans:
        return text
    req = _key_span(lines, spans["options"], "install_requires")
    if req is None:
        return text
    first = _KEY.match(lines[req[0]].rstrip("\r\n"))
    if first and first.group(2):
        raise EditRefused("install_requires is not written one requirement a line; edit it by hand")
    picked = [i for i in range(req[0] + 1, req[1]) if name_of(lines[i].strip()) in names]
    if not picked:
        return text
    indent = re.match(r"\s*", lines[picked[0]]).group(0)  # type: ignore[union-attr]
    moved = [lines[i].strip() for i in picked]
    new = [line for i, line in enumerate(lines) if i not in picked]
    spans = _sections(new)
    extras = spans.get("options.extras_require")
    dev = _key_span(new, extras, "dev") if extras else None
    if dev is not None:
        have = {name_of(new[i].strip()) for i in range(dev[0] + 1, dev[1])}
        head = _KEY.match(new[dev[0]].rstrip("\r\n"))
        if head and head.group(2):
            raise EditRefused("[options.extras_require] dev is not written one requirement a line")
        add = [f"{indent}{m}{nl}" for m in moved if name_of(m) not in have]
        new[dev[1] : dev[1]] = add
    elif extras is not None:
        at = _content_end(new, extras)
        new[at:at] = [f"dev ={nl}"] + [f"{indent}{m}{nl}" for m in moved]
    else:
        at = _content_end(new, spans["options"])
        block = [f"{nl}", f"[options.extras_require]{nl}", f"dev ={nl}"] + [f"{indent}{m}{nl}" for m in moved]
        if at > 0 and not new[at - 1].endswith("\n"):
            new[at - 1] += nl
        new[at:at] = block
    after = bom + "".join(new)
    _verify(text, after, set(names))
    return after


def _content_end(lines: list[str], span: tuple[int, int]) -> int:
    end = span[1]
    while end - 1 > span[0] and not lines[end - 1].strip():
        end -= 1
    return end


def _read(text: str) -> dict[str, dict[str, list[str]]]:
    cp = configparser.RawConfigParser()
    try:
        cp.read_string(text.lstrip("\ufeff"))
    except configparser.Error as exc:
        raise EditRefused(f"setup.cfg would not parse ({exc.__class__.__name__})") from None
    return {
        s: {
            k: [x.strip() for x in v.splitlines() if x.strip() and not x.strip().startswith("#")]
            for k, v in cp.items(s)
        }
        for s in cp.sections()
    }


def _verify(before: str, after: str, names: set[str]) -> None:
    old, new = _read(before), _read(after)
    reqs = old["options"]["install_requires"]
    moved = [r for r in reqs if name_of(r) in names]
    want = {s: dict(v) for s, v in old.items()}
    want["options"]["install_requires"] = [r for r in reqs if r not in moved]
    extras = want.setdefault("options.extras_require", {})
    dev = list(extras.get("dev", []))
    have = {name_of(r) for r in dev}
    dev += [r for r in moved if name_of(r) not in have]
    extras["dev"] = dev
    if new != want:
        raise EditRefused("the edited setup.cfg would mean something else; edit it by hand")
