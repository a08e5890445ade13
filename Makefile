# Civic Events: the commands. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# The checkout's own uv, installed by scripts/bootstrap.sh; a uv elsewhere on PATH is never used.
UV_BIN := $(CURDIR)/.local/tools/uv/bin
UV := $(UV_BIN)/uv
export PATH := $(UV_BIN):$(PATH)
PYTEST_ARGS ?=

.PHONY: api-client demo ops help bootstrap infra-up infra-down infra-status run up down status test test-unit lint migrate bench chaos schemas

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

bootstrap: ## install uv and the virtual environment (idempotent)
	@scripts/bootstrap.sh

infra-up: bootstrap ## start Kafka and PostgreSQL locally (idempotent), create topics and databases
	@scripts/infra/up.sh

infra-down: ## stop Kafka and PostgreSQL
	@scripts/infra/down.sh

infra-status: ## are Kafka and PostgreSQL running?
	@scripts/infra/status.sh

# On a terminal the platform runs as the foreground job (scripts/foreground.py), so that Ctrl-C
# reaches it and not make: it stops cleanly and make exits 0.
run: infra-up ## start the whole platform in the foreground, with the demo district; Ctrl-C stops it
	@scripts/infra/prometheus.sh start
	@trap 'scripts/infra/prometheus.sh stop; scripts/infra/down.sh' EXIT; \
	.venv/bin/python scripts/foreground.py scripts/services.sh run

up: infra-up ## start the whole platform in the background
	@scripts/services.sh start
	@scripts/infra/prometheus.sh start

down: ## stop the platform and its infrastructure
	@scripts/services.sh stop
	@scripts/infra/prometheus.sh stop
	@scripts/infra/down.sh

demo: bootstrap ## play every flow live against the running platform (after make up, or beside make run)
	$(UV) run --frozen python -m demo $(FLOWS)

ops: bootstrap ## operating commands: make ops ARGS="lag" (also: dlq list|redrive, replay, outbox, api-client)
	$(UV) run --frozen python -m civic_runtime.ops $(ARGS)

status: ## what is running
	@scripts/services.sh status
	@scripts/infra/status.sh

test: infra-up ## every test, against real Kafka and PostgreSQL (and promtool for the alert rules)
	@scripts/infra/prometheus.sh install
	$(UV) run --frozen pytest $(PYTEST_ARGS)

test-unit: bootstrap ## the fast tests only (no I/O)
	$(UV) run --frozen pytest -m unit $(PYTEST_ARGS)

lint: bootstrap ## ruff and mypy
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy libs/events/src libs/runtime/src services/intake/src services/cases/src services/notify/src services/payments/src tools/simulators/src demo

migrate: infra-up ## apply every service's migrations
	@for s in intake cases notify payments; do $(UV) run --frozen python -m $$s migrate || exit 1; done

schemas: bootstrap ## re-export the events' JSON Schemas after a (compatible) change
	$(UV) run --frozen python -m civic_events.schemas export

api-client: infra-up ## create a back-office API client: make api-client NAME=waste-contractor SCOPES=waste [ROTATE=1: a new key for an existing one]
	@test -n "$(NAME)" -a -n "$(SCOPES)" || { echo "usage: make api-client NAME=<name> SCOPES=<scope,scope> [ROTATE=1]" >&2; exit 2; }
	@$(UV) run --frozen python -m intake api-client create "$(NAME)" --scopes "$(SCOPES)" $(if $(ROTATE),--rotate)

bench: infra-up ## benchmarks, with progress (figures go to bench/results/); some: make bench BENCHMARKS="cases_opened"
	$(UV) run --frozen python -m bench $(BENCHMARKS)

chaos: infra-up ## failure tests: broker and database outages
	$(UV) run --frozen pytest tests/chaos $(PYTEST_ARGS)
