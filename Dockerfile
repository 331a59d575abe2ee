# syntax=docker/dockerfile:1

# ---- build: resolve and install the project and its runtime dependencies into a venv ----
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml ./
COPY service ./service
# Runtime dependencies only: no "[dev]" extras in the image.
RUN pip install .

# ---- runtime ----
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    WEB_CONCURRENCY=2

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin app

COPY --from=build /opt/venv /opt/venv

# The whole repository (minus what .dockerignore drops): the package next to
# migrations/, alembic.ini and openapi/, exactly as in a checkout, so that
# `flask --app service.app db upgrade` finds the migrations from /app.
# Files stay root-owned: the service user can read but not modify its code.
WORKDIR /app
COPY . /app

# Numeric, so that an orchestrator (Kubernetes runAsNonRoot) can tell it is not root.
USER 10001:10001

EXPOSE 8000

# The shell expands WEB_CONCURRENCY (default 2) and `exec` hands PID 1 to
# gunicorn so it receives SIGTERM from `docker stop` and shuts down gracefully.
CMD ["sh", "-c", "exec gunicorn --config=python:service.gunicorn_conf --workers ${WEB_CONCURRENCY:-2} --bind 0.0.0.0:8000 'service.app:create_app()'"]
