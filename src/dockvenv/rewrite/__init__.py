"""Pure text-to-text transforms of project files.

- ``dockerfile``: ``migrate``, one Dockerfile into the uv-wheel multi-stage build; it
  assembles the edits of
  - ``runtime``: each instruction of the runtime stage (RUN, ENV, COPY/ADD, CMD),
  - ``decisions``: what is venv or source-install noise, what stays, which stages go,
  - ``builder``: the ``dockvenv-builder`` stage and the wheel install from it,
  - ``words``: word edits of kept commands, and the small text helpers;
- ``dockerignore``: ``.env*``, venvs and build output out of the build context;
- ``pyproject``, ``setuppy``, ``setupcfg``, ``requirements``: dev tools out of the
  runtime dependencies, formatting kept;
- ``dotenv``: import-time ``load_dotenv()`` made opt-in.
"""
