// Shared helpers for the browser tests: find and start the Porthole binaries,
// talk to the REST API, and drive headless Chromium through playwright-core.
//
// Binaries come from <repo>/target/debug unless PORTHOLE_BIN_DIR says otherwise.
// When a binary (or Chromium, or the client build) is missing, tests are skipped
// with a message, except under CI (env CI set), where that is a failure.

import { execFile, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const BIN_DIR = process.env.PORTHOLE_BIN_DIR
  ? path.resolve(process.env.PORTHOLE_BIN_DIR)
  : path.join(REPO_ROOT, 'target', 'debug');
export const CHROMIUM = process.env.PORTHOLE_CHROMIUM ?? '/usr/bin/chromium';
export const CLIENT_DIST = path.join(REPO_ROOT, 'client-js', 'dist');
export const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/** How long a child gets to print its `listening on` line. */
const STARTUP_TIMEOUT_MS = 20_000;

/** Chromium flags: quiet, no network side-traffic, no sandbox (we run as root in CI). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function binaryPath(name) {
  return path.join(BIN_DIR, name);
}

/** The full path of an executable found on PATH, or null. */
export function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Why the tests needing these things cannot run, or null when they can.
 * Under CI a missing prerequisite throws instead, so the run fails loudly.
 *
 * @param {{binaries?: string[], chromium?: boolean, clientDist?: boolean, programs?: string[]}} needs
 *   `programs`: executables looked up on PATH (e.g. Xvnc, xsetroot, xdotool).
 */
export function missingPrerequisites({ binaries = [], chromium = true, clientDist = false, programs = [] } = {}) {
  const missing = [];
  for (const p of programs) {
    if (!findOnPath(p)) missing.push(`${p} on PATH (run scripts/install-vnc-deps.sh)`);
  }
  for (const b of binaries) {
    if (!existsSync(binaryPath(b))) missing.push(`${path.relative(REPO_ROOT, binaryPath(b))} (run \`cargo build\`)`);
  }
  if (chromium && !existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (run scripts/install-browser-deps.sh)`);
  if (clientDist && !existsSync(path.join(CLIENT_DIST, 'index.html'))) {
    missing.push('client-js/dist/index.html (run `npm run build` in client-js)');
  }
  if (missing.length === 0) return null;
  const reason = `missing: ${missing.join('; ')}`;
  if (IN_CI) throw new Error(`browser tests cannot run under CI, ${reason}`);
  return reason;
}

/** A random password good enough for a throwaway test instance. */
export function randomPassword() {
  return `pw-${randomBytes(12).toString('hex')}`;
}

// Children still running when the test process exits (a crash, a cancelled
// run) are killed so no gateway or simulator outlives its test file.
const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/**
 * Spawns a child and resolves once it prints a stdout line matching `ready`.
 * Rejects with the child's stderr if it exits or stays silent too long.
 *
 * @returns {Promise<{child: import('node:child_process').ChildProcess, match: RegExpMatchArray,
 *   stderr: () => string, stop: () => Promise<void>}>}
 */
export function spawnUntilReady(name, command, args, { env = {}, ready, timeoutMs = STARTUP_TIMEOUT_MS, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: cwd ?? REPO_ROOT,
      env: { ...process.env, RUST_BACKTRACE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));

    let stderr = '';
    const stdoutLines = [];
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 64_000) stderr = stderr.slice(-64_000);
      if (process.env.PORTHOLE_TEST_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
    });

    let settled = false;
    const stop = () => stopChild(child);
    const describe = (why) => {
      const tail = stderr.trim().split('\n').slice(-40).join('\n');
      return new Error(
        `${name} ${why}\n  command: ${command} ${args.join(' ')}` +
          `\n  stdout: ${stdoutLines.slice(-10).join(' | ') || '(nothing)'}` +
          `\n  stderr (last lines):\n${tail ? tail.replace(/^/gm, '    ') : '    (nothing)'}`,
      );
    };

    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void stop();
      reject(describe(`did not print its "listening on" line within ${timeoutMs} ms`));
    }, timeoutMs);

    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      stdoutLines.push(line);
      if (process.env.PORTHOLE_TEST_VERBOSE) process.stderr.write(`[${name} stdout] ${line}\n`);
      if (settled) return;
      const match = line.match(ready);
      if (match) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, match, stderr: () => stderr, stop });
      }
    });

    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(describe(`could not be started: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Let the last stderr bytes arrive before reporting.
      setTimeout(() => reject(describe(`exited early (code ${code}, signal ${signal})`)), 50);
    });
  });
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the child is gone. */
export function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts `guacd-sim --listen 127.0.0.1:0`; resolves with its host and port. */
export async function startSimulator() {
  const proc = await spawnUntilReady('guacd-sim', binaryPath('guacd-sim'), ['--listen', '127.0.0.1:0'], {
    ready: /^listening on (\S+):(\d+)\s*$/,
  });
  return { ...proc, host: proc.match[1], port: Number(proc.match[2]) };
}

/**
 * Starts `porthole serve` on a free port with a fresh data directory and an admin
 * password; resolves with the base URL it printed (no trailing slash).
 */
export async function startGateway({ adminPassword = randomPassword(), extraArgs = [], env = {} } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'porthole-test-data-'));
  const args = [
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--data-dir',
    dataDir,
    '--public-url',
    'http://127.0.0.1',
    ...extraArgs,
  ];
  let proc;
  try {
    proc = await spawnUntilReady('porthole', binaryPath('porthole'), args, {
      env: { PORTHOLE_ADMIN_PASSWORD: adminPassword, ...env },
      ready: /^listening on (https?:\/\/\S+?)\/?\s*$/,
    });
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const stop = async () => {
    await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { ...proc, stop, url: proc.match[1], adminPassword, dataDir };
}

/** JSON REST call. Resolves with {status, headers, body}; never throws on HTTP errors. */
export async function api(baseUrl, method, route, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(new URL(route, `${baseUrl}/`), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, body: json, text };
}

/** Signs in over REST; throws with the server's answer unless it is 200 with a token. */
export async function signIn(baseUrl, username, password) {
  const res = await api(baseUrl, 'POST', 'api/tokens', { body: { username, password } });
  if (res.status !== 200 || typeof res.body?.token !== 'string') {
    throw new Error(`POST /api/tokens as ${username} gave HTTP ${res.status}: ${res.text}`);
  }
  return res.body.token;
}

/** Creates a VNC connection served by the simulator; returns its id. */
export async function createSimConnection(baseUrl, token, sim, name = 'Sim desktop') {
  const res = await api(baseUrl, 'POST', 'api/connections', {
    token,
    body: {
      name,
      protocol: 'vnc',
      parameters: { hostname: 'x', port: '5900' },
      guacd: { host: sim.host, port: sim.port, tls: false },
    },
  });
  if (res.status !== 201 || res.body?.id === undefined || res.body?.id === null) {
    throw new Error(`POST /api/connections gave HTTP ${res.status}: ${res.text}`);
  }
  return String(res.body.id);
}

/** Launches headless Chromium (Debian's /usr/bin/chromium, never a downloaded build). */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  // Playwright creates and removes a fresh temporary profile (user data dir) per launch.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/**
 * A new page with a fixed 1280x800 viewport at device pixel ratio 1, collecting
 * console errors and page errors into `page.problems` for failure messages.
 */
export async function newPage(browser, { viewport = { width: 1280, height: 800 }, baseURL } = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, baseURL });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const where = msg.location()?.url;
      page.problems.push(`console: ${msg.text()}${where ? ` (${where})` : ''}`);
    }
  });
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err.message}`));
  return page;
}

/** Polls `fn` in the page until it returns a truthy value; the error names `what`. */
export async function waitInPage(page, what, fn, arg, { timeout = 15_000 } = {}) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout, polling: 100 });
    return await handle.jsonValue();
  } catch (e) {
    const problems = page.problems?.length ? `\n  page problems:\n    ${page.problems.join('\n    ')}` : '';
    throw new Error(`timed out waiting for ${what}: ${e.message.split('\n')[0]}${problems}`);
  }
}

/** Asserts an [r,g,b,...] pixel is within ±tolerance of the expected RGB. */
export function assertColour(actual, expected, label, tolerance = 2) {
  const ok = expected.every((v, i) => Math.abs(actual[i] - v) <= tolerance);
  if (!ok) {
    throw new Error(`${label}: expected rgb(${expected.join(', ')}) ±${tolerance}, got rgba(${actual.join(', ')})`);
  }
}

/** The simulator's desktop, as documented by guacd-sim. */
export const SIM_BACKGROUND = [51, 102, 204];
export const SIM_SQUARE = [255, 255, 255];
/** Pixels to probe: one in the middle of the background, one inside the white square. */
export const SIM_PROBES = [
  { x: 512, y: 384, rgb: SIM_BACKGROUND, label: 'background pixel (512,384)' },
  { x: 10, y: 10, rgb: SIM_SQUARE, label: 'white square pixel (10,10)' },
];

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where the web-client test saves its screenshots (committed docs). */
export function screenshotDir(fallback = path.join(REPO_ROOT, 'docs', 'screenshots')) {
  const dir = process.env.PORTHOLE_SCREENSHOT_DIR ? path.resolve(process.env.PORTHOLE_SCREENSHOT_DIR) : fallback;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs cleanups in reverse order, collecting (not throwing) errors. */
export class Cleanup {
  #steps = [];
  add(fn) {
    this.#steps.push(fn);
  }
  async run() {
    const errors = [];
    while (this.#steps.length) {
      const fn = this.#steps.pop();
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw new AggregateError(errors, 'cleanup failed');
  }
}

// ---------------------------------------------------------------- a real X desktop (TigerVNC)

/** The programs `startXvnc` and the VNC tests use. */
export const XVNC_PROGRAMS = ['Xvnc', 'xsetroot', 'xdotool', 'xterm'];

/** A TCP port nobody listens on right now (the kernel's pick). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** An X display number with no lock file and no socket, from a random start. */
function freeDisplay(taken) {
  const start = 40 + Math.floor(Math.random() * 400);
  for (let n = start; n < start + 200; n++) {
    if (taken.has(n)) continue;
    if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    return n;
  }
  throw new Error('no free X display number');
}

/** Resolves true once something accepts TCP connections on host:port. */
function canConnect(host, port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

/** Runs a program to completion; resolves with its stdout, rejects with its stderr. */
export function run(command, args, { env = {}, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * Starts TigerVNC's Xvnc on a free display and a free port, local only and without
 * authentication:
 * `Xvnc :N -geometry 1024x768 -depth 24 -rfbport <port> -localhost -nolisten tcp
 *  -SecurityTypes None -AlwaysShared`. Resolves once the RFB port accepts connections.
 * The result runs X clients on that display (`x(cmd, args)`), paints the root window
 * (`setRootColour('#2e8b57')`), reads the pointer (`pointer()`), and stops Xvnc
 * (`stop()`, which also kills every X client it started).
 */
export async function startXvnc({ geometry = '1024x768', depth = 24, attempts = 3 } = {}) {
  const taken = new Set();
  let lastError;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const display = freeDisplay(taken);
    taken.add(display);
    const port = await freePort();
    const args = [
      `:${display}`,
      '-geometry',
      geometry,
      '-depth',
      String(depth),
      '-rfbport',
      String(port),
      '-localhost',
      '-nolisten',
      'tcp',
      '-SecurityTypes',
      'None',
      '-AlwaysShared',
    ];
    const child = spawn('Xvnc', args, { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 64_000) stderr = stderr.slice(-64_000);
      if (process.env.PORTHOLE_TEST_VERBOSE) process.stderr.write(`[Xvnc :${display}] ${chunk}`);
    });
    let spawnError = null;
    child.once('error', (e) => {
      spawnError = e;
    });

    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let ready = false;
    while (Date.now() < deadline) {
      if (spawnError || child.exitCode !== null || child.signalCode !== null) break;
      if (await canConnect('127.0.0.1', port)) {
        ready = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (ready) {
      const env = { DISPLAY: `:${display}` };
      const clients = new Set();
      const xvnc = {
        child,
        display,
        host: '127.0.0.1',
        port,
        env,
        stderr: () => stderr,
        /** Runs an X client on this display to completion; resolves with its stdout. */
        x: (command, cmdArgs, opts = {}) => run(command, cmdArgs, { ...opts, env: { ...env, ...(opts.env ?? {}) } }),
        /** Starts a long-lived X client on this display; it is killed by `stop()`. */
        spawnClient(command, cmdArgs) {
          const c = spawn(command, cmdArgs, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
          liveChildren.add(c);
          clients.add(c);
          c.once('exit', () => {
            liveChildren.delete(c);
            clients.delete(c);
          });
          return c;
        },
        /** Fills the root window with one colour, e.g. '#2e8b57'. */
        setRootColour: (colour) => run('xsetroot', ['-solid', colour], { env }),
        /** The X pointer position, from `xdotool getmouselocation --shell`. */
        async pointer() {
          const out = await run('xdotool', ['getmouselocation', '--shell'], { env });
          const v = Object.fromEntries(out.trim().split('\n').map((l) => l.split('=')));
          return { x: Number(v.X), y: Number(v.Y) };
        },
        async stop() {
          await Promise.all([...clients].map((c) => stopChild(c)));
          await stopChild(child);
        },
      };
      return xvnc;
    }
    await stopChild(child);
    const why = spawnError
      ? `could not be started: ${spawnError.message}`
      : child.exitCode !== null || child.signalCode !== null
        ? `exited early (code ${child.exitCode}, signal ${child.signalCode})`
        : `did not accept connections on 127.0.0.1:${port} within ${STARTUP_TIMEOUT_MS} ms`;
    const tail = stderr.trim().split('\n').slice(-20).join('\n');
    lastError = new Error(`Xvnc :${display} ${why}\n  command: Xvnc ${args.join(' ')}\n  stderr (last lines):\n${tail.replace(/^/gm, '    ')}`);
    if (spawnError) break; // not installed: retrying will not help
  }
  throw lastError;
}

/** '#2e8b57' → [46, 139, 87]. */
export function hexRgb(hex) {
  const n = Number.parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}
