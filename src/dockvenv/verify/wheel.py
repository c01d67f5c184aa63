"""Build a project's wheel in a copy of its build context and install it into a throwaway venv.

Never in the user's tree: the build context is copied (``.dockerignore`` applied, as
``docker build`` would send it) into a temporary folder.  ``uv build --wheel`` when uv is
on PATH, else ``python -m pip wheel --no-deps``; the venv gets the wheel alone
(``--no-deps``), and what it installed is read back from its ``.dist-info``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
BUILD_TIMEOUT = 900
_SKIP = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
                   ".pytest_cache", ".ruff_cache", "dist", "build"})


@dataclass
class Installed:
    """What the wheels put into the venv."""

    files: set[str] = field(default_factory=set)  # RECORD paths, relative to site-packages
    scripts: dict[str, str] = field(default_factory=dict)  # console script -> "module:attr"
    requires: set[str] = field(default_factory=set)  # canonical names of Requires-Dist


@dataclass(frozen=True)
class Built:
    folder: str  # the project folder, relative to the checkout ("." for the root)
    wheel: str | None  # file name of the wheel
    tool: str  # the command that built it
    error: str | None = None


def env() -> dict[str, str]:
    out = dict(os.environ)
    if Path(CA_BUNDLE).is_file():
        out.setdefault("SSL_CERT_FILE", CA_BUNDLE)
    return out


def copy_context(src: Path, dest: Path, rules: tuple[tuple[bool, str], ...]) -> None:
    """The build context as Docker sends it: ``.dockerignore`` applied; caches and venvs left out."""
    from dockvenv.dockerignore import ignored

    dest.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(src):
        rel_dir = Path(dirpath).relative_to(src).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        keep = []
        for d in sorted(dirnames):
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if d in _SKIP or os.path.islink(os.path.join(dirpath, d)) or (rules and ignored(rules, rel)):
                continue
            keep.append(d)
            (dest / rel).mkdir(parents=True, exist_ok=True)
        dirnames[:] = keep
        for name in filenames:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if rules and ignored(rules, rel):
                continue
            try:
                shutil.copy2(os.path.join(dirpath, name), dest / rel, follow_symlinks=True)
            except OSError:
                continue  # a dangling link or a socket: not part of a build either


def build(project_dir: Path, out: Path, folder: str) -> Built:
    uv = shutil.which("uv")
    if uv:
        cmd = [uv, "build", "--wheel", "--out-dir", str(out), str(project_dir)]
        tool = "uv build --wheel"
    else:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-w", str(out),
               str(project_dir)]
        tool = "pip wheel --no-deps"
    try:
        p = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=BUILD_TIMEOUT, env=env(), cwd=project_dir)
    except subprocess.TimeoutExpired:
        return Built(folder, None, tool, f"{tool} took longer than {BUILD_TIMEOUT} s")
    wheels = sorted(out.glob("*.whl"), key=lambda p: p.stat().st_mtime)
    if p.returncode != 0 or not wheels:
        tail = [ln for ln in (p.stderr + p.stdout).splitlines() if ln.strip()][-12:]
        return Built(folder, None, tool, f"{tool} failed ({p.returncode}): " + " | ".join(tail))
    return Built(folder, wheels[-1].name, tool)


def make_venv(where: Path) -> Path:
    """A venv without pip (installs go through the outer pip or uv); its python."""
    uv = shutil.which("uv")
    cmd = [uv, "venv", "--quiet", str(where)] if uv else [sys.executable, "-m", "venv", "--without-pip", str(where)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300, env=env())
    return where / "bin" / "python"


def install(python: Path, wheel: Path) -> str | None:
    """Install one wheel without its dependencies; the error, or None."""
    uv = shutil.which("uv")
    if uv:
        cmd = [uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps", str(wheel)]
    else:
        cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
               "--no-index", "--disable-pip-version-check", str(wheel)]
    p = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300, env=env())
    if p.returncode != 0:
        return f"installing {wheel.name} failed: " + " | ".join(p.stderr.strip().splitlines()[-5:])
    return None


def installed(python: Path) -> Installed:
    """Read back every ``.dist-info`` of the venv's site-packages."""
    from packaging.utils import canonicalize_name

    out = Installed()
    venv = python.parent.parent
    for site in sorted(venv.glob("lib/python*/site-packages")):
        for info in sorted(site.glob("*.dist-info")):
            record = info / "RECORD"
            if record.is_file():
                for line in record.read_text().splitlines():
                    path = line.rsplit(",", 2)[0] if line.count(",") >= 2 else line
                    if path and not path.startswith(".."):
                        out.files.add(path)
            eps = info / "entry_points.txt"
            if eps.is_file():
                out.scripts.update(_console_scripts(eps.read_text()))
            meta = info / "METADATA"
            if meta.is_file():
                for line in meta.read_text().splitlines():
                    if line.startswith("Requires-Dist:"):
                        spec = line.split(":", 1)[1].strip()
                        name = spec.split(";", 1)[0]
                        for sep in "<>=!~[( @":
                            name = name.split(sep, 1)[0]
                        if name:
                            out.requires.add(canonicalize_name(name))
    return out


def _console_scripts(text: str) -> dict[str, str]:
    import configparser

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    if not parser.has_section("console_scripts"):
        return {}
    return {k.strip(): v.strip() for k, v in parser.items("console_scripts")}
