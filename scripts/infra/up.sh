#!/usr/bin/env bash
# Start local infrastructure (PostgreSQL, Kafka) and create the Kafka topics. Idempotent.
#   scripts/infra/up.sh
# Environment: see postgres.sh and kafka.sh (PG_PORT, KAFKA_PORT, KAFKA_CONTROLLER_PORT, ...);
# KAFKA_BOOTSTRAP_SERVERS (127.0.0.1:$KAFKA_PORT) and KAFKA_TOPIC_PREFIX are passed to ensure-topics.
set -euo pipefail
INFRA_NAME=infra
# shellcheck source=scripts/infra/_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"
HERE="$ROOT/scripts/infra"

t0="$(now_ms)"
"$HERE/postgres.sh" up
"$HERE/kafka.sh" up

export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:${KAFKA_PORT:-9092}}"
PY="$ROOT/.venv/bin/python"
topics="skipped"
if [ -x "$PY" ] && "$PY" -c 'import civic_runtime.admin' >/dev/null 2>&1; then
  "$PY" -m civic_runtime.admin ensure-topics || die "ensure-topics failed"
  topics="ensured"
else
  warn "cannot import civic_runtime.admin with $PY (run scripts/bootstrap.sh?); Kafka topics NOT created"
fi

ms=$(( $(now_ms) - t0 ))
log "up in $(awk -v ms="$ms" 'BEGIN { printf "%.1f", ms / 1000 }')s: postgres 127.0.0.1:${PG_PORT:-5432}, kafka $KAFKA_BOOTSTRAP_SERVERS, topics $topics"
