#!/usr/bin/env bash
# Parser throughput, Rust vs. the stock JS parser, on the same guacd recordings.
#
#   scripts/bench-parser.sh [--no-rust] [--no-js]
#
# 1. Rust: the criterion bench `parser` of porthole-protocol, group parse_recording
#    (each recording from memory in 64 KiB reads). --no-rust reuses the last results.
# 2. JS: tests/browser/bench/parser-baseline.mjs (guacamole-common-js Guacamole.Parser
#    under Node, 64 KiB chunks), after `npm ci` in tests/browser if needed.
# 3. Prints a table: MB/s (MB = 10^6 bytes) and instructions/s of both, and the ratio.
#    Rust figures are the median time per pass from criterion's
#    <target>/criterion/parse_recording/<name>/new/estimates.json; JS figures are the
#    best of 5 runs as the baseline script reports them.
#
# Environment: CARGO_TARGET_DIR (criterion results live under it; default ./target),
# PORTHOLE_RECORDINGS (default ../shared/data/guacd-recordings), MEASUREMENT_TIME
# (criterion seconds per benchmark, default 5).
set -euo pipefail

run_rust=1 run_js=1
for a in "$@"; do
  case "$a" in
    --no-rust) run_rust=0 ;;
    --no-js) run_js=0 ;;
    *) echo "usage: $0 [--no-rust] [--no-js]" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
rec="$(cd "${PORTHOLE_RECORDINGS:-$root/../shared/data/guacd-recordings}" && pwd)"
export PORTHOLE_RECORDINGS="$rec"
names=(scrolling-owner fullscreen-owner windows-owner typing-owner)

if [ "$run_rust" = 1 ]; then
  (cd "$root" && cargo bench -p porthole-protocol --bench parser -- \
    --measurement-time "${MEASUREMENT_TIME:-5}" parse_recording)
fi

js_out="$(mktemp)"
trap 'rm -f "$js_out"' EXIT
if [ "$run_js" = 1 ]; then
  if [ ! -d "$root/tests/browser/node_modules/guacamole-common-js" ]; then
    (cd "$root/tests/browser" && npm ci --no-audit --no-fund)
  fi
  files=()
  for n in "${names[@]}"; do files+=("$rec/$n.guac"); done
  node "$root/tests/browser/bench/parser-baseline.mjs" "${files[@]}" | tee "$js_out"
fi

node - "$target/criterion/parse_recording" "$rec" "$js_out" "${names[@]}" <<'JS'
const fs = require('fs');
const path = require('path');
const [critDir, recDir, jsOut, ...names] = process.argv.slice(2);
const js = {};
for (const line of fs.readFileSync(jsOut, 'utf8').split('\n')) {
  if (line.trim().startsWith('{')) { const o = JSON.parse(line); js[o.file.replace(/\.guac$/, '')] = o; }
}
const f = (x, d = 0) => (x == null ? '–' : x.toFixed(d));
console.log('\n| recording | bytes | instructions | Rust MB/s | JS MB/s | Rust / JS | Rust Minstr/s | JS Minstr/s |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const n of names) {
  const bytes = fs.statSync(path.join(recDir, `${n}.guac`)).size;
  const instr = JSON.parse(fs.readFileSync(path.join(recDir, `${n}.json`), 'utf8')).instructions;
  let rs = null;
  const est = path.join(critDir, n, 'new', 'estimates.json');
  if (fs.existsSync(est)) rs = JSON.parse(fs.readFileSync(est, 'utf8')).median.point_estimate / 1e9;
  const j = js[n];
  const rMB = rs && bytes / 1e6 / rs, jMB = j && j.mb_per_s;
  const rI = rs && instr / rs / 1e6, jI = j && j.instr_per_s / 1e6;
  console.log(`| ${n} | ${bytes} | ${instr} | ${f(rMB)} | ${f(jMB)} | ${rMB && jMB ? f(rMB / jMB, 1) + '×' : '–'} | ${f(rI, 1)} | ${f(jI, 2)} |`);
}
JS
