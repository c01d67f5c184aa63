"""``python app.py`` -> ``python -m app`` in the CMD, ENTRYPOINT, HEALTHCHECK and later RUN lines.

Pure text -> text on a (migrated) Dockerfile: the words are replaced in place, in JSON and
shell form and inside ``sh -c`` scripts, so every other byte stays.  Only a word right
after a python interpreter (and its options) is touched; ``ENTRYPOINT ["python"]`` with
``CMD ["app.py"]`` is handled too.  RUN lines change only after the wheel is installed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from dockvenv.analysis import analyze
from dockvenv.dockerfile import parse, splice

_PY = r"(?:[^\s\"'\[\],;&|()]*/)?python(?:\d(?:\.\d+)?)?"
_SEP = r"(?:\s|\\\r?\n)*"  # blanks, and line continuations inside a JSON array
_WHEEL_INSTALL = "--mount=from=dockvenv-builder"


def rewrite_dockerfile(text: str, path: str, rewrites: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    if not rewrites:
        return text, ()
    df = parse(text, path)
    facts = analyze(df)
    installed = False
    python_entry = False
    edits: list[tuple[int, int, str]] = []
    changed: list[str] = []
    for step in facts.steps:
        ins = step.ins
        if not facts.in_runtime(step):
            continue
        if ins.cmd == "RUN" and any(_WHEEL_INSTALL in f for f in ins.flags):
            installed = True
            continue
        if ins.cmd == "ENTRYPOINT":
            python_entry = ins.json and bool(ins.value) and re.fullmatch(_PY, ins.value[-1]) is not None
        if ins.cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK") or (ins.cmd == "RUN" and installed):
            span = df.span_text(ins)
            new = rewrite_span(span, rewrites, leading=ins.cmd == "CMD" and python_entry and ins.json)
            if new != span:
                edits.append((ins.start_line, ins.end_line, new))
                changed.append(f"{ins.cmd} line {ins.start_line}")
    if not edits:
        return text, ()
    pairs = ", ".join(f"python {w} -> python -m {m}" for w, m in rewrites.items())
    return splice(text, edits), (f"{', '.join(changed)}: scripts run as modules from the wheel ({pairs})",)


def rewrite_span(span: str, rewrites: Mapping[str, str], leading: bool = False) -> str:
    """One instruction's text with each ``python WORD`` made ``python -m MODULE``."""
    for word, module in sorted(rewrites.items(), key=lambda kv: -len(kv[0])):
        w = re.escape(word)
        as_json, as_shell = f'\\1\\2"-m", "{module}"', f"\\1-m {module}"
        # JSON form: "python", "-u", "app.py"  ->  "python", "-u", "-m", "app"
        span = re.sub(rf'("{_PY}"(?:{_SEP},{_SEP}"-[A-Za-z]\w*")*)({_SEP},{_SEP})"{w}"(?={_SEP}[,\]])', as_json, span)
        # shell form, and scripts inside a JSON string (sh -c "python app.py && ...")
        span = re.sub(rf'((?:^|(?<=[\s"\';&|(])){_PY}(?:[ \t]+-[A-Za-z]\w*)*[ \t]+){w}(?=$|[\s;&|)"\'])', as_shell,
                      span, flags=re.MULTILINE)
        if leading:  # ENTRYPOINT ["python"] + CMD ["app.py", ...]
            span = re.sub(rf'^(\s*\S+{_SEP}\[)({_SEP})"{w}"', as_json, span, count=1)
    return span
