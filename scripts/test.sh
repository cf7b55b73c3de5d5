#!/usr/bin/env bash
# Runs every test of the project, from a fresh clone, non-interactively:
#   1. installs what the tests need (PostgreSQL, Xvnc, Chromium from Debian; npm
#      packages from the locks);
#   2. builds the binaries (porthole with its embedded web client, guacd-sim);
#   3. runs the Rust tests (unit, property, integration against the real binaries);
#   4. runs the browser tests (stock guacamole-common-js and our client in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing test dependencies"
scripts/install-test-deps.sh

echo "== building"
cargo build --workspace --bins

echo "== rust tests"
cargo test --workspace --no-fail-fast

echo "== browser tests"
# The browser tests start the binaries just built (wherever cargo put them).
PORTHOLE_BIN_DIR="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug"
export PORTHOLE_BIN_DIR
(cd tests/browser && npm test)
