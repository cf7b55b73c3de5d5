// The built-in VNC back end (Porthole's own VNC client, no guacd) in the web client,
// against a real TigerVNC Xvnc desktop, in real Chromium:
//
//   the administrator creates a built-in VNC connection through the connection form
//   (the guacd fields go away, the list shows a "Built-in" badge), opens it and sees
//   the X server's root colour; a click at a known canvas point moves the X pointer
//   exactly there and typing reaches an xterm; a read-only link opened by an
//   anonymous browser shows the same colour; when the X side changes colour both
//   canvases follow; the viewer's clicks never move the X pointer; the owner
//   disconnects and the viewer sees the ended page.
//
// Needs Xvnc, xsetroot, xdotool and xterm (scripts/install-vnc-deps.sh): skipped
// without them, a failure under CI. Saves docs/screenshots/builtin-vnc.png.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Cleanup,
  REPO_ROOT,
  XVNC_PROGRAMS,
  api,
  assertColour,
  hexRgb,
  launchBrowser,
  missingPrerequisites,
  newPage,
  screenshotDir,
  signIn,
  startGateway,
  startXvnc,
  waitInPage,
} from './harness.mjs';

const skip = missingPrerequisites({ binaries: ['porthole'], chromium: true, programs: XVNC_PROGRAMS });

const SEA_GREEN = '#2e8b57';
const CRIMSON = '#aa2233';
const CONNECTION = 'X desktop';

// ---------------------------------------------------------------- in-page probes

/** The pixel at the centre of the remote screen (default layer), as [r,g,b,a]. */
function centrePixel() {
  const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
  return Array.from(canvas.getContext('2d').getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data);
}

/** True once the remote screen is drawn and its centre is within ±2 of `rgb`. */
function centreIs(rgb) {
  const canvas = window.porthole?.client?.getDisplay().getDefaultLayer().getCanvas();
  if (!canvas || canvas.width < 100 || canvas.height < 100) return false;
  const d = canvas.getContext('2d').getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data;
  return rgb.every((v, i) => Math.abs(d[i] - v) <= 2);
}

/** Page coordinates of a remote-screen point: the display's box plus point × scale. */
function pageXY({ x, y }) {
  const display = window.porthole.client.getDisplay();
  const box = display.getElement().getBoundingClientRect();
  const scale = display.getScale();
  return { x: box.left + (x + 0.5) * scale, y: box.top + (y + 0.5) * scale, scale };
}

const connected = (page, what) =>
  waitInPage(page, `${what}: client CONNECTED`, () => window.porthole?.state === 3 || window.porthole?.phase === 'error').then(
    async () => {
      const info = await page.evaluate(() => ({ state: window.porthole.state, error: window.porthole.error }));
      assert.equal(info.state, 3, `${what} failed to connect: ${JSON.stringify(info)}`);
    },
  );

async function showsColour(page, what, hex) {
  const rgb = hexRgb(hex);
  try {
    await waitInPage(page, `${what}: the centre of the screen is ${hex}`, centreIs, rgb, { timeout: 15_000 });
  } catch (e) {
    const got = await page.evaluate(centrePixel).catch(() => null);
    throw new Error(`${e.message}\n  centre pixel: ${JSON.stringify(got)}`);
  }
  assertColour(await page.evaluate(centrePixel), rgb, `${what}: centre pixel`);
}

/** Waits until the X pointer is at `want` (±1 for the scaling), or fails with where it is. */
async function pointerReaches(xvnc, want, what) {
  const deadline = Date.now() + 5000;
  let at;
  while (Date.now() < deadline) {
    at = await xvnc.pointer();
    if (Math.abs(at.x - want.x) <= 1 && Math.abs(at.y - want.y) <= 1) return at;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: the X pointer is at (${at.x}, ${at.y}), expected (${want.x}, ${want.y}) ±1`);
}

async function signInUi(page, url, username, password) {
  await page.goto(`${url}/#/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Connections' }).waitFor();
}

/** Opens the connection menu with Ctrl+Shift+Win unless it is open. */
async function openMenu(page) {
  if (await page.locator('.session-menu').isVisible()) return;
  await page.locator('.session-screen').focus();
  for (const k of ['Control', 'Shift', 'Meta']) await page.keyboard.down(k);
  for (const k of ['Meta', 'Shift', 'Control']) await page.keyboard.up(k);
  await page.locator('.session-menu').waitFor({ state: 'visible' });
}

async function closeMenu(page) {
  for (let i = 0; i < 3 && (await page.locator('.session-menu').isVisible()); i++) await page.keyboard.press('Escape');
  await page.locator('.session-menu').waitFor({ state: 'hidden' });
}

describe('the built-in VNC back end against a real Xvnc', () => {
  if (skip) {
    test('needs the porthole binary, Chromium, Xvnc, xsetroot, xdotool and xterm', { skip }, () => {});
    return;
  }
  const cleanup = new Cleanup();
  const shots = screenshotDir();
  const artifacts = screenshotDir(path.join(REPO_ROOT, 'test-artifacts', 'screenshots'));
  let xvnc;
  let gateway;
  let browser;
  let token;
  let connectionId;
  let owner; // the administrator, who opens the desktop
  let viewer; // an anonymous read-only viewer
  let readOnlyKey;
  let typedFile;
  /** Where the owner clicked, in remote-screen coordinates (inside the xterm). */
  const CLICK = { x: 60, y: 25 };

  before(async () => {
    xvnc = await startXvnc();
    cleanup.add(() => xvnc.stop());
    await xvnc.setRootColour(SEA_GREEN);
    // A small xterm in the top-left corner writes every line typed into it to a file:
    // with no window manager, keys go to the window under the pointer.
    const dir = mkdtempSync(path.join(tmpdir(), 'porthole-vnc-'));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    typedFile = path.join(dir, 'typed.txt');
    xvnc.spawnClient('xterm', ['-geometry', '40x4+0+0', '-e', 'sh', '-c', `exec cat > '${typedFile}'`]);

    gateway = await startGateway();
    cleanup.add(() => gateway.stop());
    token = await signIn(gateway.url, 'admin', gateway.adminPassword);
    browser = await launchBrowser();
    cleanup.add(() => browser.close());
    owner = await newPage(browser);
    await signInUi(owner, gateway.url, 'admin', gateway.adminPassword);
  });

  after(() => cleanup.run());

  test('the administrator creates a built-in VNC connection with the form', async () => {
    await owner.getByRole('link', { name: 'Settings', exact: true }).click();
    await owner.getByRole('heading', { name: 'Connections' }).waitFor();
    await owner.getByRole('link', { name: 'New connection' }).click();
    await owner.getByRole('heading', { name: 'New connection' }).waitFor();

    await owner.getByLabel('Name', { exact: true }).fill(CONNECTION);
    // The back-end choice is for VNC only.
    const backendGroup = owner.getByRole('group', { name: 'Back end' });
    await owner.getByLabel('Protocol').selectOption('rdp');
    await backendGroup.waitFor({ state: 'hidden' });
    await owner.getByLabel('Protocol').selectOption('vnc');
    await backendGroup.waitFor({ state: 'visible' });
    const viaGuacd = owner.getByRole('radio', { name: 'guacd', exact: true });
    const builtin = owner.getByRole('radio', { name: 'Built into Porthole (no guacd)' });
    assert.equal(await viaGuacd.isChecked(), true, 'guacd is the default back end');
    assert.match(await builtin.getAttribute('aria-describedby'), /help/);
    const guacdChoice = owner.getByLabel('Use a specific guacd for this connection');
    await guacdChoice.waitFor({ state: 'visible' });
    // guacd-only VNC settings are offered with guacd…
    assert.equal(await owner.getByLabel('Swap red and blue').count(), 1);

    await builtin.check();
    // …and go away with the built-in back end, as do the guacd host, port and TLS fields.
    await guacdChoice.waitFor({ state: 'hidden' });
    assert.equal(await owner.getByLabel('guacd host').isVisible(), false);
    assert.equal(await owner.getByLabel('Swap red and blue').count(), 0);
    assert.equal(await owner.getByText('Other parameters').count(), 0);
    await owner.getByLabel('Host name or address (required)').fill('127.0.0.1');
    await owner.getByLabel('Port', { exact: true }).fill(String(xvnc.port));
    await owner.screenshot({ path: path.join(artifacts, 'builtin-vnc-form.png'), fullPage: true });
    await owner.getByRole('button', { name: 'Create connection' }).click();

    // Saved: the editor of the new connection, still built-in.
    await owner.getByRole('heading', { name: CONNECTION }).waitFor();
    await owner.getByRole('heading', { name: 'Sharing profiles' }).waitFor();
    connectionId = /#\/admin\/connections\/([^/?#]+)/.exec(owner.url())?.[1];
    assert.ok(connectionId, `the editor's URL names the connection: ${owner.url()}`);
    assert.equal(await owner.getByRole('radio', { name: 'Built into Porthole (no guacd)' }).isChecked(), true);
    assert.equal(await owner.getByLabel('Use a specific guacd for this connection').isVisible(), false);
    const detail = await api(gateway.url, 'GET', `api/connections/${connectionId}`, { token });
    assert.equal(detail.status, 200, detail.text);
    assert.equal(detail.body.backend, 'builtin');
    assert.equal(detail.body.protocol, 'vnc');
    assert.deepEqual(detail.body.parameters, { hostname: '127.0.0.1', port: String(xvnc.port) });
    assert.equal(detail.body.guacd, null);

    // A read-only sharing profile, so the session can be shared.
    const r = await api(gateway.url, 'POST', `api/connections/${connectionId}/sharing-profiles`, {
      token,
      body: { name: 'Watch only', read_only: true },
    });
    assert.equal(r.status, 201, r.text);

    // The list shows the back end as a small badge.
    await owner.getByRole('link', { name: 'All connections' }).click();
    const row = owner.locator(`tr[data-connection-id="${connectionId}"]`);
    await row.waitFor();
    assert.equal((await row.locator('[data-backend]').textContent()).trim(), 'Built-in');
    await owner.screenshot({ path: path.join(artifacts, 'builtin-vnc-list.png') });
    assert.equal(await row.locator('[data-backend]').getAttribute('data-backend'), 'builtin');
    assert.deepEqual(owner.problems, []);
  });

  test('the owner opens it and sees the X server’s colour; clicks and typing reach X', async () => {
    await owner.getByRole('link', { name: `Open ${CONNECTION}` }).click();
    await connected(owner, 'owner');
    await showsColour(owner, 'owner', SEA_GREEN);

    // A click at a known point of the remote screen puts the X pointer exactly there.
    const at = await owner.evaluate(pageXY, CLICK);
    await owner.mouse.click(at.x, at.y);
    await pointerReaches(xvnc, CLICK, 'after the owner’s click');

    // The pointer is over the xterm, so typed keys go to it.
    await owner.locator('.session-screen').focus();
    await owner.keyboard.type('hello from porthole');
    await owner.keyboard.press('Enter');
    const deadline = Date.now() + 5000;
    let typed = '';
    while (Date.now() < deadline) {
      try {
        typed = readFileSync(typedFile, 'utf8');
      } catch {
        typed = '';
      }
      if (typed.includes('\n')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(typed, 'hello from porthole\n', 'the typed line reached the xterm');
    await owner.mouse.move(at.x + 400 * at.scale, at.y + 300 * at.scale);
    await new Promise((r) => setTimeout(r, 300));
    await owner.screenshot({ path: path.join(shots, 'builtin-vnc.png') });
    assert.deepEqual(owner.problems, []);
  });

  test('a read-only link: an anonymous viewer sees the same desktop', async () => {
    await openMenu(owner);
    await owner.getByRole('button', { name: /^Sharing/ }).click();
    await owner.getByRole('button', { name: /Create a link: Watch only/ }).click();
    const url = owner.locator('.share-url');
    await url.waitFor();
    const m = /#\/share\/([A-Za-z0-9_-]{20,})$/.exec(await url.inputValue());
    assert.ok(m, 'a share URL');
    readOnlyKey = m[1];
    await closeMenu(owner);

    viewer = await newPage(browser); // a new context: not signed in
    await viewer.goto(`${gateway.url}/#/share/${readOnlyKey}`);
    await connected(viewer, 'anonymous viewer');
    assert.equal(await viewer.evaluate(() => window.porthole.readOnly), true);
    await viewer.getByText('View only').waitFor();
    await showsColour(viewer, 'anonymous viewer', SEA_GREEN);
    assert.deepEqual(viewer.problems, []);
  });

  test('when the X side changes colour both canvases follow', async () => {
    await xvnc.setRootColour(CRIMSON);
    await Promise.all([showsColour(owner, 'owner', CRIMSON), showsColour(viewer, 'anonymous viewer', CRIMSON)]);
  });

  test('the viewer’s clicks never move the X pointer', async () => {
    const before = await xvnc.pointer();
    for (const p of [{ x: 700, y: 500 }, { x: 20, y: 20 }, { x: 300, y: 600 }]) {
      const at = await viewer.evaluate(pageXY, p);
      await viewer.mouse.move(at.x, at.y);
      await viewer.mouse.click(at.x, at.y);
    }
    await viewer.keyboard.type('nope');
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await xvnc.pointer(), before, 'the X pointer did not move');
    assert.equal(readFileSync(typedFile, 'utf8'), 'hello from porthole\n', 'nothing more was typed');
    // The owner's input still works: the session is writable for her.
    const at = await owner.evaluate(pageXY, { x: 500, y: 400 });
    await owner.mouse.move(at.x, at.y);
    await pointerReaches(xvnc, { x: 500, y: 400 }, 'after the owner moves again');
  });

  test('the owner disconnects and the viewer sees the session ended', async () => {
    // Active sessions lists the built-in session with its viewer, like any other.
    const live = await api(gateway.url, 'GET', 'api/sessions', { token });
    assert.equal(live.status, 200, live.text);
    const mine = live.body.filter((s) => s.connection_id === connectionId);
    assert.equal(mine.length, 1, `one live session of the connection: ${live.text}`);
    assert.equal(mine[0].viewers.length, 1, `one viewer: ${JSON.stringify(mine[0].viewers)}`);
    await openMenu(owner);
    await owner.getByRole('button', { name: 'Disconnect' }).click();
    await owner.getByRole('heading', { name: 'Disconnected' }).waitFor();
    await waitInPage(viewer, 'the viewer sees the session ended', () => window.porthole.error?.code === 523);
    await viewer.getByRole('heading', { name: 'The session has ended' }).waitFor();
    // The session is gone from the administrators' list (its end is asynchronous).
    const deadline = Date.now() + 5000;
    let left;
    do {
      const live = await api(gateway.url, 'GET', 'api/sessions', { token });
      assert.equal(live.status, 200, live.text);
      left = live.body.filter((s) => s.connection_id === connectionId);
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    assert.deepEqual(left, [], 'no live session of the connection is left');
  });
});
