# syntax=docker/dockerfile:1
FROM python:3.12-slim AS dockvenv-builder
RUN python3 -m pip install --no-cache-dir uv==0.13.9
WORKDIR /src
RUN --mount=type=bind,target=/src,rw \
    --mount=type=cache,target=/root/.cache/uv \
    uv build --wheel --out-dir /dist

# dockvenv's own image, written by `dockvenv migrate` from a venv Dockerfile (the one in
# tests/test_ecosystem_dogfood.py); docs/how-it-decides.md explains every line.
#   docker build -t dockvenv .
#   docker run --rm -v "$PWD:/work" dockvenv check .
FROM python:3.12-slim
RUN --mount=from=dockvenv-builder,source=/dist,target=/wheels \
    python3 -m pip install --no-cache-dir /wheels/*.whl
WORKDIR /work
ENTRYPOINT ["dockvenv"]
CMD ["--help"]
