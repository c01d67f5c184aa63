"""The commit message and the pull request text: pure functions of the plan and what it fixed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from dockvenv.bulk.outcome import FileStat
from dockvenv.model import Finding, Plan

TRAILER = "Dockvenv-Version"
TITLE = "Build the Docker image from a uv-built wheel, without a virtualenv"
_MAX_ITEMS = 40
_MAX_BODY = 60000  # GitHub refuses bodies over 65536 characters


@dataclass(frozen=True)
class Change:
    """What one repository's migration does, as the PR text tells it."""

    plan: Plan
    files: tuple[FileStat, ...]
    fixed: tuple[Finding, ...]
    remaining: tuple[Finding, ...]
    base: str
    branch: str
    version: str
    verify: str | None = None  # the --verify section; None when --verify is off


def fixed_findings(before: Sequence[Finding], after: Sequence[Finding]) -> tuple[Finding, ...]:
    """Findings of ``before`` that ``after`` no longer has (by code and file: lines move)."""
    left = Counter((f.code, f.path) for f in after)
    out = []
    for f in before:
        key = (f.code, f.path)
        if left[key]:
            left[key] -= 1
        else:
            out.append(f)
    return tuple(out)


def commit_message(subject: str, change: Change) -> str:
    added = sum(f.added for f in change.files)
    removed = sum(f.removed for f in change.files)
    lines = [subject, "",
             f"dockvenv migrate --yes: {len(change.files)} files changed (+{added} -{removed}), "
             f"{len(change.fixed)} findings fixed.", "",
             *(f"- {f.path}" for f in change.files), "",
             f"{TRAILER}: {change.version}"]
    return "\n".join(lines) + "\n"


def has_trailer(message: str) -> bool:
    return any(line.startswith(f"{TRAILER}:") for line in message.splitlines())


def pr_body(change: Change) -> str:
    plan = change.plan
    added = sum(f.added for f in change.files)
    removed = sum(f.removed for f in change.files)
    out = [
        "This change moves the Docker build off a virtualenv inside the image: a builder stage builds "
        "the project's wheel with uv, and the runtime stage installs only that wheel (and the locked "
        "dependencies, when there is a lock) into the image's own Python. Dev tools leave the runtime "
        "dependencies and `.env` files stay out of the image.",
        "",
        "## Files",
        "",
        "| file | added | removed |",
        "| --- | ---: | ---: |",
        *(f"| `{f.path}` | +{f.added} | -{f.removed} |" for f in change.files),
        "",
        f"{len(change.files)} files changed, {added} insertions(+), {removed} deletions(-)",
        "",
        f"## Findings fixed ({len(change.fixed)})",
        "",
        *_findings(change.fixed),
    ]
    if change.remaining:
        out += ["", f"## Still reported ({len(change.remaining)}): for a person to look at", "",
                *_findings(change.remaining)]
    if plan.unsupported:
        out += ["", "## Not migrated", "", *(f"- `{u.path}`: {u.reason}" for u in plan.unsupported)]
    if plan.notes:
        out += ["", "## Notes", "", *(f"- {n}" for n in plan.notes[:_MAX_ITEMS])]
    if change.verify is not None:
        out += ["", "## Verification", "", change.verify]
    out += [
        "",
        "---",
        f"Opened by `dockvenv bulk` ({TRAILER} {change.version}) from `{change.base}`. Running it again "
        f"regenerates `{change.branch}` from `{change.base}` and updates this pull request, as long as the "
        "branch's last commit is dockvenv's. Push a commit of your own to take the branch over: dockvenv then "
        "leaves it alone. The same change for one checkout: `dockvenv migrate --yes`.",
    ]
    text = "\n".join(out) + "\n"
    return text if len(text) <= _MAX_BODY else text[:_MAX_BODY] + "\n\n(truncated)\n"


def _findings(found: Sequence[Finding]) -> list[str]:
    rows = [f"- `{f.code}` `{f.path}{f':{f.line}' if f.line else ''}`: {f.message}" for f in found[:_MAX_ITEMS]]
    if len(found) > _MAX_ITEMS:
        rows.append(f"- ... and {len(found) - _MAX_ITEMS} more (`dockvenv check` lists them all)")
    return rows or ["- none"]
