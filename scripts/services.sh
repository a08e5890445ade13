#!/usr/bin/env bash
# Start or stop the third-party simulators and the four services on this machine
# (after scripts/infra/up.sh).
#   services.sh run     in the foreground, logs interleaved; Ctrl-C stops them all gracefully
#   services.sh start   in the background (pid and log files under .local/services)
#   services.sh stop | status
set -euo pipefail
INFRA_NAME=services
# shellcheck source=scripts/infra/_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/infra/_lib.sh"
STATE="$LOCAL/services"
SERVICES=(intake cases notify payments)
# Stand-ins for the parties we cannot run here, on the ports the services expect (DESIGN.md).
SIMULATORS=(waste_contractor planning_backoffice govuk_pay govuk_notify smtp_sink)
DISTRICT="$ROOT/.local/demo/district.json"
# A development officer for the officer APIs of cases, notify and payments (the demo and the docs
# use this token; production refuses it, civic_runtime.officers.DEVELOPMENT_OFFICER_TOKEN): a team
# lead of every team who also edits templates.
DEV_OFFICER_TOKEN="dev-officer-token"
PY="$ROOT/.venv/bin/python"
mkdir -p "$STATE"

port_of() {
  case "$1" in
    intake) echo 8001;; cases) echo 8002;; notify) echo 8003;; payments) echo 8004;;
    waste_contractor) echo 8101;; planning_backoffice) echo 8102;; govuk_pay) echo 8103;; govuk_notify) echo 8104;; smtp_sink) echo 1025;;
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

# arguments_of NAME: what this checkout's interpreter runs for NAME (no spaces inside an argument).
arguments_of() {
  case "$1" in
    intake | cases | notify | payments) printf '%s' "-m $1 serve" ;;
    *) printf '%s' "-m civic_simulators.$1" ;;
  esac
}

# running NAME: the recorded process is alive (right after its start it may not have exec'd yet).
running() { pid_alive "$STATE/$1.pid" >/dev/null; }

# adopt NAME: true when NAME already runs, started by an earlier `make run` or `make up` (even
# one killed before it could stop it), whose pid is then recorded again.
adopt() { our_process "$STATE/$1.pid" "$PY $(arguments_of "$1") " >/dev/null; }

# launch NAME: start NAME in the background, unless it already runs; refuse a port held by another.
launch() {
  local name=$1
  if adopt "$name"; then echo "$name: already running (pid $(cat "$STATE/$name.pid"))"; return 0; fi
  if port_open 127.0.0.1 "$(port_of "$name")"; then
    die "$name: port $(port_of "$name") is taken by another process; stop it and run this again"
  fi
  # shellcheck disable=SC2046 # the arguments are split on purpose
  nohup "$PY" $(arguments_of "$name") >>"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}

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

# The demo district (households, rounds, residents, planning applications), made once.
district() {
  # Made again when the demo council's boundary is newer: an older district may lie outside it.
  [ -s "$DISTRICT" ] && [ "$DISTRICT" -nt "$ROOT/deploy/council/boundary.geojson" ] && return 0
  echo "demo district: generating $DISTRICT"
  "$PY" -m civic_simulators.district --out "$DISTRICT"
}

# Intake API clients for the two simulated back offices, with new keys.
back_office_clients() {
  local name scope prefix json
  : >"$STATE/credentials.env"
  chmod 600 "$STATE/credentials.env"
  for pair in "waste-contractor:waste:WASTE_SIM" "planning-back-office:planning:PLANNING_SIM"; do
    IFS=: read -r name scope prefix <<<"$pair"
    json=$("$PY" -m intake api-client create "$name" --scopes "$scope" --rotate)
    "$PY" -c 'import json, sys; i = json.loads(sys.argv[2]); p = sys.argv[1]; print("export " + p + "_INTAKE_API_KEY=" + i["api_key"]); print("export " + p + "_INTAKE_SIGNING_SECRET=" + i["signing_secret"])' \
      "$prefix" "$json" >>"$STATE/credentials.env"
  done
}

start() {
  district
  # The simulated back offices hold the keys they were started with: new keys only for new ones.
  if [ ! -s "$STATE/credentials.env" ] || ! adopt waste_contractor || ! adopt planning_backoffice; then
    for name in waste_contractor planning_backoffice; do
      if adopt "$name"; then stop_pid "$(cat "$STATE/$name.pid")" "$name" 20; fi
    done
    back_office_clients
  fi
  # shellcheck disable=SC1091
  source "$STATE/credentials.env"
  export WASTE_SIM_DISTRICT_FILE="$DISTRICT" PLANNING_SIM_DISTRICT_FILE="$DISTRICT"
  export PLANNING_SIM_AUTO_EVERY_S="${PLANNING_SIM_AUTO_EVERY_S:-60}"
  CASES_OFFICERS=$("$PY" -c 'import hashlib, json, sys; print(json.dumps([{"officer_id": "dev-officer", "token_sha256": hashlib.sha256(sys.argv[1].encode()).hexdigest(), "role": "team_lead", "roles": ["template-editor"], "teams": ["waste", "planning", "environment", "information"]}]))' "$DEV_OFFICER_TOKEN")
  NOTIFY_OFFICERS=$CASES_OFFICERS PAYMENTS_OFFICERS=$CASES_OFFICERS
  export CASES_OFFICERS NOTIFY_OFFICERS PAYMENTS_OFFICERS
  for name in "${SIMULATORS[@]}"; do launch "$name"; done
  for name in "${SIMULATORS[@]}"; do wait_listening "$name"; echo "$name (simulator): on 127.0.0.1:$(port_of "$name")"; done
  for name in "${SERVICES[@]}"; do launch "$name"; done
  for name in "${SERVICES[@]}"; do wait_healthy "$name"; echo "$name: ready on http://127.0.0.1:$(port_of "$name")"; done
  echo "demo district: loading its residents into cases (idempotent)"
  # The demo package is the checkout's root folder, not an installed one: run it from there.
  (cd "$ROOT" && "$PY" -m demo.residents "$DISTRICT")
  notify_caught_up
}

# On a first start notify has thousands of residents to read; say so, and wait (at most 10 min).
notify_caught_up() {
  local lag
  for _ in $(seq 1 300); do
    lag=$("$PY" -m civic_runtime.ops --json lag --group notify 2>/dev/null |
      "$PY" -c 'import json, sys; g = json.load(sys.stdin)["groups"][0]; print(sum(t["lag"] for t in g["topics"] if t["topic"].endswith("residents.v1")))' 2>/dev/null || echo "?")
    [ "$lag" = "0" ] && { echo "demo district: notify has every resident"; return 0; }
    echo "demo district: notify is reading residents ($lag to go)"
    sleep 2
  done
  echo "demo district: notify is still reading residents; messages to them will follow" >&2
}

stop() {
  for name in "${SERVICES[@]}" "${SIMULATORS[@]}"; do
    if adopt "$name"; then
      stop_pid "$(cat "$STATE/$name.pid")" "$name" 20
      echo "$name: stopped"
    fi
    rm -f "$STATE/$name.pid"
  done
}

status() {
  for name in "${SERVICES[@]}" "${SIMULATORS[@]}"; do
    if adopt "$name"; then echo "$name: running (pid $(cat "$STATE/$name.pid"))"; else echo "$name: stopped"; fi
  done
}

foreground() {
  trap 'trap "" INT TERM; echo; echo "stopping…"; stop; exit 0' INT TERM
  start
  local logs=("${SERVICES[@]/#/$STATE/}")
  logs=("${logs[@]/%/.log}")
  cat <<TXT

Civic Events is running, with the demo district loaded. Ctrl-C stops it.
  intake    http://127.0.0.1:8001/docs   (forms, Open311 at /open311/v2, AsyncAPI at /asyncapi)
  cases     http://127.0.0.1:8002/docs   (officer API: Authorization: Bearer $DEV_OFFICER_TOKEN)
  notify    http://127.0.0.1:8003/docs   (templates, broadcasts, residents: the same bearer token)
  payments  http://127.0.0.1:8004/docs   (officer routes: the same bearer token)
  metrics   http://127.0.0.1:800N/metrics, readiness /readyz; Prometheus http://127.0.0.1:9090
  inbox     GOV.UK Notify simulator (emails, texts) via the demo; SMTP sink http://127.0.0.1:8025
  simulators: waste contractor :8101, planning back office :8102, GOV.UK Pay :8103 (payment
              pages), GOV.UK Notify :8104, SMTP :1025
  logs      $STATE/<name>.log

Try:
  make demo                                   every flow, live: events as they pass, messages as received
  make ops ARGS="lag"                         consumer lag per group   (also: outbox, dlq list TOPIC)
  curl -s http://127.0.0.1:8001/v1/forms | head -c 400
  curl -s -H 'Authorization: Bearer $DEV_OFFICER_TOKEN' 'http://127.0.0.1:8002/v1/cases?page_size=5'
TXT
  tail -q -n 0 -F "${logs[@]}" --pid=$$ 2>/dev/null | sed -u 's/^/  /' &
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
