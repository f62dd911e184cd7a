#!/usr/bin/env bash
# Installs the third-party HTTP servers that test/foreign/ runs loadgate against, idempotently:
#   Miniflux (Go module, needs PostgreSQL from Debian), PocketBase (Go module) and WriteFreely
#   (Go module with cgo SQLite, needs gcc; plus its templates/, pages/ and static/ directories),
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
: "${WRITEFREELY_VERSION:?missing in test/foreign/versions.env}"
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

# --- gcc (Debian), for WriteFreely ----------------------------------------------------------------
# WriteFreely's SQLite driver (mattn/go-sqlite3) is C, compiled by cgo.
if ! command -v gcc >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    die "gcc is missing (WriteFreely's SQLite driver needs cgo) — run: sudo apt-get update && sudo apt-get install -y gcc libc6-dev"
  fi
  log "installing Debian packages: gcc libc6-dev"
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null ||
    die "apt-get install gcc libc6-dev failed"
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

# --- WriteFreely ---------------------------------------------------------------------------------
# Not `go install …@version`, for two reasons found on this machine's Go module proxy:
#   - go install asks the proxy for the module's version list (to look for a deprecation notice),
#     and the proxy refuses that list for WriteFreely (403), which go install treats as fatal;
#   - one dependency, code.as/core/socks (a SOCKS dialer), is refused by the proxy altogether.
# So it is built with `go build` from a throw-away main module that requires WriteFreely at the
# pinned version (every other dependency at the version WriteFreely's own go.mod asks for) and
# replaces code.as/core/socks with a stub whose dialer always fails. Its only caller is
# go-writeas's API client when it is given a Tor port, and WriteFreely never creates that client;
# the stub also shows in the binary's build info (`go version -m`: "=> ./socks").
# Tags as WriteFreely's Makefile builds its releases: sqlite (the cgo SQLite driver) and netgo.
# Next to the binary go the directories it reads at runtime, from the same module version.
writefreely_install() {
  local version=$1
  local name=writefreely module=github.com/writefreely/writefreely
  local dir="${TOOLS}/${name}/${version}"
  local bin="${dir}/${name}"
  if [ -x "$bin" ] && [ -d "${dir}/templates" ] && [ -d "${dir}/pages" ] && [ -d "${dir}/static" ] &&
    go version -m "$bin" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+${module//./\\.}[[:space:]]+${version//./\\.}([[:space:]]|$)" &&
    go version -m "$bin" 2>/dev/null | grep -qE "^[[:space:]]+build[[:space:]]+-tags=.*sqlite"; then
    log "${name} ${version} already at ${bin#"$(pwd)/"}"
    return
  fi
  command -v go >/dev/null 2>&1 || die "Go is required to install ${name} (https://go.dev/doc/install)"
  log "installing ${name} ${version} with go build and cgo (several minutes the first time: SQLite is C)"
  mkdir -p "$dir"
  local tmp
  tmp=$(mktemp -d "${dir}/.build.XXXXXX")
  mkdir -p "${tmp}/main/socks" "${tmp}/out"
  cat >"${tmp}/main/go.mod" <<EOF
module loadgate.local/foreign/${name}

go 1.21

require ${module} ${version}

replace code.as/core/socks => ./socks
EOF
  cat >"${tmp}/main/socks/go.mod" <<'EOF'
module code.as/core/socks

go 1.21
EOF
  cat >"${tmp}/main/socks/socks.go" <<'EOF'
// Package socks stands in for code.as/core/socks, which the Go module proxy here refuses: same
// API, no SOCKS proxy (loadgate's scripts/foreign-servers.sh).
package socks

import (
	"errors"
	"net"
)

const (
	SOCKS4 = iota
	SOCKS4A
	SOCKS5
)

// DialSocksProxy returns a dialer that always fails.
func DialSocksProxy(socksType int, proxy string) func(string, string) (net.Conn, error) {
	return func(string, string) (net.Conn, error) {
		return nil, errors.New("no SOCKS proxy in this build of WriteFreely")
	}
}
EOF
  # -mod=mod writes the wrapper's go.sum (checked against the checksum database like go install);
  # -buildvcs=false: the build directory sits inside this repository, whose commit is not WriteFreely's.
  local src
  if ! (cd "${tmp}/main" && GOFLAGS=-mod=mod CGO_ENABLED=1 go build -buildvcs=false -trimpath -tags 'sqlite netgo' \
    -o "${tmp}/out/${name}" "${module}/cmd/${name}") ||
    ! src=$(cd "${tmp}/main" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' "$module") || [ -z "$src" ]; then
    rm -rf "$tmp"
    die "go build ${module}/cmd/${name}@${version} failed (it needs the Go module proxy and gcc; see the output above)"
  fi
  local sub
  for sub in templates pages static; do
    [ -d "${src}/${sub}" ] || {
      rm -rf "$tmp"
      die "${module}@${version} has no ${sub}/ directory in ${src}"
    }
    cp -R "${src}/${sub}" "${tmp}/out/${sub}"
  done
  # The module cache is read-only; the copies must stay removable.
  chmod -R u+w "${tmp}/out"
  # The binary moves last: it is what "already installed" looks for.
  rm -f "$bin"
  for sub in templates pages static; do
    rm -rf "${dir:?}/${sub}"
    mv "${tmp}/out/${sub}" "${dir}/${sub}"
  done
  mv -f "${tmp}/out/${name}" "$bin"
  rm -rf "$tmp"
  log "${name} ${version} installed at ${bin#"$(pwd)/"}"
}

writefreely_install "$WRITEFREELY_VERSION"
log "ready"
