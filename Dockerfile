# syntax=docker/dockerfile:1
# One image for the four services; the command names the service:
#   docker run civic-events cases            -> python -m cases          (serve, the default)
#   docker run civic-events cases migrate    -> python -m cases migrate
#
# The workspace members are installed editable, so the image keeps the source tree at /app:
# each service finds its Alembic migrations beside its package (services/<name>/migrations).

# Builder and runtime must share one interpreter path: the venv links to /usr/local/bin/python3.11.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
COPY --from=ghcr.io/astral-sh/uv:0.13.10 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11
WORKDIR /app

# Third-party dependencies first, from the lock alone, so that a code change reuses this layer.
COPY pyproject.toml uv.lock ./
COPY libs/events/pyproject.toml libs/events/
COPY libs/runtime/pyproject.toml libs/runtime/
COPY services/intake/pyproject.toml services/intake/
COPY services/cases/pyproject.toml services/cases/
COPY services/notify/pyproject.toml services/notify/
COPY services/payments/pyproject.toml services/payments/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages --no-install-workspace

COPY libs/ libs/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages \
 && python -m compileall -q libs services

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH="/app/.venv/bin:${PATH}"
# The image runs as production, where each service refuses development secrets, empty ones and
# the development officer token; docker-compose.yml and the local k8s overlay say development.
ENV INTAKE_ENVIRONMENT=production \
    CASES_ENVIRONMENT=production \
    NOTIFY_ENVIRONMENT=production \
    PAYMENTS_ENVIRONMENT=production
RUN groupadd --system --gid 10001 civic \
 && useradd --system --uid 10001 --gid civic --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin civic
WORKDIR /app
# Owned by root and read-only to the service user: the process cannot rewrite its own code.
COPY --from=builder /app/.venv /app/.venv
COPY --from=builder /app/libs /app/libs
COPY --from=builder /app/services /app/services
# The demo council, the services' default profile; a deployment mounts its own and names it
# with <SERVICE>_COUNCIL_FILE.
COPY deploy/council /app/deploy/council
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8001 8002 8003 8004
ENTRYPOINT ["python", "-m"]
CMD ["intake"]
