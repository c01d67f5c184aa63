"""The ``dockvenv-builder`` stage and the runtime stage's installs from it.

The builder runs on the runtime stage's own base, installs a pinned uv (and Poetry for a
Poetry lock), copies the context and builds the wheel, exporting the lock beside it.
The runtime stage installs the exported set, then the wheel, each from a
``RUN --mount=from=dockvenv-builder`` (as root when the stage had switched user), and
copies the files its ``CMD``/``ENTRYPOINT`` names that the wheel does not carry.
"""

from __future__ import annotations

from dockvenv.analysis import env_pairs, expand
from dockvenv.rewrite.decisions import State
from dockvenv.rewrite.words import quote, root_base

BUILDER = "dockvenv-builder"


class BuilderStage(State):
    def _builder_text(self) -> str:
        nl, o, spec = self.nl, self.opts, self.spec
        final = self.df.stages[-1]
        base = o.builder_base or root_base(self.df, final)
        brk = " --break-system-packages" if self.distro else ""
        seen_base = expand(base, {k: v for a in self.df.global_args for k, v in env_pairs(a)})
        if not o.builder_base and "python" not in seen_base.lower():
            base, brk = "python:3.12-slim", ""  # the runtime base brings no Python; a pure wheel builds anywhere
        lines = [f"FROM {base} AS {BUILDER}"]
        if o.uv_source == "image":
            lines.append(f"COPY --from=ghcr.io/astral-sh/uv:{o.uv_version} /uv /uvx /bin/")
        else:
            lines.append(f"RUN {self.python} -m pip install --no-cache-dir{brk} uv=={o.uv_version}")
        if spec.lock == "poetry":
            lines.append(f"RUN {self.python} -m pip install --no-cache-dir{brk} "
                         f"poetry=={o.poetry_version} poetry-plugin-export")
        lines.append("WORKDIR /src")
        lines.append("COPY . .")
        env = "SETUPTOOLS_SCM_PRETEND_VERSION=${VERSION} " if spec.vcs_version else ""
        if spec.vcs_version:
            lines.append("ARG VERSION=0.0.0")
        steps = [f"{env}uv build --wheel --out-dir /dist{'' if d in ('.', '') else ' ' + d}" for d in spec.subdirs]
        last = spec.subdirs[-1]
        cd = f"cd {last} && " if last not in (".", "") else ""
        if spec.lock == "uv":
            extras = "".join(f" --extra {e}" for e in self.extras if e)
            prune = "".join(f" --prune {p}" for p in spec.prune)
            steps.append(f"{cd}uv export --frozen --no-dev --no-emit-project --no-hashes"
                         f"{extras}{prune} --format requirements-txt -o /dist/requirements.txt")
        elif spec.lock == "poetry":
            extras = "".join(f" --extras {e}" for e in self.extras if e)
            if spec.prune:
                # poetry refuses to export a lock that pyproject.toml no longer matches; `poetry lock`
                # keeps every locked version (Poetry 2) and drops the moved dev tools
                steps.append(f"{cd}(poetry check --lock || poetry lock)")
            steps.append(f"{cd}poetry export --only main --without-hashes{extras} -f requirements.txt -o /dist/requirements.txt")
        elif spec.lock and spec.lock.startswith("requirements:"):
            steps.append(f"cp {spec.lock.split(':', 1)[1]} /dist/requirements.txt")
        # the build backend is downloaded once, not on every code change (builder only)
        lines.append("RUN --mount=type=cache,target=/root/.cache/uv \\" + nl + "    "
                     + f" \\{nl}    && ".join(steps))
        return nl.join(lines) + nl

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
            out.append(f"RUN --mount=from={BUILDER},source=/dist,target=/wheels \\{nl}    {pip} --no-deps {wheel}{nl}")
        else:
            out.append(f"RUN --mount=from={BUILDER},source=/dist,target=/wheels \\{nl}    {pip} {wheel}{nl}")
        if self.extra_packages:
            out += [f"{line}{nl}" for line in self.extra_args.values()]
            out.append(f"RUN {pip} {' '.join(quote(p) for p in self.extra_packages)}{nl}")
        user = self._user_at_install()
        if user:  # the image's Python belongs to root; the venv was the user's
            out = [f"USER root{nl}", *out, f"USER {user}{nl}"]
        return "".join(out)

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

