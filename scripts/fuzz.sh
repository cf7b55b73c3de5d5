#!/usr/bin/env bash
# Fuzz the Guacamole parser (cargo-fuzz target `parser` in protocol/fuzz) for a while.
#
#   scripts/fuzz.sh [seconds]        # default 60
#
# Non-interactive, for CI too: installs cargo-fuzz from crates.io if it is missing,
# seeds the corpus if it is empty, runs libFuzzer with -max_total_time and exits
# non-zero if it finds a crash (the input is saved under protocol/fuzz/artifacts/parser/).
#
# cargo-fuzz needs nightly-only flags (-Zsanitizer, sanitizer-coverage passes); on the
# stable toolchain RUSTC_BOOTSTRAP=1 unlocks them, which this script sets.
#
# Environment:
#   FUZZ_SANITIZER    address (default) or none (faster; the crate has no unsafe code)
#   CARGO_TARGET_DIR  if set, the fuzz build goes to $CARGO_TARGET_DIR/fuzz
#   PORTHOLE_RECORDINGS  guacd recordings used for seeds (default ../shared/data/guacd-recordings)
set -euo pipefail

secs="${1:-60}"
case "$secs" in
  ''|*[!0-9]*) echo "usage: $0 [seconds]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

cd "$root/protocol"
corpus="fuzz/corpus/parser"
mkdir -p "$corpus"
if [ -z "$(ls -A "$corpus")" ]; then
  # Inputs start with two bytes that choose the reads (see fuzz_targets/parser.rs).
  printf '\x80\x03%s' '4.size,1.0,4.1280,3.720;3.nop;' > "$corpus/seed-size"
  printf '\x10\x00%s' '9.clipboard,3.é😀a,2.,;;5.mouse,3.100,3.200,1.1;' > "$corpus/seed-utf8"
  printf '\xff\x07%s' '0.,4.ping,13.1732212345678;3.key,5.65307,1.1;' > "$corpus/seed-internal"
  printf '\x40\x20%s' '8193.x;' > "$corpus/seed-too-long"
  rec="${PORTHOLE_RECORDINGS:-$root/../shared/data/guacd-recordings}"
  if [ -f "$rec/typing-owner.guac" ]; then
    { printf '\x55\x0f'; head -c 3000 "$rec/typing-owner.guac"; } > "$corpus/seed-typing"
  fi
fi

args=(-s "${FUZZ_SANITIZER:-address}")
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  args+=(--target-dir "$CARGO_TARGET_DIR/fuzz")
fi

exec cargo fuzz run "${args[@]}" parser "$corpus" -- \
  -max_total_time="$secs" \
  -dict=fuzz/parser.dict \
  -max_len=4096 \
  -rss_limit_mb=2048 \
  -print_final_stats=1
