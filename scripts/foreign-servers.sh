#!/usr/bin/env bash
# Installs the third-party HTTP servers that test/foreign/ runs loadgate against, idempotently:
#   Miniflux (Go module, needs PostgreSQL from Debian) and PocketBase (Go module),
#   each into .tools/foreign/<name>/<version>/<name>. Fast when everything is already there.
# Versions: test/foreign/versions.env. Usage (as root on a fresh machine): bash scripts/foreign-servers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'foreign-servers: %s\n' "$*"; }
die() {
  printf 'foreign-servers: error: %s\n' "$*" >&2
  exit 4
}

# shellcheck source=../test/foreign/versions.env
. test/foreign/versions.env
: "${MINIFLUX_VERSION:?missing in test/foreign/versions.env}" "${POCKETBASE_VERSION:?missing in test/foreign/versions.env}"
TOOLS="$(pwd)/.tools/foreign"

# --- PostgreSQL (Debian), for Miniflux ----------------------------------------------------------
# Only the binaries are used: each test starts its own throw-away cluster on a private Unix socket.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    die "PostgreSQL is missing (Miniflux needs it) — run: sudo apt-get update && sudo apt-get install -y postgresql"
  fi
  log "installing Debian package: postgresql"
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null ||
    die "apt-get install postgresql failed"
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || die "postgresql installed, but no /usr/lib/postgresql/*/bin/initdb"
fi
# initdb and postgres refuse to run as root; the tests run them as the package's "postgres" user then.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  die "running as root but there is no 'postgres' user to run PostgreSQL as (reinstall the postgresql package)"
fi

# --- Go modules ----------------------------------------------------------------------------------
# go_install NAME VERSION MODULE PACKAGE: builds PACKAGE@VERSION into .tools/foreign/NAME/VERSION/NAME.
# "Already installed" means the binary's embedded build info names exactly MODULE VERSION.
go_install() {
  local name=$1 version=$2 module=$3 package=$4
  local dir="${TOOLS}/${name}/${version}"
  local bin="${dir}/${name}"
  if [ -x "$bin" ] && command -v go >/dev/null 2>&1 &&
    go version -m "$bin" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+${module//./\\.}[[:space:]]+${version//./\\.}([[:space:]]|$)"; then
    log "${name} ${version} already at ${bin#"$(pwd)/"}"
    return
  fi
  command -v go >/dev/null 2>&1 || die "Go is required to install ${name} (https://go.dev/doc/install)"
  log "installing ${name} ${version} with go install (about a minute the first time)"
  mkdir -p "$dir"
  local tmp
  tmp=$(mktemp -d "${dir}/.build.XXXXXX")
  # go install names the binary after the package path (miniflux.app/v2 → "miniflux.app",
  # examples/base → "base"); build into a scratch GOBIN and rename, so a failed build leaves nothing.
  if ! GOBIN="$tmp" GOFLAGS=-mod=mod go install "${package}@${version}"; then
    rm -rf "$tmp"
    die "go install ${package}@${version} failed (it needs the Go module proxy; see the output above)"
  fi
  local built
  built=$(find "$tmp" -maxdepth 1 -type f -perm -u+x | head -n 1)
  [ -n "$built" ] || die "go install ${package}@${version} produced no binary"
  mv -f "$built" "$bin"
  rm -rf "$tmp"
  log "${name} ${version} installed at ${bin#"$(pwd)/"}"
}

go_install miniflux "$MINIFLUX_VERSION" miniflux.app/v2 miniflux.app/v2
go_install pocketbase "$POCKETBASE_VERSION" github.com/pocketbase/pocketbase github.com/pocketbase/pocketbase/examples/base
log "ready"
