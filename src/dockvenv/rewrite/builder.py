"""The ``dockvenv-builder`` stage and the runtime stage's installs from it.

The builder runs on the runtime stage's own base and installs a pinned uv (and Poetry for
a Poetry lock).  It exports the lock in a step that mounts only the lock's inputs, so a
code change does not export it again, then builds the wheel from the context mounted with
``RUN --mount=type=bind`` rather than copied: one layer fewer on every code change, and no
layer that holds the source tree.
The runtime stage installs the exported set, then the wheel, each from a
``RUN --mount=from=dockvenv-builder`` (as root when the stage had switched user), and
copies the files its ``CMD``/``ENTRYPOINT`` names that the wheel does not carry.  pip
installs whatever reads an index; the wheel after a locked set (``--no-deps``) is
installed by the builder's uv, mounted for that step, where the runtime base can run it.
"""

from __future__ import annotations

import re

from dockvenv.analysis import env_pairs, expand
from dockvenv.rewrite.decisions import State
from dockvenv.rewrite.words import quote, root_base

BUILDER = "dockvenv-builder"
# The official python images: Python is built into /usr/local, so pip puts uv in /usr/local/bin.
_OFFICIAL_PYTHON = re.compile(r"(?:(?:docker\.io/)?library/)?python(?::|@|$)", re.I)


class BuilderStage(State):
    def _builder_base(self) -> tuple[str, str]:
        """The builder's base image, and whose it is: "own" (the runtime's), "given" or "python"."""
        if self.opts.builder_base:
            return self.opts.builder_base, "given"
        base = root_base(self.df, self.df.stages[-1])
        if "python" not in self._expanded(base).lower():
            return "python:3.12-slim", "python"  # the runtime base brings no Python; a pure wheel builds anywhere
        return base, "own"

    def _expanded(self, base: str) -> str:
        return expand(base, {k: v for a in self.df.global_args for k, v in env_pairs(a)})

    def _builder_uv(self) -> str | None:
        """Where the builder's uv is, when the runtime stage can run it: its own base, a known layout."""
        if self.opts.uv_source == "image":
            return "/bin/uv"  # a static binary
        base, whose = self._builder_base()
        return "/usr/local/bin/uv" if whose == "own" and _OFFICIAL_PYTHON.match(self._expanded(base)) else None

    def _builder_text(self) -> str:
        nl, o, spec = self.nl, self.opts, self.spec
        base, whose = self._builder_base()
        brk = " --break-system-packages" if self.distro and whose != "python" else ""
        lines = [f"FROM {base} AS {BUILDER}"]
        if o.uv_source == "image":
            lines.append(f"COPY --from=ghcr.io/astral-sh/uv:{o.uv_version} /uv /uvx /bin/")
        else:
            lines.append(f"RUN {self.python} -m pip install --no-cache-dir{brk} uv=={o.uv_version}")
        if spec.lock == "poetry":
            lines.append(f"RUN {self.python} -m pip install --no-cache-dir{brk} "
                         f"poetry=={o.poetry_version} poetry-plugin-export")
        lines.append("WORKDIR /src")
        last = spec.subdirs[-1]
        cd = f"cd {last} && " if last not in (".", "") else ""
        export = self._export_steps(cd)
        if export and spec.lock_inputs:
            # its own step, on the lock's inputs only: a code change does not export (or re-lock) again
            mounts = [f"--mount=type=bind,source={f},target=/src/{f}"
                      + (",rw" if spec.prune and f.endswith("poetry.lock") else "")  # `poetry lock` rewrites it
                      for f in spec.lock_inputs]
            mkdir = [] if spec.lock == "uv" else ["mkdir -p /dist"]  # uv export makes it itself
            lines.append(self._mounted_run(mounts, mkdir + export))
            export = []
        if spec.vcs_version:
            lines.append("ARG VERSION=0.0.0")
        env = "SETUPTOOLS_SCM_PRETEND_VERSION=${VERSION} " if spec.vcs_version else ""
        steps = [f"{env}uv build --wheel --out-dir /dist{'' if d in ('.', '') else ' ' + d}" for d in spec.subdirs]
        # the context is mounted, not copied: no layer holds the source tree (rw: backends write build/)
        # and the build backend is downloaded once, not on every code change
        lines.append(self._mounted_run(
            ["--mount=type=bind,target=/src,rw", "--mount=type=cache,target=/root/.cache/uv"], steps + export))
        return nl.join(lines) + nl

    def _export_steps(self, cd: str) -> list[str]:
        spec = self.spec
        if spec.lock == "uv":
            extras = "".join(f" --extra {e}" for e in self.extras if e)
            prune = "".join(f" --prune {p}" for p in spec.prune)
            return [f"{cd}uv export --frozen --no-dev --no-emit-project --no-hashes"
                    f"{extras}{prune} --format requirements-txt -o /dist/requirements.txt"]
        if spec.lock == "poetry":
            extras = "".join(f" --extras {e}" for e in self.extras if e)
            # poetry refuses to export a lock that pyproject.toml no longer matches; `poetry lock`
            # keeps every locked version (Poetry 2) and drops the moved dev tools
            relock = [f"{cd}(poetry check --lock || poetry lock)"] if spec.prune else []
            return [*relock, f"{cd}poetry export --only main --without-hashes{extras} -f requirements.txt -o /dist/requirements.txt"]
        if spec.lock and spec.lock.startswith("requirements:"):
            return [f"cp {spec.lock.split(':', 1)[1]} /dist/requirements.txt"]
        return []

    def _mounted_run(self, mounts: list[str], steps: list[str]) -> str:
        sep = f" \\{self.nl}    "
        return "RUN " + sep.join(mounts) + sep + f"{sep}&& ".join(steps)

    def _install_text(self) -> str:
        nl = self.nl
        brk = " --break-system-packages" if self.distro else ""
        compile_ = "" if self.opts.compile_bytecode else " --no-compile"
        pip = f"{self.python} -m pip install --no-cache-dir{compile_}{brk}"
        out = []
        wheel = "/wheels/*.whl"
        if self.extras and not self.spec.lock:
            wheel = f'"$(echo /wheels/*.whl)[{",".join(self.extras)}]"'
        if self.spec.lock:
            out.append(f"RUN --mount=from={BUILDER},source=/dist/requirements.txt,target=/tmp/requirements.txt \\{nl}"
                       f"    {pip} -r /tmp/requirements.txt{nl}")
            out.append(self._wheel_install(pip, wheel))
        else:
            out.append(f"RUN --mount=from={BUILDER},source=/dist,target=/wheels \\{nl}    {pip} {wheel}{nl}")
        if self.extra_packages:
            out += [f"{line}{nl}" for line in self.extra_args.values()]
            out.append(f"RUN {pip} {' '.join(quote(p) for p in self.extra_packages)}{nl}")
        user = self._user_at_install()
        if user:  # the image's Python belongs to root; the venv was the user's
            out = [f"USER root{nl}", *out, f"USER {user}{nl}"]
        return "".join(out)

    def _wheel_install(self, pip: str, wheel: str) -> str:
        """The project's wheel, ``--no-deps``: with the builder's uv mounted where it can run here.

        uv installs one wheel in a tenth of pip's time, and nothing of it stays in the image
        (a file mount leaves nothing; its lock file goes to a tmpfs).  It needs no index for
        ``--no-deps``, so pip's configuration (an index, a proxy) does not matter here.
        """
        nl = self.nl
        uv = self._builder_uv()
        wheels = f"RUN --mount=from={BUILDER},source=/dist,target=/wheels \\{nl}"
        if uv is None:
            return f"{wheels}    {pip} --no-deps {wheel}{nl}"
        flags = (" --compile-bytecode" if self.opts.compile_bytecode else "") \
            + (" --break-system-packages" if self.distro else "")
        return (f"{wheels}    --mount=from={BUILDER},source={uv},target=/usr/local/bin/uv \\{nl}"
                f"    --mount=type=tmpfs,target=/tmp \\{nl}"
                f"    uv pip install --system --no-cache --no-deps{flags} {wheel}{nl}")

    def _user_at_install(self) -> str | None:
        user = None
        for s in self.facts.steps:
            if s.ins is self.install_at:
                break
            if s.ins.cmd == "FROM" and s.stage.index in self.facts.runtime:
                continue
            if s.ins.cmd == "USER" and s.stage.index in self.facts.runtime and s.ins.value:
                user = s.ins.value[0]
        return None if user is None or user.split(":", 1)[0] in ("root", "0") else user

    def _with_directive(self, text: str) -> str:
        if not self.opts.syntax_directive or "syntax" in self.df.directives:
            return text
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        return f"{bom}# syntax=docker/dockerfile:1{self.nl}{text[len(bom):]}"

    def _runtime_file_copies(self) -> str:
        return "".join(f"COPY {f.lstrip('/')} {f if f.startswith('/') else './' + f}{self.nl}" for f in self.runtime_files)

