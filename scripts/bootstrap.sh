#!/usr/bin/env bash
# Make sure the checkout's own `uv` exists and the workspace virtualenv (.venv) is in sync with uv.lock.
#
#   scripts/bootstrap.sh [uv sync arguments...]
#
# uv lives in the checkout, at .local/tools/uv/bin/uv (the Makefile puts that folder first on PATH
# and calls it by that path); a uv elsewhere on PATH is never used, so every machine runs the same
# version (UV_VERSION below) and a fresh machine takes the same path as a developer's.
# It is installed from PyPI into a virtualenv of its own (python3 -m venv; on Debian without
# python3-venv, from the uv wheel unpacked by pip). Then:
#   uv sync --frozen --all-packages --group dev --compile-bytecode   (no --frozen without uv.lock)
# Extra arguments are passed on to `uv sync`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
UV_VERSION="0.13.10"
UV_HOME="$ROOT/.local/tools/uv"
UV="$UV_HOME/bin/uv"

log() { printf '%s\n' "[bootstrap] $*"; }
die() { printf '%s\n' "[bootstrap] ERROR: $*" >&2; exit 1; }

have_uv() { [ -x "$UV" ] && [ "$("$UV" --version 2>/dev/null | cut -d' ' -f2)" = "$UV_VERSION" ]; }

# The uv wheel carries the binary under uv-<version>.data/scripts/; pip fetches it, zipfile unpacks it.
install_from_wheel() {
  local tmp
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$tmp" "uv==$UV_VERSION" || { rm -rf "$tmp"; return 1; }
  python3 - "$tmp" "$UV_HOME/bin" <<'PY' || { rm -rf "$tmp"; return 1; }
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("uv-*.whl"))
target = pathlib.Path(sys.argv[2])
target.mkdir(parents=True, exist_ok=True)
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if ".data/scripts/" in name and name.rsplit("/", 1)[1] in ("uv", "uvx"):
            path = target / name.rsplit("/", 1)[1]
            path.write_bytes(archive.read(name))
            path.chmod(0o755)
PY
  rm -rf "$tmp"
}

install_uv() {
  command -v python3 >/dev/null 2>&1 || die "python3 is required to install uv"
  log "installing uv $UV_VERSION into $UV_HOME"
  rm -rf "$UV_HOME"
  mkdir -p "$(dirname "$UV_HOME")"
  if python3 -m venv "$UV_HOME" >/dev/null 2>&1 &&
      "$UV_HOME/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"; then
    return 0
  fi
  rm -rf "$UV_HOME"
  install_from_wheel ||
    die "could not install uv $UV_VERSION from PyPI (python3 -m venv and python3 -m pip both failed)"
}

have_uv || install_uv
have_uv || die "uv $UV_VERSION still not found at $UV after installing it"

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
log "ok: $("$UV" --version) at $UV, environment $ROOT/.venv"
