#!/usr/bin/env bash
# Sets up everything loadgate needs on a fresh Debian machine, idempotently:
#   Debian packages (InfluxDB 1.x, Chromium, wrk, GNU time), npm packages, and the pinned k6.
# Fast when everything is already there. Usage: bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------
need_apt=()
command -v influxd >/dev/null 2>&1 || need_apt+=(influxdb)
command -v influx >/dev/null 2>&1 || need_apt+=(influxdb-client)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
# GNU time: the benches read k6's peak RSS from it.
[ -x /usr/bin/time ] || need_apt+=(time)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${need_apt[*]} — run: sudo apt-get update && sudo apt-get install -y ${need_apt[*]}"
    exit 4
  fi
  log "installing Debian packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The Debian package may start a system influxd on :8086; loadgate's tests start their own.
fi

# --- npm packages ----------------------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- k6, pinned ------------------------------------------------------------------------------
# build/k6/go.mod pins k6 and, through go.sum, every module it is built from. `go install`
# inside that module (rather than `go install go.k6.io/k6/v2@VERSION`) also avoids the
# module proxy's missing v2 version list, which makes the @VERSION form fail its deprecation lookup.
K6_VERSION=$(awk '$1=="require" && $2=="go.k6.io/k6/v2" {print $3}' build/k6/go.mod)
K6_DIR=".tools/k6/${K6_VERSION}"
if [ -x "${K6_DIR}/k6" ] && "${K6_DIR}/k6" version 2>/dev/null | grep -q "k6 ${K6_VERSION}"; then
  log "k6 ${K6_VERSION} already at ${K6_DIR}/k6"
else
  command -v go >/dev/null 2>&1 || { log "Go is required to install k6 (https://go.dev/doc/install)"; exit 4; }
  log "installing k6 ${K6_VERSION} with go install (a few minutes the first time)"
  mkdir -p "${K6_DIR}"
  (cd build/k6 && GOFLAGS=-mod=mod GOBIN="$(cd ../.. && pwd)/${K6_DIR}" go install go.k6.io/k6/v2)
  "${K6_DIR}/k6" version
fi

# --- third-party servers the tests map by config alone (test/foreign/README.md) --------------
bash scripts/foreign-servers.sh

# --- k6 bundles ------------------------------------------------------------------------------
node_modules/.bin/tsx build/bundle.ts >/dev/null
# The CLI as plain JavaScript (bin/loadgate.js also rebuilds it whenever a source changed).
node build/cli.mjs >/dev/null
log "ready"
