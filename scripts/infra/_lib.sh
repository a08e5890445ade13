# shellcheck shell=bash
# Shared helpers for scripts/infra/*.sh. Source it; do not run it.
# Sets ROOT (the repository root, from this file's location) and LOCAL (git-ignored state).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
LOCAL="$ROOT/.local"
export ROOT LOCAL

log()  { printf '%s\n' "[$INFRA_NAME] $*"; }
warn() { printf '%s\n' "[$INFRA_NAME] WARNING: $*" >&2; }
die()  { printf '%s\n' "[$INFRA_NAME] ERROR: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# now_ms: milliseconds since the epoch (for timings).
now_ms() { date +%s%3N; }

_APT_UPDATED=0
# apt_install PKG...: install Debian packages (root only), running apt-get update once per run.
apt_install() {
  is_root || die "need packages ($*) but not running as root; install them and re-run"
  command -v apt-get >/dev/null || die "need packages ($*) and apt-get is not available"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$_APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    apt-get update -qq
    _APT_UPDATED=1
  fi
  log "apt-get install $*"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# need_cmd CMD PKG: make sure CMD exists, installing Debian package PKG if it does not.
need_cmd() {
  command -v "$1" >/dev/null 2>&1 || apt_install "$2"
  command -v "$1" >/dev/null 2>&1 || die "$1 still missing after installing $2"
}

# pid_alive PIDFILE: true when the file names a live process; prints the pid.
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid="$(cat "$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  printf '%s' "$pid"
}

# stop_pid PID NAME [TIMEOUT]: SIGTERM, wait up to TIMEOUT (30) seconds, then SIGKILL.
stop_pid() {
  local pid="$1" name="$2" timeout="${3:-30}" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  warn "$name (pid $pid) did not stop within ${timeout}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

# cmdline_of PID: the process's command line, its arguments joined by spaces (empty when gone).
cmdline_of() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true; }

# find_pid PATTERN: the first process whose command line contains PATTERN, a string holding a path
# of this checkout, so that it names a process of ours and nobody else's.
find_pid() {
  local proc pid
  for proc in /proc/[0-9]*; do
    pid="${proc#/proc/}"
    [ "$pid" = "$$" ] && continue
    case "$(cmdline_of "$pid")" in *"$1"*) printf '%s' "$pid"; return 0 ;; esac
  done
  return 1
}

# our_process PIDFILE PATTERN: prints the pid of our process, recorded in PIDFILE, or found by its
# command line when the record is missing or stale (then recorded again): whatever an earlier run
# started, even one that was killed before it could tidy up, is adopted rather than left in the way.
# Only for processes started by an earlier command: a child started a moment ago may not have
# exec'd yet, so it is watched with `kill -0` instead.
our_process() {
  local pidfile="$1" pattern="$2" pid
  if pid="$(pid_alive "$pidfile")"; then
    case "$(cmdline_of "$pid")" in *"$pattern"*) printf '%s' "$pid"; return 0 ;; esac
  fi
  pid="$(find_pid "$pattern")" || { rm -f "$pidfile"; return 1; }
  mkdir -p "$(dirname "$pidfile")"
  printf '%s\n' "$pid" >"$pidfile"
  printf '%s' "$pid"
}
