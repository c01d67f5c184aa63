"""Keep secrets and local environments out of the build context: extend ``.dockerignore``.

Adds, once each and only when missing, ``.env*`` with ``!.env.example`` after it, and
``.venv``, ``venv``, ``dist/``, ``build/``; and ``**/.env*`` with ``!**/.env.example``
when a dotenv file of a subfolder would stay in the context (``.env*`` matches at the
root only).  Existing lines, comments and line endings are kept.  A file is created when the context has none.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockvenv.dockerignore import ignored, patterns
from dockvenv.model import FileEdit
from dockvenv.project import Project

HEADER = "# dockvenv: keep secrets, local environments and build output out of the image"
WANTED = (".env*", "!.env.example", ".venv", "venv", "dist/", "build/")
# Docker matches ``.env*`` at the context's root only
NESTED = ("**/.env*", "!**/.env.example")
_EXAMPLES = (".example", ".sample", ".template", ".dist")


def plan(project: Project, context: str) -> FileEdit | None:
    path = f"{context}/.dockerignore" if context else ".dockerignore"
    before = project.text(path)
    prefix = f"{context}/" if context else ""
    nested = [e[len(prefix):] for e in project.env_files if e.startswith(prefix) and "/" in e[len(prefix):]]
    after = extend(before, context_has_example=True, nested_env=nested)
    if after == before:
        return None
    return FileEdit(path, before, after, ("DV302: .dockerignore excludes .env*, venvs and build output",))


def extend(text: str | None, context_has_example: bool = True, nested_env: Sequence[str] = ()) -> str:
    """``text`` with the lines of ``WANTED`` it lacks; ``NESTED`` too when a dotenv file of a
    subfolder (``nested_env``, context-relative) would stay in the context."""
    text = text or ""
    nl = "\r\n" if "\r\n" in text else "\n"
    present = {line.strip() for line in text.splitlines()}
    rules = patterns(text)
    missing = []
    for line in WANTED:
        if line in present:
            continue
        if line.startswith("!"):
            if ".env*" not in missing:
                continue
        elif ignored(rules, line.rstrip("/*") or line) and line != ".env*":
            continue
        elif line == ".env*" and all(ignored(rules, n) for n in (".env", ".env.local", ".env.prod")):
            continue
        missing.append(line)
    rules = patterns(text + nl + nl.join(missing))
    if any(not ignored(rules, rel) for rel in nested_env if not rel.endswith(_EXAMPLES)):
        missing += [line for line in NESTED if line not in present]
    if not missing:
        return text
    sep = "" if not text or text.endswith("\n") else nl
    blank = nl if text.strip() else ""
    return text + sep + blank + HEADER + nl + nl.join(missing) + nl
