"""``dockvenv migrate``: plan, then write, show (--dry-run), check (--check) or review."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from typing import Iterator

from dockvenv.errors import DockvenvError, UsageError
from dockvenv.model import Plan


def run(args: argparse.Namespace) -> int:
    from dockvenv.cli import load_project
    from dockvenv.plan import build_plan

    if args.interactive and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("--interactive needs a terminal; use --dry-run to see the changes or --yes to apply them")
    plans = []
    for root in args.paths:
        with _named_from(root):
            project, settings = load_project(root, args)
            context = _context(root, getattr(args, "context", None))
            plans.append((root, build_plan(project, settings, context_override=context)))
    pending = any(p.changes for _r, p in plans)
    for root, plan in plans:
        _report_unsupported(root, plan)
    if args.dry_run or args.check:
        if args.dry_run:
            from dockvenv.render.diff import unified

            for _root, plan in plans:
                for edit in plan.changes:
                    sys.stdout.write(unified(edit))
        else:
            for root, plan in plans:
                for edit in plan.changes:
                    print(f"would change {_display(root, edit.path)}: {'; '.join(edit.reasons) or 'migration'}")
        return 1 if pending and args.check else 0
    if args.interactive:
        from dockvenv.render.review import review_and_write

        results = []
        for root, plan in plans:
            with _named_from(root):
                results.append(review_and_write(root, plan, force=args.force))
        return max(results or [0])
    from dockvenv.apply import refuse, write

    for root, plan in plans:  # every project's refusals before the first write
        with _named_from(root):
            refuse(plan.root, plan.changes, force=args.force)
    for root, plan in plans:
        with _named_from(root):
            written = write(plan.root, plan.changes, force=args.force)
        for path in written:
            print(f"migrated {_display(root, path)}")
        if not written:
            print(f"{root}: nothing to migrate")
    return 0


def _context(root: str, context: str | None) -> str | None:
    """``--context DIR``: a folder of the project, relative to its root ("" is the root)."""
    if context is None:
        return None
    base = os.path.realpath(root)
    path = os.path.realpath(os.path.join(base, context))
    if os.path.commonpath([base, path]) != base:
        raise UsageError(f"--context {context}: not inside the project {root}")
    if not os.path.isdir(path):
        raise UsageError(f"--context {context}: no such folder in {root}")
    rel = os.path.relpath(path, base).replace(os.sep, "/")
    return "" if rel == "." else rel


@contextmanager
def _named_from(root: str) -> Iterator[None]:
    """Errors name files from the project root; say which project when there is more than ``.``."""
    try:
        yield
    except DockvenvError as exc:
        msg = str(exc)
        if root in (".", "./", "") or msg.startswith(f"{root}:"):
            raise
        raise type(exc)(f"{_display(root, msg)}") from None


def _report_unsupported(root: str, plan: Plan) -> None:
    for item in plan.unsupported:
        print(f"{_display(root, item.path)}: unsupported: {item.reason}", file=sys.stderr)
    for note in plan.notes:
        print(f"{_display(root, '')}{note}" if root not in (".", "") else note, file=sys.stderr)


def _display(root: str, rel: str) -> str:
    return rel if root in (".", "./", "") else os.path.join(root, rel)
