#!/usr/bin/env bash
# Sharing fan-out benchmark (BENCHMARKS.md, "Fan-out"): builds release binaries and runs
# porthole-fanout. Extra arguments go to porthole-fanout (see --help), e.g.
#   scripts/bench-fanout.sh --viewers 1,10,100 --secs 10 --stall --idle 500
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cargo build --release -p porthole-gateway -p porthole-testsuite --bin porthole --bin porthole-fanout
PORTHOLE_BIN="$PWD/target/release/porthole" exec target/release/porthole-fanout "$@"
