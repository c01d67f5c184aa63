"""Hostile and broken input: every case is one line of error naming the file, exit 2, nothing changed.

Each case starts from a small project that ``migrate`` would change (a venv Dockerfile,
a pyproject with a dev tool), spoils it one way, runs the CLI in this process from
inside the project, and then compares every byte, mode, owner and name under the test
folder (the project and a folder beside it) with what was there before: no file
changed, none half-written, no temporary file left, nothing written outside.

docs/hostile-input.md is generated from ``CASES`` and checked here:

    python -m tests.test_hostile_input        # rewrite docs/hostile-input.md
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "hostile-input.md"
HUGE = 100 * 1024 * 1024
DOCKERFILE = (
    "FROM python:3.12-slim\n"
    "RUN python -m venv /opt/venv\n"
    'ENV PATH="/opt/venv/bin:$PATH"\n'
    "COPY . /app\n"
    "RUN pip install /app\n"
    'CMD ["python", "-m", "app"]\n'
)
PYPROJECT = ('[project]\nname = "app"\nversion = "1.0"\ndependencies = ["flask", "pytest"]\n\n'
             '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')


class Run:
    """One case in progress: the project, the folder beside it, and the state to compare against."""

    def __init__(self, base: Path, stack: contextlib.ExitStack, patch: pytest.MonkeyPatch) -> None:
        self.base, self.stack, self.patch = base, stack, patch
        self.proj, self.outside = base / "proj", base / "outside"
        self.before: dict[str, tuple] = {}  # type: ignore[type-arg]

    def mark(self) -> None:
        """What the tree holds now is what must hold after a refusal (a case calls it again after racing us)."""
        self.before = snapshot(self.base)

    def mount(self, target: Path, *options: str) -> None:
        """A real mount (tests run as root); skips the case where mounting is not allowed."""
        target.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", *options, str(target)], capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot mount here ({done.stderr.strip() or 'not root'})")
        self.stack.callback(subprocess.run, ["umount", "-l", str(target)], capture_output=True)


@dataclass(frozen=True)
class Case:
    id: str
    what: str  # the input, as the table shows it
    argv: tuple[str, ...]
    spoil: Callable[[Run], None]
    expect: str  # regex for the one-line error ('' when the command must succeed)
    exit: int = 2
    changes: bool = False  # the command is expected to write (read-only file: it must keep the mode)
    check: Callable[[Run], None] | None = None  # extra assertions after the run


def write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def sparse(path: Path, size: int = HUGE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)


def never_read(run: Run, rel: str) -> None:
    """Fail the case if the reader opens ``rel`` (it must refuse from the size alone)."""
    real, huge = Path.read_bytes, os.path.abspath(run.proj / rel)

    def read_bytes(self: Path) -> bytes:
        assert os.path.abspath(self) != huge, f"{self} was read"
        return real(self)

    run.patch.setattr(Path, "read_bytes", read_bytes)


def after_planning(change: Callable[[Run], None]) -> Callable[[Run], None]:
    """Race the writer: change the project between the plan and the write."""

    def spoil(run: Run) -> None:
        import dockvenv.plan

        real = dockvenv.plan.build_plan

        def build_plan(*args, **kwargs):  # type: ignore[no-untyped-def]
            plan = real(*args, **kwargs)
            change(run)
            run.mark()
            return plan

        run.patch.setattr(dockvenv.plan, "build_plan", build_plan)

    return spoil


def fail_nth(run: Run, module: object, name: str, n: int, error: OSError) -> None:
    """Make the ``n``-th call of ``module.name`` raise ``error``."""
    real, calls = getattr(module, name), []

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == n:
            raise error
        return real(*args, **kwargs)

    run.patch.setattr(module, name, wrapper)


def fill_tmpfs(run: Run) -> None:
    """The project on a 64 KiB tmpfs, the rest of it taken by a file beside the project."""
    import shutil

    stash = run.base.parent / f"{run.base.name}-stash"
    shutil.copytree(run.base, stash, symlinks=True)
    run.mount(run.base, "-t", "tmpfs", "-o", "size=64k", "tmpfs")
    shutil.copytree(stash, run.base, symlinks=True, dirs_exist_ok=True)
    shutil.rmtree(stash)
    fd = os.open(run.outside / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 512):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def read_only_bind(run: Run) -> None:
    run.mount(run.proj, "--bind", str(run.proj))
    subprocess.run(["mount", "-o", "remount,bind,ro", str(run.proj)], check=True, capture_output=True)


def keeps_mode_and_owner(run: Run) -> None:
    st = os.stat(run.proj / "Dockerfile")
    assert stat.S_IMODE(st.st_mode) == 0o444 and (st.st_uid, st.st_gid) == (4321, 4321), oct(st.st_mode)
    assert "python -m venv" not in (run.proj / "Dockerfile").read_text()


def outside_not_read(run: Run) -> None:
    assert (run.outside / "Dockerfile").read_text() == DOCKERFILE


def _chown_read_only(run: Run) -> None:
    os.chown(run.proj / "Dockerfile", 4321, 4321)
    os.chmod(run.proj / "Dockerfile", 0o444)


CASES = [
    Case("binary-dockerfile", "Dockerfile with a NUL byte on line 2", ("check", "."),
         lambda r: write(r.proj / "Dockerfile", b"FROM python:3.12\nRUN echo \x00\x01\n"),
         r"Dockerfile:2: binary file \(NUL byte\)"),
    Case("utf16-dockerfile", "Dockerfile saved as UTF-16", ("migrate", "."),
         lambda r: write(r.proj / "Dockerfile", DOCKERFILE.encode("utf-16")), r"Dockerfile:1: binary file \(NUL byte\)"),
    Case("latin1-pyproject", "pyproject.toml in Latin-1 (é on line 4)", ("migrate", "."),
         lambda r: write(r.proj / "pyproject.toml", PYPROJECT.replace('"1.0"\n', '"1.0"\ndescription = "caf\xe9"\n', 1)
                         .encode("latin-1")),
         r"pyproject\.toml:4: not valid UTF-8 \(byte 0xe9\)"),
    Case("latin1-requirements", "requirements.txt in Latin-1 (line 2)", ("check", "."),
         lambda r: write(r.proj / "requirements.txt", "flask\n# caf\xe9\n".encode("latin-1")),
         r"requirements\.txt:2: not valid UTF-8 \(byte 0xe9\)"),
    Case("huge-dockerfile", "Dockerfile of 100 MiB (sparse; never read)", ("check", "."),
         lambda r: (sparse(r.proj / "Dockerfile"), never_read(r, "Dockerfile")),
         rf"Dockerfile: file too large \({HUGE} bytes; the limit is \d+\)"),
    Case("huge-python", "a 100 MiB .py file (sparse; never read)", ("migrate", "."),
         lambda r: (sparse(r.proj / "app" / "data.py"), never_read(r, "app/data.py")),
         rf"app/data\.py: file too large \({HUGE} bytes; the limit is \d+\)"),
    Case("huge-python-excluded", "the same, with `[tool.dockvenv] exclude = [\"app/data.py\"]`", ("check", "."),
         lambda r: (sparse(r.proj / "app" / "data.py"), never_read(r, "app/data.py"),
                    write(r.proj / "pyproject.toml", PYPROJECT + '\n[tool.dockvenv]\nexclude = ["app/data.py"]\n')),
         "", exit=1),
    Case("huge-unrelated", "a 100 MiB model.bin beside the project files (not dockvenv's)", ("check", "."),
         lambda r: (sparse(r.proj / "model.bin"), never_read(r, "model.bin")), "", exit=1),
    Case("fifo-dockerfile", "Dockerfile is a FIFO (opening it would block)", ("migrate", "."),
         lambda r: ((r.proj / "Dockerfile").unlink(), os.mkfifo(r.proj / "Dockerfile")),
         r"Dockerfile: not a regular file"),
    Case("fifo-requirements", "requirements.txt is a FIFO", ("check", "."),
         lambda r: os.mkfifo(r.proj / "requirements.txt"), r"requirements\.txt: not a regular file"),
    Case("symlink-outside", "Dockerfile is a symlink to ../outside/Dockerfile", ("migrate", "."),
         lambda r: ((r.proj / "Dockerfile").unlink(), (r.proj / "Dockerfile").symlink_to("../outside/Dockerfile")),
         r"Dockerfile: symlink points outside the project \(\.\./outside/Dockerfile\)"),
    Case("symlink-passwd", "pyproject.toml is a symlink to /etc/passwd", ("check", "."),
         lambda r: ((r.proj / "pyproject.toml").unlink(), (r.proj / "pyproject.toml").symlink_to("/etc/passwd")),
         r"pyproject\.toml: symlink points outside the project \(/etc/passwd\)"),
    Case("symlinked-folder-outside", "docker/ is a symlink to a folder outside, holding a Dockerfile",
         ("migrate", "."), lambda r: (r.proj / "docker").symlink_to("../outside"), "", exit=0, changes=True,
         check=outside_not_read),
    Case("read-only-file", "Dockerfile mode 0444, owned by 4321:4321 (root can still write it)", ("migrate", "."),
         _chown_read_only, "", exit=0, changes=True, check=keeps_mode_and_owner),
    Case("read-only-folder", "the project folder on a read-only bind mount", ("migrate", "."), read_only_bind,
         r"[\w./-]+: cannot write: Read-only file system; no file was changed"),
    Case("unwritable-folder", "creating the temporary file fails (EACCES, injected)", ("migrate", "."),
         lambda r: fail_nth(r, tempfile, "mkstemp", 1, PermissionError(errno.EACCES, "Permission denied")),
         r"[\w./-]+: cannot write: Permission denied; no file was changed"),
    Case("disk-full", "the project on a full 64 KiB tmpfs", ("migrate", "."), fill_tmpfs,
         r"[\w./-]+: cannot write: No space left on device; no file was changed"),
    Case("disk-full-injected", "fsync fails with ENOSPC on the second file (injected)", ("migrate", "."),
         lambda r: fail_nth(r, os, "fsync", 2, OSError(errno.ENOSPC, "No space left on device")),
         r"[\w./-]+: cannot write: No space left on device; no file was changed"),
    Case("rename-fails-half-way", "the second rename fails (EIO, injected): the first is put back", ("migrate", "."),
         lambda r: fail_nth(r, os, "replace", 2, OSError(errno.EIO, "Input/output error")),
         r"[\w./-]+: cannot write: Input/output error; no file was changed"),
    Case("deleted-before-write", "Dockerfile deleted between the plan and the write", ("migrate", "."),
         after_planning(lambda r: (r.proj / "Dockerfile").unlink()),
         r"Dockerfile: deleted since it was read; nothing was written"),
    Case("changed-before-write", "Dockerfile edited between the plan and the write", ("migrate", "."),
         after_planning(lambda r: write(r.proj / "Dockerfile", DOCKERFILE + "LABEL edited=1\n")),
         r"Dockerfile: changed since it was read; nothing was written, run dockvenv again"),
    Case("invalid-toml", "pyproject.toml with an unclosed array (line 4)", ("migrate", "."),
         lambda r: write(r.proj / "pyproject.toml", PYPROJECT.replace('"pytest"]', '"pytest"')),
         r"pyproject\.toml:\d+: invalid TOML: .+"),
    Case("unterminated-heredoc", "Dockerfile with a heredoc that never ends (line 2)", ("check", "."),
         lambda r: write(r.proj / "Dockerfile", "FROM python:3.12\nRUN <<EOF\necho hi\n"),
         r"Dockerfile:2: unterminated heredoc <<EOF"),
    Case("json-not-strings", "CMD [\"python\", 1] (Docker refuses it)", ("migrate", "."),
         lambda r: write(r.proj / "Dockerfile", DOCKERFILE.replace('CMD ["python", "-m", "app"]', 'CMD ["python", 1]')),
         r"Dockerfile:6: CMD requires the arguments to be a JSON array of strings"),
    Case("bad-dockerignore", ".dockerignore with an unclosed [ on line 2", ("check", "."),
         lambda r: write(r.proj / ".dockerignore", ".git\n[abc\n"), r"\.dockerignore:2: invalid pattern '\[abc'"),
    Case("not-a-folder", "PATH is a file", ("check", "Dockerfile"), lambda r: None,
         r"Dockerfile: not a directory \(dockvenv takes a project folder\)"),
    Case("no-such-folder", "PATH does not exist", ("migrate", "missing"), lambda r: None, r"missing: no such directory"),
]


def snapshot(base: Path) -> dict[str, tuple]:  # type: ignore[type-arg]
    """Name -> (kind, mode, owner, content or size) of everything under ``base``."""
    out: dict[str, tuple] = {}  # type: ignore[type-arg]
    for path in sorted(base.rglob("*")):
        st = path.lstat()
        rel = path.relative_to(base).as_posix()
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("link", os.readlink(path))
        elif stat.S_ISREG(st.st_mode):
            body = path.read_bytes() if st.st_size < 1 << 20 else (st.st_size, st.st_mtime_ns)
            out[rel] = ("file", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, body)
        else:
            out[rel] = ("other", stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
    return out


@dataclass(frozen=True)
class Outcome:
    exit: int
    stderr: str
    changed: list[str]  # names whose bytes, mode or owner changed, or that appeared or went


def run_case(case: Case, base: Path) -> Outcome:
    """Set the case up under ``base``, run dockvenv in this process from inside the project."""
    from dockvenv.cli import main

    with contextlib.ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
        run = Run(base, stack, patch)
        write(run.proj / "Dockerfile", DOCKERFILE)
        write(run.proj / "pyproject.toml", PYPROJECT)
        write(run.proj / "app" / "__init__.py", "")
        write(run.outside / "Dockerfile", DOCKERFILE)
        case.spoil(run)
        run.mark()
        patch.chdir(run.proj)
        err = io.StringIO()
        signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError(f"{case.id}: blocked")))
        signal.alarm(30)
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                code = main(list(case.argv))
        finally:
            signal.alarm(0)
        now = snapshot(base)
        changed = sorted(k for k in set(now) | set(run.before) if now.get(k) != run.before.get(k))
        if case.check:
            case.check(run)
    return Outcome(code, err.getvalue(), changed)


@pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux", reason="the cases use FIFOs, chown and mounts")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path) -> None:
    out = run_case(case, tmp_path / "t")
    assert out.exit == case.exit, out.stderr
    if case.expect:
        lines = out.stderr.splitlines()
        assert len(lines) == 1, out.stderr
        assert re.fullmatch(rf"dockvenv: error: {case.expect}", lines[0]), lines[0]
    temps = [name for name in out.changed if name.endswith(".dockvenv")]
    assert not temps, f"temporary files left: {temps}"
    if not case.changes:
        assert out.changed == [], f"changed: {out.changed}"
    else:
        assert all(name.startswith("proj/") for name in out.changed), f"written outside the project: {out.changed}"


def table() -> str:
    """docs/hostile-input.md: every case, run now, as a table."""
    rows = []
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                out = run_case(case, Path(tmp) / "t")
            except pytest.skip.Exception as exc:
                rows.append(f"| `{case.id}` | {case.what} | `dockvenv {' '.join(case.argv)}` | skipped: {exc} | | |")
                continue
        said = out.stderr.strip().replace("|", "\\|") or "(no error)"
        changed = ", ".join(out.changed) if out.changed else "none"
        rows.append(f"| `{case.id}` | {case.what} | `dockvenv {' '.join(case.argv)}` | {out.exit} | `{said}` | "
                    f"{changed} |")
    return "\n".join(rows)


HEADER = """# Hostile and broken input

What dockvenv does with files that are binary, not UTF-8, huge, FIFOs, symlinks out of the
project, read-only, changed while it works, or on a full disk.  Every refusal is one line
naming the file (and the line where there is one), exit code 2, and leaves every file as it
was: the reader checks type and size before it opens anything, and the writer checks every
file again, writes every temporary file (fsynced, with the original's mode and owner)
before the first rename, and puts files back if a rename fails half-way.

Generated by `python -m tests.test_hostile_input` from the cases in
tests/test_hostile_input.py, which also assert each row (run as root on Linux: FIFOs,
chown and mounts).  "Files changed" compares every byte, mode, owner and name under the
test folder (the project and a folder beside it) before and after the command.

| case | input | command | exit | what dockvenv says | files changed |
| --- | --- | --- | ---: | --- | --- |
"""

NOTES = """
Notes:

- The size limit is `dockvenv.project.MAX_BYTES` (16 MiB).  A larger `.py` file stops the
  run (dockvenv reads Python sources for imports and `load_dotenv()` calls); leave it out
  with `[tool.dockvenv] exclude = ["app/data.py"]`.  Files dockvenv does not look at, however
  large, are never opened.
- Symlinked folders are not followed, so nothing outside the project is read or written
  through them; a symlinked *file* that points outside is refused.
- Root can write a mode 0444 file; dockvenv does, and keeps the mode and the owner.
"""


def main() -> int:
    DOC.write_text(HEADER + table() + "\n" + NOTES)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


@pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux", reason="the table is generated as root on Linux")
def test_the_doc_table_is_current() -> None:
    if not DOC.exists():
        pytest.fail("docs/hostile-input.md is missing: run python -m tests.test_hostile_input")
    assert table() in DOC.read_text(), "docs/hostile-input.md is stale: run python -m tests.test_hostile_input"


def _iter_ids() -> Iterator[str]:  # pragma: no cover - a helper for reading the table by hand
    yield from (c.id for c in CASES)


if __name__ == "__main__":
    raise SystemExit(main())
