#!/usr/bin/env bash
# Start or stop the third-party simulators and the four services on this machine
# (after scripts/infra/up.sh).
#   services.sh run     in the foreground, logs interleaved; Ctrl-C stops them all gracefully
#   services.sh start   in the background (pid and log files under .local/services)
#   services.sh stop | status
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.local/services"
SERVICES=(intake cases notify payments)
# Stand-ins for the parties we cannot run here, on the ports the services expect (DESIGN.md).
SIMULATORS=(waste_contractor govuk_pay govuk_notify smtp_sink)
PY="$ROOT/.venv/bin/python"
mkdir -p "$STATE"

port_of() {
  case "$1" in
    intake) echo 8001;; cases) echo 8002;; notify) echo 8003;; payments) echo 8004;;
    waste_contractor) echo 8101;; govuk_pay) echo 8103;; govuk_notify) echo 8104;; smtp_sink) echo 1025;;
  esac
}

wait_listening() {
  local name=$1 port; port=$(port_of "$1")
  for _ in $(seq 1 60); do
    "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$port" 2>/dev/null && return 0
    running "$name" || { echo "$name exited; see $STATE/$name.log" >&2; tail -20 "$STATE/$name.log" >&2; return 1; }
    sleep 0.5
  done
  echo "$name not listening after 30 s; see $STATE/$name.log" >&2
  return 1
}

running() { [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

wait_healthy() {
  local name=$1 port; port=$(port_of "$1")
  for _ in $(seq 1 120); do
    if "$PY" - "$port" <<'PY' 2>/dev/null; then return 0; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=1)
PY
    running "$name" || { echo "$name exited; see $STATE/$name.log" >&2; tail -20 "$STATE/$name.log" >&2; return 1; }
    sleep 0.5
  done
  echo "$name not ready after 60 s; see $STATE/$name.log" >&2
  return 1
}

start() {
  for name in "${SIMULATORS[@]}"; do
    if running "$name"; then echo "$name: already running"; continue; fi
    nohup "$PY" -m "civic_simulators.$name" >>"$STATE/$name.log" 2>&1 &
    echo $! >"$STATE/$name.pid"
  done
  for name in "${SIMULATORS[@]}"; do wait_listening "$name"; echo "$name (simulator): on 127.0.0.1:$(port_of "$name")"; done
  for name in "${SERVICES[@]}"; do
    if running "$name"; then echo "$name: already running"; continue; fi
    nohup "$PY" -m "$name" serve >>"$STATE/$name.log" 2>&1 &
    echo $! >"$STATE/$name.pid"
  done
  for name in "${SERVICES[@]}"; do wait_healthy "$name"; echo "$name: ready on http://127.0.0.1:$(port_of "$name")"; done
}

stop() {
  for name in "${SERVICES[@]}" "${SIMULATORS[@]}"; do
    if running "$name"; then
      kill -TERM "$(cat "$STATE/$name.pid")"
      for _ in $(seq 1 40); do running "$name" || break; sleep 0.5; done
      running "$name" && kill -KILL "$(cat "$STATE/$name.pid")"
      echo "$name: stopped"
    fi
    rm -f "$STATE/$name.pid"
  done
}

status() {
  for name in "${SERVICES[@]}" "${SIMULATORS[@]}"; do
    if running "$name"; then echo "$name: running (pid $(cat "$STATE/$name.pid"))"; else echo "$name: stopped"; fi
  done
}

foreground() {
  trap 'trap "" INT TERM; echo; echo "stopping…"; stop; exit 0' INT TERM
  start
  cat <<TXT

Civic Events is running. Ctrl-C stops it.
  intake    http://127.0.0.1:8001/docs   (AsyncAPI: /asyncapi)
  cases     http://127.0.0.1:8002/docs
  notify    http://127.0.0.1:8003/docs
  payments  http://127.0.0.1:8004/docs
  metrics   http://127.0.0.1:800N/metrics   readiness  /readyz
  logs      $STATE/<service>.log
  Kafka     127.0.0.1:9092     PostgreSQL 127.0.0.1:5432 (user civic)
  simulators: waste contractor :8101, GOV.UK Pay :8103 (hosted payment pages),
              GOV.UK Notify :8104, SMTP sink :1025 (inbox http://127.0.0.1:8025)
TXT
  tail -q -n 0 -F "${SERVICES[@]/#/$STATE/}" --pid=$$ 2>/dev/null | sed -u 's/^/  /' &
  while true; do
    for name in "${SERVICES[@]}" "${SIMULATORS[@]}"; do running "$name" || { echo "$name exited; stopping"; stop; exit 1; }; done
    sleep 2
  done
}

case "${1:-status}" in
  run) foreground ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 {run|start|stop|status}" >&2; exit 2 ;;
esac
