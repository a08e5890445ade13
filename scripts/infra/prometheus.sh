#!/usr/bin/env bash
# Prometheus from Debian's packages, scraping the local services (deploy/observability/).
#
#   scripts/infra/prometheus.sh install|start|stop|status|check
#
# install  installs Debian's `prometheus` package when `prometheus` or `promtool` is missing
#          (apt-get; through sudo when not root). The package enables a system service on 9090;
#          where systemd runs, it is stopped and disabled, since ours uses that port.
# start    starts our Prometheus on 127.0.0.1:$PROMETHEUS_PORT with deploy/observability/prometheus.yml
#          (installing first if needed); idempotent. State (git-ignored): .local/prometheus/{data,run,logs}.
# stop     stops the Prometheus this script started.
# status   exit 0 when ours is running and ready, 3 when not.
# check    `promtool check config` of both configurations (local and compose) and their rules,
#          then `promtool test rules deploy/observability/tests/*.yml`.
# Environment: PROMETHEUS_PORT (9090), PROMETHEUS_RETENTION (2d), PROMETHEUS_START_TIMEOUT (30 s).
set -euo pipefail
INFRA_NAME=prometheus
# shellcheck source=scripts/infra/_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
PROMETHEUS_RETENTION="${PROMETHEUS_RETENTION:-2d}"
PROMETHEUS_START_TIMEOUT="${PROMETHEUS_START_TIMEOUT:-30}"
HOST=127.0.0.1

OBS="$ROOT/deploy/observability"
CONFIG="$OBS/prometheus.yml"
COMPOSE_CONFIG="$OBS/prometheus.compose.yml"
PDIR="$LOCAL/prometheus"
DATA="$PDIR/data"
LOGS="$PDIR/logs"
PIDFILE="$PDIR/run/prometheus.pid"

installed() { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; }

as_root() {
  if is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run: $*; install Debian's prometheus package and re-run"
  fi
}

# The package enables its own service on 9090 where systemd runs; ours needs the port.
quiet_system_service() {
  command -v systemctl >/dev/null 2>&1 || return 0
  [ -d /run/systemd/system ] || return 0
  if systemctl is-enabled --quiet prometheus 2>/dev/null || systemctl is-active --quiet prometheus 2>/dev/null; then
    log "stopping and disabling the system's prometheus.service (it would hold port 9090)"
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || warn "could not disable prometheus.service"
  fi
}

cmd_install() {
  if installed; then
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "prometheus/promtool missing and apt-get is not available"
  local t0
  t0="$(now_ms)"
  log "installing Debian's prometheus package (once)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  installed || die "prometheus installed but prometheus/promtool still not found"
  quiet_system_service
  log "installed $(prometheus --version 2>&1 | head -n1) in $(( ($(now_ms) - t0) / 1000 ))s"
}

# Prints our Prometheus's pid when it is running (adopting one whose record was lost).
our_pid() { our_process "$PIDFILE" "--storage.tsdb.path=$DATA"; }

ready() { curl -fsS -o /dev/null --max-time 2 "http://$HOST:$PROMETHEUS_PORT/-/ready"; }

cmd_start() {
  local pid
  if pid="$(our_pid)"; then
    wait_ready "$pid"
    log "already running (pid $pid, http://$HOST:$PROMETHEUS_PORT)"
    return 0
  fi
  cmd_install
  if port_open "$HOST" "$PROMETHEUS_PORT"; then
    quiet_system_service
    sleep 0.5
    port_open "$HOST" "$PROMETHEUS_PORT" &&
      die "port $PROMETHEUS_PORT is taken by another process; stop it or set PROMETHEUS_PORT"
  fi
  promtool check config "$CONFIG" >/dev/null || die "$CONFIG is invalid (run: $0 check)"
  mkdir -p "$DATA" "$LOGS" "$(dirname "$PIDFILE")"
  log "starting on http://$HOST:$PROMETHEUS_PORT (config $CONFIG)"
  nohup prometheus \
    --config.file="$CONFIG" \
    --storage.tsdb.path="$DATA" \
    --storage.tsdb.retention.time="$PROMETHEUS_RETENTION" \
    --web.listen-address="$HOST:$PROMETHEUS_PORT" \
    --web.enable-lifecycle \
    >>"$LOGS/prometheus.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PIDFILE"
  wait_ready "$pid"
  log "ready (pid $pid)"
}

# wait_ready PID: until Prometheus answers /-/ready, while PID lives. A start that fails stops
# what it started, so that nothing is left holding the port.
wait_ready() {
  local pid="$1" i
  for ((i = 0; i < PROMETHEUS_START_TIMEOUT * 10; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$LOGS/prometheus.log" >&2
      rm -f "$PIDFILE"
      die "prometheus exited during startup (log: $LOGS/prometheus.log)"
    fi
    ready 2>/dev/null && return 0
    sleep 0.1
  done
  stop_pid "$pid" prometheus 20
  rm -f "$PIDFILE"
  die "not ready within ${PROMETHEUS_START_TIMEOUT}s, stopped (log: $LOGS/prometheus.log)"
}

cmd_stop() {
  local pid
  if pid="$(our_pid)"; then
    log "stopping (pid $pid)"
    stop_pid "$pid" prometheus 20
    log "stopped"
  else
    log "already stopped"
  fi
  rm -f "$PIDFILE"
}

cmd_status() {
  local pid
  if pid="$(our_pid)" && ready 2>/dev/null; then
    echo "prometheus: running (pid $pid, http://$HOST:$PROMETHEUS_PORT)"
  elif [ -n "${pid:-}" ]; then
    echo "prometheus: starting (pid $pid, not ready yet)"
    return 3
  else
    echo "prometheus: stopped"
    return 3
  fi
}

cmd_check() {
  cmd_install
  promtool check config "$CONFIG"
  promtool check config "$COMPOSE_CONFIG"
  promtool test rules "$OBS"/tests/*.yml
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  check) cmd_check ;;
  *) echo "usage: $0 install|start|stop|status|check" >&2; exit 2 ;;
esac
