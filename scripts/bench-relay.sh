#!/usr/bin/env bash
# Relay benchmarks: throughput, added sync latency and memory per idle tunnel.
#
#   scripts/bench-relay.sh [--quick] [--no-lite] [--only relay|latency|memory]
#
# 1. Builds the release binaries (porthole, guacd-sim, porthole-bench) in the default
#    target directory (or CARGO_TARGET_DIR).
# 2. Installs guacamole-lite 1.2.0 into tests/bench-node (npm ci, from its lock file) so
#    it is measured in the same runs; --no-lite skips it.
# 3. Raises the open-files limit (the memory benchmark holds ~3 sockets per tunnel
#    across its processes).
# 4. Runs `porthole-bench relay`, `latency` and `memory` (the latter with the synthetic
#    desktop and with a real first screen; 3 runs each, medians; see BENCHMARKS.md,
#    sections "Relay" and "Memory"), printing every run, then the tables of medians
#    together. --quick: 1 run each with shorter windows, to try the harness.
#
# Environment: CARGO_TARGET_DIR, PORTHOLE_RECORDINGS (default
# ../shared/data/guacd-recordings), RUNS (default 3).
set -euo pipefail

quick=0 lite=1 only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-lite) lite=0 ;;
    --only) only="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--no-lite] [--only relay|latency|memory]" >&2; exit 2 ;;
  esac
  shift
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
runs="${RUNS:-3}"
cd "$root"

echo "== building release binaries"
cargo build --release -p porthole-gateway -p porthole-testsuite

lite_flag=()
if [ "$lite" = 1 ]; then
  if command -v npm >/dev/null && command -v node >/dev/null; then
    if [ ! -d tests/bench-node/node_modules/guacamole-lite ]; then
      echo "== installing guacamole-lite (tests/bench-node)"
      (cd tests/bench-node && npm ci --no-audit --no-fund)
    fi
    lite_flag=(--guacamole-lite)
  else
    echo "== node/npm not found: guacamole-lite is skipped"
  fi
fi

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "== open-files limit: $(ulimit -n)"

bench="$target/release/porthole-bench"
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
common=(--porthole-bin "$target/release/porthole" --sim-bin "$target/release/guacd-sim" --summary "$summary")
if [ -n "${PORTHOLE_RECORDINGS:-}" ]; then
  common+=(--recordings-dir "$PORTHOLE_RECORDINGS")
fi

if [ "$quick" = 1 ]; then
  runs=1
  relay_args=(--min-secs 2 --min-mb 50)
  latency_args=(--secs 4)
  memory_args=(--tunnels 200 --settle 1)
else
  relay_args=()
  latency_args=()
  memory_args=()
fi

echo "== machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(uptime)"
if [ -z "$only" ] || [ "$only" = relay ]; then
  "$bench" relay --runs "$runs" "${relay_args[@]}" "${lite_flag[@]}" "${common[@]}"
fi
if [ -z "$only" ] || [ "$only" = latency ]; then
  "$bench" latency --runs "$runs" "${latency_args[@]}" "${common[@]}"
fi
if [ -z "$only" ] || [ "$only" = memory ]; then
  # The simulator's synthetic desktop, then a real first screen (windows-owner's first
  # 3 frames, 228 KB), each session idle afterwards.
  "$bench" memory --runs "$runs" "${memory_args[@]}" "${lite_flag[@]}" "${common[@]}"
  "$bench" memory --runs "$runs" --first-screen windows-owner "${memory_args[@]}" "${lite_flag[@]}" "${common[@]}"
fi

echo
echo "== summary ($(uptime))"
cat "$summary"
