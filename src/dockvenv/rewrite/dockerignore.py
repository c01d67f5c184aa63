"""Keep secrets and local environments out of the build context: extend ``.dockerignore``.

Adds, once each and only when missing, ``.env*`` with ``!.env.example`` after it, and
``.venv``, ``venv``, ``dist/``, ``build/``; existing lines, comments and line endings
are kept.  A file is created when the context has none.
"""

from __future__ import annotations

from dockvenv.dockerignore import ignored, patterns
from dockvenv.model import FileEdit
from dockvenv.project import Project

HEADER = "# dockvenv: keep secrets, local environments and build output out of the image"
WANTED = (".env*", "!.env.example", ".venv", "venv", "dist/", "build/")


def plan(project: Project, context: str) -> FileEdit | None:
    path = f"{context}/.dockerignore" if context else ".dockerignore"
    before = project.text(path)
    after = extend(before, context_has_example=True)
    if after == before:
        return None
    return FileEdit(path, before, after, ("DV302: .dockerignore excludes .env*, venvs and build output",))


def extend(text: str | None, context_has_example: bool = True) -> str:
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
    if not missing:
        return text
    sep = "" if not text or text.endswith("\n") else nl
    blank = nl if text.strip() else ""
    return text + sep + blank + HEADER + nl + nl.join(missing) + nl
