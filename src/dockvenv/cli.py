"""The command line: parse arguments, build settings, run one pipeline, return the exit code.

Exit codes, as ruff and black: 0 nothing to do (or all done), 1 findings or pending
changes, 2 dockvenv could not do its job (bad input, usage, I/O).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from typing import Sequence

from dockvenv import __version__
from dockvenv.errors import DockvenvError, InputError

EXAMPLES = """\
examples:
  dockvenv check .                      findings, like a linter
  dockvenv migrate --dry-run .          print the migration as a diff; change nothing
  dockvenv migrate --interactive .      review every change hunk by hunk
  dockvenv migrate --check .            exit 1 when a migration is pending (CI)
  dockvenv bulk --repos repos.txt       one branch and pull request per repository
  dockvenv rule DV101                   what a rule finds and why
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except DockvenvError as exc:
        print(f"dockvenv: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dockvenv: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dockvenv",
        description="Find the virtualenv-inside-Docker pattern and migrate Python projects "
        "to lean multi-stage wheel builds.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"dockvenv {__version__}")
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    c = sub.add_parser("check", help="report findings (exit 1 when there are any)")
    _common(c)
    c.add_argument("--format", choices=("text", "json", "sarif", "github", "gitlab"), default="text",
                   help="text (default), json, sarif, github annotations or gitlab code quality")
    c.set_defaults(func=_check)

    m = sub.add_parser("migrate", help="plan the migration, then write it (or show it)")
    _common(m)
    mode = m.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", "--diff", dest="dry_run", action="store_true",
                      help="print a unified diff (git apply accepts it); write nothing")
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 when a change is pending")
    mode.add_argument("--interactive", "-i", action="store_true", help="review every hunk before writing")
    m.add_argument("--yes", "-y", action="store_true", help="never ask anything (scripts, bulk runs)")
    m.add_argument("--force", action="store_true", help="overwrite files that have uncommitted git changes")
    m.add_argument("--dev-target", choices=("extra", "group"), help="where dev tools go (default: extra)")
    m.add_argument("--no-syntax-directive", dest="syntax_directive", action="store_false", default=None,
                   help="do not add '# syntax=docker/dockerfile:1' (air-gapped builders)")
    m.add_argument("--uv-version", help="the uv release the builder stage pins")
    m.add_argument("--include-dev", action="store_true", default=None, help="also migrate development Dockerfiles")
    m.add_argument("--context", metavar="DIR", help="the build context of every Dockerfile, relative to PATH "
                   "(default: found from compose, CI and Makefiles; see docs/contexts.md)")
    m.set_defaults(func=_migrate)

    b = sub.add_parser("bulk", help="many repositories: clone, migrate, branch, commit, push, open or update a PR",
                       description="Run 'dockvenv migrate --yes' on many repositories: one branch, commit and "
                       "pull request each. Tokens come from GITHUB_TOKEN / GITLAB_TOKEN only. See docs/bulk.md.")
    which = b.add_mutually_exclusive_group(required=True)
    which.add_argument("--repos", metavar="FILE", help="one repository a line: owner/name, a clone URL or a local "
                       "path; '#' comments; '-' reads standard input")
    which.add_argument("--org", metavar="NAME", help="every repository of this organisation (GitLab: group)")
    which.add_argument("--only-failed", metavar="REPORT", help="re-run the repositories REPORT lists as failed")
    b.add_argument("--forge", choices=("github", "gitlab"), default="github")
    b.add_argument("--api-url", help="forge API base (default https://api.github.com or https://gitlab.com/api/v4)")
    b.add_argument("--git-url", metavar="TEMPLATE", help="clone URL of owner/name "
                   "(default https://github.com/{owner}/{name}.git)")
    b.add_argument("--branch", default="dockvenv/migrate", help="the branch each pull request comes from")
    b.add_argument("--title", help="pull request title")
    b.add_argument("--message", help="commit subject (default: the title); a Dockvenv-Version trailer is added")
    b.add_argument("--author", help="commit author and committer, 'Name <email>'")
    b.add_argument("--concurrency", "-j", type=int, default=4, help="repositories at once (default 4)")
    b.add_argument("--workspace", metavar="DIR", help="keep clones here and fetch into them next time "
                   "(default: a temporary folder, removed)")
    b.add_argument("--dry-run", action="store_true", help="clone and plan; write a patch per repository into "
                   "--out; push nothing, call no write endpoint")
    b.add_argument("--out", metavar="DIR", default="dockvenv-patches", help="--dry-run patches (default %(default)s)")
    b.add_argument("--report", metavar="FILE", help="write the JSON report (version 1) here")
    b.add_argument("--prs-per-minute", type=float, default=0, help="pace pull request creation")
    b.add_argument("--verify", action="store_true", help="add dockvenv verify's image comparison to each PR")
    b.add_argument("--timeout", type=float, default=30.0, help="seconds per forge API request (default 30)")
    b.add_argument("--dev-target", choices=("extra", "group"), help="where dev tools go (default: extra)")
    b.add_argument("--no-syntax-directive", dest="syntax_directive", action="store_false", default=None,
                   help="do not add '# syntax=docker/dockerfile:1'")
    b.add_argument("--uv-version", help="the uv release the builder stage pins")
    b.add_argument("--include-dev", action="store_true", default=None, help="also migrate development Dockerfiles")
    b.set_defaults(func=_bulk)

    v = sub.add_parser("verify", help="prove a migrated project still works (--docker: build and compare images)",
                       description="Check that a migrated project still works. With --docker, build the original "
                       "(git --base REF, or the working tree before the pending migration) and the migrated image, "
                       "run both and compare. Exit 0 all good, 1 a check failed, 2 could not run. "
                       "See docs/verify.md.")
    v.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="project folders (default: .)")
    v.add_argument("--json", action="store_true", help="print the report as JSON (version 1)")
    v.add_argument("--docker", action="store_true", help="build the original and the migrated image and compare")
    vd = v.add_argument_group("--docker options")
    vd.add_argument("--base", metavar="REF", default="HEAD", help="git ref of the original when the working tree "
                    "is already migrated (default HEAD)")
    vd.add_argument("--dockerfile", metavar="PATH", help="the Dockerfile to build (default: the migrated one)")
    vd.add_argument("--smoke", metavar="CMD", help="command to run in both images, as the container's whole "
                    "command (default: derived from ENTRYPOINT/CMD)")
    vd.add_argument("--http", metavar="PATH", help="also start both servers (--network host) and compare "
                    "the status of GET PATH")
    vd.add_argument("--rebuild", action="store_true", help="time a rebuild after a one-line code change")
    vd.add_argument("--keep", action="store_true", help="keep the images and temporary trees")
    vd.add_argument("--no-cache", action="store_true", help="cold builds (docker build --no-cache)")
    vd.add_argument("--strip-syntax", action="store_true", help="drop '# syntax=' before building "
                    "(engines that cannot pull the Dockerfile frontend)")
    vd.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                    help="how long a container may take to run or start listening (default 120)")
    v.set_defaults(func=_verify)

    r = sub.add_parser("rule", help="print a rule's documentation")
    r.add_argument("code", nargs="?", help="e.g. DV101; all rules are listed when omitted")
    r.set_defaults(func=_rule)

    s = sub.add_parser("completion", help="print a shell completion script",
                       epilog=COMPLETION, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("shell", choices=("bash", "zsh", "fish"))
    s.set_defaults(func=_completion)

    # pre-commit's entry point (.pre-commit-hooks.yaml), not listed: no help= on purpose.
    h = sub.add_parser("hook", usage="dockvenv hook check|migrate [OPTIONS] FILE...")
    h.add_argument("argv", nargs=argparse.REMAINDER)
    h.set_defaults(func=_hook)
    return p


COMPLETION = """\
install:
  bash   dockvenv completion bash > ~/.local/share/bash-completion/completions/dockvenv
  zsh    dockvenv completion zsh > "${fpath[1]}/_dockvenv"   (or any folder on $fpath)
  fish   dockvenv completion fish > ~/.config/fish/completions/dockvenv.fish
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="project folders (default: .)")
    p.add_argument("--select", help="only these rule codes or prefixes, comma-separated")
    p.add_argument("--ignore", help="skip these rule codes or prefixes, comma-separated")


def settings_for(project_text: str | None, args: argparse.Namespace) -> "Settings":  # noqa: F821
    from dockvenv.config import apply, load

    settings = _known_codes(load(project_text), "pyproject.toml")
    flags = {
        "select": getattr(args, "select", None),
        "ignore": getattr(args, "ignore", None),
        "dev_target": getattr(args, "dev_target", None),
        "syntax_directive": getattr(args, "syntax_directive", None),
        "uv_version": getattr(args, "uv_version", None),
        "include_dev": getattr(args, "include_dev", None),
    }
    return _known_codes(apply(settings, flags, "command line"), "command line")


def _known_codes(settings: "Settings", origin: str) -> "Settings":  # noqa: F821
    """Rule prefixes upper-cased; one that names no rule is a usage error, not a silent no-op."""
    from dockvenv.errors import UsageError
    from dockvenv.rules import BY_CODE

    select = tuple(p.upper() for p in settings.select)
    ignore = tuple(p.upper() for p in settings.ignore)
    for prefix in (*select, *ignore):
        if not any(code.startswith(prefix) for code in BY_CODE):
            error = UsageError if origin == "command line" else InputError
            raise error(f"{origin}: no rule code starts with {prefix!r} (see 'dockvenv rule')")
    return replace(settings, select=select, ignore=ignore)


def load_project(root: str, args: argparse.Namespace) -> tuple["Project", "Settings"]:  # noqa: F821
    """A project folder and its settings, read first so that ``exclude`` applies to the walk."""
    from dockvenv.project import read_file, read_project

    settings = settings_for(read_file(root, "pyproject.toml"), args)
    return read_project(root, exclude=settings.exclude), settings


def display(root: str, rel: str) -> str:
    return rel if root in (".", "./", "") else os.path.join(root, rel)


def _check(args: argparse.Namespace) -> int:
    from dockvenv.check import findings
    from dockvenv.render.report import render

    found = []
    for root in args.paths:
        try:
            project, settings = load_project(root, args)
            found += [replace(f, path=display(root, f.path)) for f in findings(project, settings)]
        except DockvenvError as exc:
            message = str(exc)
            if isinstance(exc, InputError) and not message.startswith((f"{root}:", "command line:")):
                raise InputError(display(root, message)) from None  # name the file as the user sees it
            raise
    sys.stdout.write(render(found, args.format))
    return 1 if found else 0


def _migrate(args: argparse.Namespace) -> int:
    from dockvenv.migrate import run

    return run(args)


def _bulk(args: argparse.Namespace) -> int:
    from dockvenv.bulk.runner import run

    return run(args, lambda root: load_project(root, args))


def _verify(args: argparse.Namespace) -> int:
    if args.docker:
        from dockvenv.verify import docker

        return docker.run(args)
    try:
        from dockvenv.verify import run_static  # type: ignore[attr-defined]
    except ImportError:
        from dockvenv.errors import UsageError

        raise UsageError("verify: the static checks are not available yet; use --docker") from None
    return int(run_static(args))


def _rule(args: argparse.Namespace) -> int:
    from dockvenv.errors import UsageError
    from dockvenv.rules import BY_CODE, RULES, doc

    if not args.code:
        for rule in RULES:
            print(f"{rule.CODE}  {rule.NAME:<24} {doc(rule.CODE).splitlines()[0].split(': ', 1)[-1]}")
        return 0
    if args.code.upper() not in BY_CODE:
        raise UsageError(f"unknown rule {args.code!r} (see 'dockvenv rule' for the list)")
    print(doc(args.code))
    return 0


def _completion(args: argparse.Namespace) -> int:
    from dockvenv.completion import script

    sys.stdout.write(script(_parser(), args.shell))
    return 0


def _hook(args: argparse.Namespace) -> int:
    from dockvenv.hooks import run

    return run(args.argv)
