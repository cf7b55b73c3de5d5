#!/usr/bin/env bash
# Installs what the browser side needs: Debian's Chromium (+ a font) for the
# headless tests, and the npm dependencies of client-js/ and tests/browser/.
#
# Idempotent and quiet when there is nothing to do:
#   * apt runs only if Chromium or the font is missing (apt-get update at most once);
#   * `npm ci` runs in a package only if its node_modules is missing or its
#     package-lock.json changed since the last install (a stamp in node_modules).
# Never downloads a browser build of its own (no `playwright install`): the tests
# use /usr/bin/chromium through playwright-core.
#
# Usage: scripts/install-browser-deps.sh        (works non-interactively, e.g. CI=true)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHROMIUM="${PORTHOLE_CHROMIUM:-/usr/bin/chromium}"
APT_PACKAGES=(chromium fonts-dejavu-core)
NPM_DIRS=(client-js tests/browser)

log() { printf 'install-browser-deps: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    die "need root (or passwordless sudo) to run: $*"
  fi
}

# --- system packages --------------------------------------------------------
missing=()
if [ ! -x "$CHROMIUM" ]; then
  missing+=(chromium)
fi
if ! dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q 'install ok installed'; then
  missing+=(fonts-dejavu-core)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${missing[*]} by hand"
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
  [ -x "$CHROMIUM" ] || die "$CHROMIUM still missing after apt-get install chromium"
else
  log "chromium and fonts already installed"
fi

# --- npm packages -----------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found (Node.js >= 20.19 is needed)"
command -v npm >/dev/null 2>&1 || die "npm not found"

node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) {
    console.error(`install-browser-deps: error: Node.js ${process.version} is too old; Vite 8 needs >= 20.19`);
    process.exit(1);
  }'

lock_hash() { sha256sum "$1/package-lock.json" | cut -d' ' -f1; }

for dir in "${NPM_DIRS[@]}"; do
  pkg="$REPO_ROOT/$dir"
  [ -f "$pkg/package-lock.json" ] || die "$dir/package-lock.json missing (run npm install there and commit it)"
  stamp="$pkg/node_modules/.porthole-lock-sha256"
  want="$(lock_hash "$pkg")"
  if [ -d "$pkg/node_modules" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "$dir: node_modules up to date"
    continue
  fi
  log "$dir: npm ci"
  (cd "$pkg" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$want" >"$stamp"
done

log "done"
