#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian/Ubuntu machine, idempotently
# and without prompts: PostgreSQL (the store is tested on it as well as on SQLite),
# TigerVNC's Xvnc and X tools (the built-in VNC back end is tested against a real VNC
# server, when scripts/install-vnc-deps.sh exists), then Chromium and the npm packages
# (scripts/install-browser-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

updated=0
apt_install() {
  if [ "$updated" -eq 0 ]; then
    $SUDO apt-get update -qq
    updated=1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "$@"
}

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "install-test-deps: installing PostgreSQL"
  apt_install postgresql
  # The package starts a system cluster; the tests make their own on a free port.
  $SUDO service postgresql stop >/dev/null 2>&1 || true
fi

if [ -x scripts/install-vnc-deps.sh ]; then
  scripts/install-vnc-deps.sh
fi

scripts/install-browser-deps.sh
echo "install-test-deps: done"
