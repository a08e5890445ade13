#!/usr/bin/env bash
# Make sure `uv` exists and the workspace virtualenv (.venv) is in sync with uv.lock.
#
#   scripts/bootstrap.sh
#
# Uses `uv` from PATH; when there is none, installs it (from PyPI) into .local/tools/uv and
# prints that location. To use it in your shell:  export PATH="$PWD/.local/tools/uv/bin:$PATH"
# Then runs: uv sync --frozen --all-packages --group dev   (without --frozen when uv.lock is missing).
# Extra arguments are passed on to `uv sync`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TOOLS="$ROOT/.local/tools"

log() { printf '%s\n' "[bootstrap] $*"; }
die() { printf '%s\n' "[bootstrap] ERROR: $*" >&2; exit 1; }

find_uv() {
  if command -v uv >/dev/null 2>&1; then
    command -v uv
  elif [ -x "$TOOLS/uv/bin/uv" ]; then
    printf '%s\n' "$TOOLS/uv/bin/uv"
  else
    return 1
  fi
}

install_uv() {
  command -v python3 >/dev/null 2>&1 || die "python3 is required to install uv"
  log "uv not found; installing it into $TOOLS/uv"
  mkdir -p "$TOOLS"
  rm -rf "$TOOLS/uv"
  if ! python3 -m venv "$TOOLS/uv" >/dev/null 2>&1; then
    # Debian ships venv/ensurepip separately.
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      log "installing python3-venv with apt-get"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      rm -rf "$TOOLS/uv"
      python3 -m venv "$TOOLS/uv"
    else
      rm -rf "$TOOLS/uv"
      log "python3 -m venv unavailable; trying pip install --user uv"
      python3 -m pip install --user --quiet uv ||
        python3 -m pip install --user --quiet --break-system-packages uv ||
        die "could not install uv; see https://docs.astral.sh/uv/getting-started/installation/"
      mkdir -p "$TOOLS/uv/bin"
      ln -sf "$(python3 -m site --user-base)/bin/uv" "$TOOLS/uv/bin/uv"
      return 0
    fi
  fi
  "$TOOLS/uv/bin/python" -m pip install --quiet --disable-pip-version-check uv
}

UV="$(find_uv)" || { install_uv; UV="$(find_uv)"; } || die "uv still not found after installing it"
case ":$PATH:" in
  *":$(dirname "$UV"):"*) ;;
  *) log "uv is at $UV; to put it on PATH: export PATH=\"$(dirname "$UV"):\$PATH\"" ;;
esac

cd "$ROOT"
# --compile-bytecode: the installed packages' .pyc files are written now. Python never writes
# them itself where PYTHONDONTWRITEBYTECODE is set (as on the CI machines), and then compiled
# every module again in every process: 6 s of CPU to import a service, 2 s with them.
args=(sync --all-packages --group dev --compile-bytecode)
if [ -f uv.lock ]; then
  args+=(--frozen)
else
  log "no uv.lock; uv sync will create one"
fi
"$UV" "${args[@]}" "$@"
# The same for the workspace's own sources (installed editable, so not compiled by uv); the
# __pycache__ directories are ignored by git. Up-to-date files are skipped: a second run is quick.
"$ROOT/.venv/bin/python" -m compileall -q -j 0 libs services tools bench demo >/dev/null ||
  log "compileall reported errors (the imports will compile what it could not)"
log "ok: $("$UV" --version), environment $ROOT/.venv"
