"""Build context, evidence and installed projects of every corpus Dockerfile, as a table in docs/contexts.md.

    python bench/contexts_table.py            # print the table
    python bench/contexts_table.py --write    # replace the table in docs/contexts.md

For each Dockerfile of ../shared/corpus/*: the folder ``contexts.resolve`` builds it from,
the evidence for that folder, the stage names compose/CI build with ``--target``, the
projects ``projects.installed_projects`` finds (in install order, relative to the context),
the ``uv build`` folders the migration's builder stage gets, and what the migration does
with it.  The COPY sources of each migrated Dockerfile are checked as
tests/test_monorepo_corpus.py does (imported from there, so the two agree).  Nothing is
written into the corpus.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests import test_monorepo_corpus as checks

DOC = ROOT / "docs" / "contexts.md"
BEGIN = "<!-- contexts-table: begin (python bench/contexts_table.py --write) -->"
END = "<!-- contexts-table: end -->"


def rows() -> tuple[list[str], dict[str, int]]:
    from dockvenv import contexts
    from dockvenv.dockerfile import parse
    from dockvenv.errors import InputError
    from dockvenv.plan import build_spec, is_dev_dockerfile
    from dockvenv.projects import installed_projects

    out = ["| project | Dockerfile | context | evidence | --target | installed projects | wheels built | migration |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    totals = {"dockerfiles": 0, "outside": 0, "declared": 0, "multi": 0, "changed": 0, "copy_problems": 0}
    for name in checks.PROJECTS:
        project, plan = checks.planned(name)
        changed = {e.path for e in plan.changes}
        unsupported = {u.path for u in plan.unsupported}
        problems, _n = checks.copy_problems(name)
        for path in project.dockerfiles:
            try:
                df = parse(project.text(path) or "", path)
            except InputError as exc:
                out.append(f"| {name} | `{path}` | | | | | | does not parse: {_cell(str(exc))} |")
                continue
            ctx = contexts.resolve(project, path, df)
            found = [i.folder for i in installed_projects(project, ctx.folder, df)]
            spec = build_spec(project, ctx.folder, df)
            if path in changed:
                outcome = "migrated"
                bad = [p for p in problems if p.startswith(f"{path}:")]
                if bad:
                    outcome += "; " + "; ".join(_cell(p) for p in bad)
            elif path in unsupported:
                outcome = "unsupported"
            elif is_dev_dockerfile(path):
                outcome = "dev image: reported"
            else:
                outcome = "unchanged"
            wheels = ", ".join(f"`{d}`" for d in spec.subdirs) if path in changed and spec.packageable else ""
            out.append(f"| {name} | `{path}` | `{ctx.folder or '.'}` | {_cell(_evidence(ctx.evidence))} | "
                       f"{', '.join(ctx.targets)} | {', '.join(f'`{f}`' for f in found)} | {wheels} | {outcome} |")
            totals["dockerfiles"] += 1
            totals["outside"] += ctx.folder != path.rpartition("/")[0]
            totals["declared"] += "builds it" in ctx.evidence
            totals["multi"] += len(found) > 1
            totals["changed"] += path in changed
            totals["copy_problems"] += len([p for p in problems if p.startswith(f"{path}:")])
    return out, totals


def _evidence(text: str) -> str:
    return "COPY/ADD sources" if text.startswith("the folder holding") else text


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|")


def render() -> str:
    table, t = rows()
    summary = (f"{t['dockerfiles']} Dockerfiles; {t['outside']} built from a folder other than their own, "
               f"{t['declared']} from a compose/CI/Makefile declaration; {t['multi']} install more than one "
               f"project; {t['changed']} migrated, with {t['copy_problems']} COPY sources missing from their context.")
    return "\n".join([BEGIN, "", summary, "", *table, "", END])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help=f"replace the table in {DOC.relative_to(ROOT)}")
    args = p.parse_args(argv)
    if not checks.PROJECTS:
        print(f"no corpus at {checks.CORPUS}", file=sys.stderr)
        return 2
    text = render()
    if not args.write:
        print(text)
        return 0
    doc = DOC.read_text(encoding="utf-8")
    if BEGIN not in doc or END not in doc:
        print(f"{DOC}: no {BEGIN!r} ... {END!r} markers", file=sys.stderr)
        return 2
    head, rest = doc.split(BEGIN, 1)
    DOC.write_text(head + text + rest.split(END, 1)[1], encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
