# syntax=docker/dockerfile:1
# dockvenv's own image, in exactly the shape `dockvenv migrate` gives a project (docs/how-it-decides.md).
#   docker build -t dockvenv .
#   docker run --rm -v "$PWD:/work" dockvenv check .
FROM python:3.12-slim AS dockvenv-builder
RUN python3 -m pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY . .
RUN uv build --wheel --out-dir /dist

FROM python:3.12-slim
RUN --mount=from=dockvenv-builder,source=/dist,target=/wheels \
    python3 -m pip install --no-cache-dir /wheels/*.whl
WORKDIR /work
ENTRYPOINT ["dockvenv"]
CMD ["--help"]
