#!/usr/bin/env node
// Baseline for the protocol benchmarks: the stock Guacamole.Parser from
// guacamole-common-js 1.5.0, run under Node, over the guacd recordings.
//
//   node tests/browser/bench/parser-baseline.mjs [FILE.guac | DIR]...
//
// Default input: <repo>/../shared/data/guacd-recordings. Each recording is cut
// into 64 KiB byte chunks, decoded to strings up front (a browser receives
// WebSocket text frames as strings, so decoding is not the parser's cost), then
// fed to a fresh parser: one warm-up run, then the best of 5 timed runs. The
// instruction count must match the `instructions` field of the sidecar .json.
//
// The stock parser jumps over element bodies by their length prefix and V8 keeps
// `substring` results as O(1) slices, so one pass over a file can take well
// under a millisecond. To keep timer noise out, each timed run repeats the pass
// enough times to last about MIN_RUN_SECONDS; `seconds` is per pass.
//
// Prints one JSON line per file:
//   {"file", "bytes", "instructions", "seconds", "mb_per_s", "instr_per_s"}
// where MB = 10^6 bytes and seconds is the best run. Exits 1 on a count mismatch.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..', '..');
const DEFAULT_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'guacd-recordings');
const CHUNK_BYTES = 64 * 1024;
const RUNS = 5;
const MIN_RUN_SECONDS = 0.2;
const MAX_PASSES = 10_000;

// The CommonJS build is the library's files concatenated plus
// `module.exports = Guacamole`. Nothing in it touches `window` or `navigator`
// while loading, and Parser needs neither, so a plain require works.
const require = createRequire(import.meta.url);
const Guacamole = require('guacamole-common-js');
// The package's "exports" map hides package.json; find it from the entry point.
const libVersion = JSON.parse(
  readFileSync(path.resolve(path.dirname(require.resolve('guacamole-common-js')), '..', '..', 'package.json'), 'utf8'),
).version;

function inputs(args) {
  const list = args.length ? args : [DEFAULT_DIR];
  const files = [];
  for (const arg of list) {
    const p = path.resolve(arg);
    if (!existsSync(p)) throw new Error(`no such file or directory: ${p}`);
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) if (name.endsWith('.guac')) files.push(path.join(p, name));
    } else {
      files.push(p);
    }
  }
  if (files.length === 0) throw new Error(`no .guac files in ${list.join(', ')}`);
  return files;
}

/** 64 KiB byte chunks decoded as a stream (a chunk may end inside a UTF-8 sequence). */
function chunksOf(bytes) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const chunks = [];
  for (let off = 0; off < bytes.length; off += CHUNK_BYTES) {
    const end = Math.min(off + CHUNK_BYTES, bytes.length);
    chunks.push(decoder.decode(bytes.subarray(off, end), { stream: end < bytes.length }));
  }
  return chunks;
}

/** `passes` full parses, each with a fresh parser; instructions counted per pass. */
function parseAll(chunks, passes = 1) {
  let count = 0;
  const start = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) {
    const parser = new Guacamole.Parser();
    count = 0;
    parser.oninstruction = () => {
      count++;
    };
    for (const c of chunks) parser.receive(c);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9 / passes;
  return { count, seconds };
}

let failed = false;
for (const file of inputs(process.argv.slice(2))) {
  const bytes = readFileSync(file);
  const chunks = chunksOf(bytes);

  const sidecarPath = file.replace(/\.guac$/, '.json');
  const expected = existsSync(sidecarPath) ? JSON.parse(readFileSync(sidecarPath, 'utf8')).instructions : null;

  parseAll(chunks); // first contact: compile and warm the parser
  const warm = parseAll(chunks, 3);
  const passes = Math.max(1, Math.min(MAX_PASSES, Math.ceil(MIN_RUN_SECONDS / Math.max(warm.seconds, 1e-7))));
  let best = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const run = parseAll(chunks, passes);
    if (run.count !== warm.count) throw new Error(`${file}: instruction count changed between runs`);
    best = Math.min(best, run.seconds);
  }

  const line = {
    file: path.basename(file),
    bytes: bytes.length,
    instructions: warm.count,
    seconds: Number(best.toFixed(6)),
    mb_per_s: Number((bytes.length / 1e6 / best).toFixed(2)),
    instr_per_s: Math.round(warm.count / best),
    parser: `guacamole-common-js ${libVersion} Guacamole.Parser`,
    node: process.version,
    chunk_bytes: CHUNK_BYTES,
    runs: RUNS,
    passes_per_run: passes,
  };
  if (expected !== null && expected !== warm.count) {
    line.expected_instructions = expected;
    line.error = 'instruction count does not match the sidecar .json';
    failed = true;
  }
  console.log(JSON.stringify(line));
}
process.exit(failed ? 1 : 0);
