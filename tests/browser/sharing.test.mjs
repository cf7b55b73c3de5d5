// Sharing a live session in the Porthole web client, against the real gateway and
// guacd-sim, in real Chromium:
//
//   alice (the connection's owner) signs in, opens her desktop, opens the connection
//   menu with the hotkey, mints a read-only link; an anonymous browser opens it and
//   sees the same screen, and its typing never reaches the desktop; alice sees the
//   join toast and the user-count indicator; the viewer leaves; bob (signed in)
//   joins with control and shows by name, and his typing does reach the desktop; the
//   indicator survives alice reloading her page; an administrator watches from
//   Active Sessions and ends the session, and alice and bob both see it ended; an
//   expired link shows the invalid-link page.
//
// The simulator paints an 8x8 marker in colour [keysym & 0xff, keysym >> 8 & 0xff,
// 0x20] for every key press of a writable user, which is how the tests tell whether
// input reached the desktop. Saves the screenshots in docs/screenshots/.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Cleanup,
  SIM_PROBES,
  api,
  assertColour,
  createSimConnection,
  launchBrowser,
  missingPrerequisites,
  newPage,
  screenshotDir,
  signIn,
  startGateway,
  startSimulator,
  waitInPage,
} from './harness.mjs';

const skip = missingPrerequisites({ binaries: ['porthole', 'guacd-sim'], chromium: true });

/** The simulator's marker colour for a key press. */
const keyColour = (keysym) => [keysym & 0xff, (keysym >> 8) & 0xff, 0x20];

// ---------------------------------------------------------------- in-page probes

function layerPixel({ x, y }) {
  const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
  return Array.from(canvas.getContext('2d').getImageData(x, y, 1, 1).data);
}

/** Pixels of exactly this colour on the default layer. */
function colourCount([r, g, b]) {
  const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] === r && d[i + 1] === g && d[i + 2] === b) n++;
  return n;
}

/** A checksum of the default layer (its size and every pixel). */
function screenChecksum() {
  const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let hash = 2166136261;
  for (let i = 0; i < d.length; i += 4) {
    hash ^= d[i] | (d[i + 1] << 8) | (d[i + 2] << 16);
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return `${canvas.width}x${canvas.height}:${hash}`;
}

const connected = (page, what) =>
  waitInPage(page, `${what}: client CONNECTED`, () => window.porthole?.state === 3 || window.porthole?.phase === 'error').then(
    async () => {
      const info = await page.evaluate(() => ({ state: window.porthole.state, error: window.porthole.error }));
      assert.equal(info.state, 3, `${what} failed to connect: ${JSON.stringify(info)}`);
    },
  );

const painted = (page, what) =>
  waitInPage(page, `${what}: the simulator's desktop is drawn`, () => {
    const canvas = window.porthole?.client?.getDisplay().getDefaultLayer().getCanvas();
    if (!canvas || canvas.width < 600) return false;
    const [r, g, b] = canvas.getContext('2d').getImageData(512, 384, 1, 1).data;
    return Math.abs(r - 51) <= 2 && Math.abs(g - 102) <= 2 && Math.abs(b - 204) <= 2;
  });

async function signInUi(page, url, username, password) {
  await page.goto(`${url}/#/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Connections' }).waitFor();
}

/** Opens the connection menu (with the hotkey) unless it is open. */
async function openMenu(page) {
  if (await page.locator('.session-menu').isVisible()) return;
  await page.locator('.session-screen').focus();
  await menuHotkey(page);
  await page.locator('.session-menu').waitFor({ state: 'visible' });
}

/** Closes the sharing panel and the connection menu with Escape. */
async function closeMenu(page) {
  for (let i = 0; i < 3 && (await page.locator('.session-menu').isVisible()); i++) await page.keyboard.press('Escape');
  await page.locator('.session-menu').waitFor({ state: 'hidden' });
}

/** Presses the connection-menu shortcut Ctrl+Shift+Win (Meta). */
async function menuHotkey(page, chord = ['Control', 'Shift', 'Meta']) {
  for (const k of chord) await page.keyboard.down(k);
  for (const k of [...chord].reverse()) await page.keyboard.up(k);
}

describe('sharing a live session in the web client', () => {
  if (skip) {
    test('needs the Rust binaries and Chromium', { skip }, () => {});
    return;
  }
  const cleanup = new Cleanup();
  const shots = screenshotDir();
  const shot = (page, name) => page.screenshot({ path: path.join(shots, `${name}.png`) });
  let gateway;
  let browser;
  let adminToken;
  let connectionId;
  const alicePassword = 'alice-correct-horse';
  const bobPassword = 'bob-battery-staple';

  // Pages that live across tests.
  let alice; // the originator
  let anon; // the anonymous read-only viewer
  let bob; // the signed-in viewer with control
  let admin;
  let readOnlyKey;

  before(async () => {
    const sim = await startSimulator();
    cleanup.add(() => sim.stop());
    gateway = await startGateway();
    cleanup.add(() => gateway.stop());
    adminToken = await signIn(gateway.url, 'admin', gateway.adminPassword);

    const users = {};
    for (const [username, password, display_name] of [
      ['alice', alicePassword, 'Alice Martin'],
      ['bob', bobPassword, 'Bob Ito'],
    ]) {
      const r = await api(gateway.url, 'POST', 'api/users', { token: adminToken, body: { username, password, display_name } });
      assert.equal(r.status, 201, r.text);
      users[username] = r.body.id;
    }
    connectionId = await createSimConnection(gateway.url, adminToken, sim, 'Sim desktop');
    // The administrator sets the sharing profiles up while it still owns the desktop
    // (once handed over, the connection is alice's: share-admin.md, R41).
    for (const [name, read_only] of [
      ['Watch only', true],
      ['Pair programming', false],
    ]) {
      const r = await api(gateway.url, 'POST', `api/connections/${connectionId}/sharing-profiles`, {
        token: adminToken,
        body: { name, read_only },
      });
      assert.equal(r.status, 201, r.text);
    }
    // alice owns the desktop (and two more, so her list is not a single line).
    const own = async (id, body) => {
      const r = await api(gateway.url, 'PUT', `api/connections/${id}`, { token: adminToken, body: { ...body, owner_id: users.alice } });
      assert.equal(r.status, 200, r.text);
    };
    await own(connectionId, {
      name: 'Sim desktop',
      protocol: 'vnc',
      parameters: { hostname: 'x', port: '5900' },
      guacd: { host: sim.host, port: sim.port, tls: false },
    });
    for (const [name, protocol] of [
      ['Build server', 'ssh'],
      ['Design workstation', 'rdp'],
    ]) {
      const id = await createSimConnection(gateway.url, adminToken, sim, name);
      await own(id, { name, protocol, parameters: { hostname: 'x' }, guacd: { host: sim.host, port: sim.port, tls: false } });
    }
    browser = await launchBrowser();
    cleanup.add(() => browser.close());
  });

  after(() => cleanup.run());

  test('alice signs in, opens her desktop and sees the simulator’s pixels', async () => {
    alice = await newPage(browser);
    await alice.goto(`${gateway.url}/`);
    await alice.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(alice, 'sign-in');
    await alice.getByLabel('Username').fill('alice');
    await alice.getByLabel('Password').fill(alicePassword);
    await alice.getByRole('button', { name: 'Sign in' }).click();
    const link = alice.getByRole('link', { name: /Sim desktop/ });
    await link.waitFor();
    assert.deepEqual(await alice.locator('.connection-name').allTextContents(), ['Build server', 'Design workstation', 'Sim desktop']);

    // The search box filters the list.
    await alice.getByLabel('Search connections').fill('sim');
    assert.deepEqual(await alice.locator('.connection-name').allTextContents(), ['Sim desktop']);
    await alice.getByLabel('Search connections').fill('');
    await shot(alice, 'connections');

    await link.click();
    await connected(alice, 'alice');
    await painted(alice, 'alice');
    for (const probe of SIM_PROBES) assertColour(await alice.evaluate(layerPixel, probe), probe.rgb, probe.label);
    // The display fills the window.
    const box = await alice.locator('.guac-display').boundingBox();
    assert.ok(box.width >= 1279 && box.height >= 799, `display fills the window: ${JSON.stringify(box)}`);
    assert.deepEqual(alice.problems, []);
  });

  test('the connection menu opens with the hotkeys; the Sharing menu mints a read-only link', async () => {
    const menu = alice.locator('.session-menu');
    await alice.locator('.session-screen').focus();
    await menuHotkey(alice, ['Control', 'Shift', 'Meta']);
    await menu.waitFor({ state: 'visible' });
    // Escape closes it and gives the keyboard back to the desktop.
    await alice.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });
    assert.equal(await alice.evaluate(() => document.activeElement.classList.contains('session-screen')), true);
    // Ctrl+Alt+Shift, as in Guacamole, opens it too.
    await menuHotkey(alice, ['Control', 'Alt', 'Shift']);
    await menu.waitFor({ state: 'visible' });
    assert.equal(await alice.getByRole('heading', { name: 'Sim desktop' }).isVisible(), true);

    // The Sharing menu sits next to the user's name and lists the profiles.
    await alice.getByRole('button', { name: 'Account menu for Alice Martin' }).waitFor();
    const sharing = alice.getByRole('button', { name: /^Sharing/ });
    await sharing.waitFor();
    await sharing.click();
    const profiles = alice.locator('.share-profile-name');
    await profiles.first().waitFor();
    assert.deepEqual(await profiles.allTextContents(), ['Pair programming', 'Watch only']);

    await alice.getByRole('button', { name: /Create a link: Watch only/ }).click();
    const url = alice.locator('.share-url');
    await url.waitFor();
    const value = await url.inputValue();
    const m = /#\/share\/([A-Za-z0-9_-]{20,})$/.exec(value);
    assert.ok(m, `a share URL: ${value}`);
    readOnlyKey = m[1];
    await alice.getByRole('button', { name: 'Copy link', exact: true }).waitFor();
    // The session's links are listed with revoke.
    await alice.locator('.share-link').first().waitFor();
    assert.equal(await alice.locator('.share-link').count(), 1);
    await alice.getByRole('button', { name: /^Revoke link Watch only/ }).waitFor();
    await shot(alice, 'session-sharing-menu');

    // Close the menu: the desktop has the keyboard again.
    await closeMenu(alice);
  });

  test('an anonymous viewer opens the link, sees the same screen and has no menus; alice is told', async () => {
    const before = await alice.evaluate(screenChecksum);
    // Toasts fade after a few seconds: watch for it from before the viewer arrives.
    const toast = alice.getByRole('log').getByText('Anonymous joined').waitFor();
    anon = await newPage(browser);
    await anon.goto(`${gateway.url}/#/share/${readOnlyKey}`);
    await connected(anon, 'anonymous viewer');

    // alice: a toast in the upper-right corner and the indicator at 1.
    await toast;
    const indicator = alice.locator('.presence-button');
    await indicator.waitFor();
    assert.equal((await indicator.textContent()).trim(), '1');
    await indicator.hover();
    const tip = alice.getByRole('tooltip');
    await tip.waitFor();
    assert.match(await tip.textContent(), /Anonymous\s*1 connection/);
    const corner = await alice.locator('.session-corner').boundingBox();
    assert.ok(corner.x + corner.width > 1200 && corner.y < 40, `toasts and indicator are upper-right: ${JSON.stringify(corner)}`);
    await shot(alice, 'session-toast-indicator');

    await painted(anon, 'anonymous viewer');
    await waitInPage(anon, 'the viewer shows the same screen', (sum) => {
      const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let hash = 2166136261;
      for (let i = 0; i < d.length; i += 4) {
        hash ^= d[i] | (d[i + 1] << 8) | (d[i + 2] << 16);
        hash = Math.imul(hash, 16777619) >>> 0;
      }
      return `${canvas.width}x${canvas.height}:${hash}` === sum;
    }, before);
    assert.equal(await anon.evaluate(() => window.porthole.readOnly), true);
    await anon.getByText('View only').waitFor();
    // The live session only: no user menu, no sharing menu, no connection menu.
    assert.equal(await anon.getByRole('button', { name: /Account menu/ }).count(), 0);
    assert.equal(await anon.getByRole('button', { name: /Sharing/ }).count(), 0);
    assert.equal(await anon.getByRole('button', { name: /connection menu/ }).count(), 0);
    await shot(anon, 'anonymous-viewer');
    assert.deepEqual(anon.problems, []);
  });

  test('the read-only viewer’s typing and clicking never reach the desktop', async () => {
    const before = await alice.evaluate(screenChecksum);
    // Through the page, as a person would.
    await anon.mouse.click(600, 400);
    await anon.keyboard.type('xyz');
    // And straight into its tunnel, bypassing the page: the gateway must drop it.
    await anon.evaluate(() => {
      const c = window.porthole.client;
      for (const keysym of [0x71, 0x72]) {
        c.sendKeyEvent(1, keysym);
        c.sendKeyEvent(0, keysym);
      }
      c.sendMouseState({ x: 300, y: 300, left: true, middle: false, right: false, up: false, down: false });
      c.sendMouseState({ x: 300, y: 300, left: false, middle: false, right: false, up: false, down: false });
    });
    await alice.waitForTimeout(1000);
    for (const keysym of [0x78, 0x79, 0x7a, 0x71, 0x72]) {
      assert.equal(await alice.evaluate(colourCount, keyColour(keysym)), 0, `no marker for keysym ${keysym.toString(16)}`);
    }
    assert.equal(await alice.evaluate(screenChecksum), before, 'the desktop did not change');
    assert.equal(await anon.evaluate(() => window.porthole.state), 3, 'the viewer is still connected');

    // alice's own typing does reach it, and the viewer sees it.
    await alice.locator('.session-screen').focus();
    await alice.keyboard.press('a');
    await waitInPage(alice, 'alice’s key marker', (c) => {
      const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, 200).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] === c[0] && d[i + 1] === c[1] && d[i + 2] === c[2]) return true;
      return false;
    }, keyColour(0x61));
    await waitInPage(anon, 'the viewer sees alice’s marker', (c) => {
      const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, 200).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] === c[0] && d[i + 1] === c[1] && d[i + 2] === c[2]) return true;
      return false;
    }, keyColour(0x61));
  });

  test('the viewer leaves: alice is told and the indicator goes away', async () => {
    const toast = alice.getByRole('log').getByText('Anonymous left').waitFor();
    await anon.context().close();
    await toast;
    await alice.locator('.presence').waitFor({ state: 'hidden' });
    assert.equal(await alice.evaluate(() => window.porthole.roster.count), 0);
  });

  test('bob, signed in, joins with control: he shows by name and his typing reaches the desktop', async () => {
    // alice mints a one-use link with control.
    await openMenu(alice);
    await alice.getByRole('button', { name: /^Sharing/ }).click();
    await alice.getByLabel('Can be used').selectOption({ label: 'Once' });
    await alice.getByRole('button', { name: /Create a link: Pair programming/ }).click();
    await alice.locator('.share-new label', { hasText: 'Pair programming' }).waitFor();
    const key = /#\/share\/(.+)$/.exec(await alice.locator('.share-url').inputValue())[1];
    await closeMenu(alice);

    bob = await newPage(browser);
    await signInUi(bob, gateway.url, 'bob', bobPassword);
    assert.equal(await bob.locator('.connection').count(), 0, 'bob has no connections of his own');
    const toast = alice.getByRole('log').getByText('bob joined').waitFor();
    await bob.goto(`${gateway.url}/#/share/${key}`);
    await connected(bob, 'bob');
    await painted(bob, 'bob');
    assert.equal(await bob.evaluate(() => window.porthole.readOnly), false);
    assert.equal(await bob.getByText('View only').isVisible(), false);

    await toast;
    await alice.locator('.presence-button').hover();
    assert.match(await alice.getByRole('tooltip').textContent(), /bob\s*1 connection/);

    await bob.locator('.session-screen').focus();
    await bob.keyboard.press('b');
    await waitInPage(alice, 'bob’s key marker on alice’s screen', (c) => {
      const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, 200).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] === c[0] && d[i + 1] === c[1] && d[i + 2] === c[2]) return true;
      return false;
    }, keyColour(0x62));

    // The one-use link is used up: a second browser gets the invalid-link page.
    const late = await newPage(browser);
    await late.goto(`${gateway.url}/#/share/${key}`);
    await late.getByRole('heading', { name: 'This link no longer works' }).waitFor();
    await late.context().close();
  });

  test('the indicator is right again after alice reloads her page', async () => {
    await alice.reload();
    await connected(alice, 'alice after reload');
    await waitInPage(alice, 'the roster after the reload', () => window.porthole.roster.count === 1);
    const indicator = alice.locator('.presence-button');
    await indicator.waitFor();
    assert.equal((await indicator.textContent()).trim(), '1');
    await indicator.hover();
    assert.match(await alice.getByRole('tooltip').textContent(), /bob\s*1 connection/);
    // bob stayed on the same session all along.
    assert.equal(await bob.evaluate(() => window.porthole.state), 3);
    // The links minted before the reload are still listed (and copyable).
    await openMenu(alice);
    await alice.getByRole('button', { name: /^Sharing/ }).click();
    await alice.locator('.share-link').first().waitFor();
    await alice.getByRole('button', { name: /^Copy link Watch only/ }).waitFor();

    // Revoking a link: it leaves the list and stops working.
    await alice.getByRole('button', { name: /^Revoke link Watch only/ }).click();
    await alice.getByText('Link “Watch only” revoked.').waitFor();
    assert.equal(await alice.getByRole('button', { name: /^Revoke link Watch only/ }).count(), 0);
    const redeem = await api(gateway.url, 'POST', 'api/share/redeem', { body: { key: readOnlyKey } });
    assert.equal(redeem.status, 404);
    assert.equal(redeem.body.error, 'this share link is no longer valid');
    await closeMenu(alice);
  });

  test('an administrator watches from Active Sessions, then ends the session for everyone', async () => {
    admin = await newPage(browser);
    await signInUi(admin, gateway.url, 'admin', gateway.adminPassword);
    // alice's desktop is hers (share-admin.md): it is not on the administrator's own list,
    // but the administrator monitors her session (R51).
    await admin.getByRole('link', { name: 'Settings', exact: true }).click();
    await admin.getByRole('link', { name: 'Active sessions' }).click();
    const row = admin.locator('tr[data-session-id]', { hasText: 'Sim desktop' });
    await row.waitFor();
    assert.equal(await row.locator('[data-viewers]').getAttribute('data-viewers'), '1');
    await admin.getByLabel('Search sessions').fill('no such thing');
    await admin.getByText('No sessions match').waitFor();
    await admin.getByLabel('Search sessions').fill('alice');
    await row.waitFor();
    await shot(admin, 'admin-active-sessions');

    // Watch (read-only, the default action).
    const joinedToast = alice.getByRole('log').getByText('admin joined').waitFor();
    await row.getByRole('link', { name: /^Watch/ }).click();
    await connected(admin, 'admin watching');
    await painted(admin, 'admin watching');
    assert.equal(await admin.evaluate(() => window.porthole.readOnly), true);
    await joinedToast;
    await waitInPage(alice, 'indicator at 2', () => window.porthole.roster.count === 2);
    await admin.locator('.session-screen').focus();
    await admin.keyboard.type('q');
    await admin.waitForTimeout(500);
    assert.equal(await alice.evaluate(colourCount, keyColour(0x71)), 0, 'the watching admin cannot type');

    // Back to the list: the count follows (polled).
    const leftToast = alice.getByRole('log').getByText('admin left').waitFor();
    await admin.getByRole('button', { name: 'Back to active sessions' }).click();
    await admin.locator('tr[data-session-id] [data-viewers="1"]').waitFor();
    await leftToast;

    // Join with control, from the row's menu: the admin's typing reaches the desktop.
    await admin.getByRole('button', { name: /^More actions for alice/ }).click();
    await admin.getByRole('menuitem', { name: 'Join with control' }).click();
    await connected(admin, 'admin joined with control');
    assert.equal(await admin.evaluate(() => window.porthole.readOnly), false);
    await admin.locator('.session-screen').focus();
    await admin.keyboard.press('j');
    await waitInPage(alice, 'the admin’s key marker', (c) => {
      const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, 200).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] === c[0] && d[i + 1] === c[1] && d[i + 2] === c[2]) return true;
      return false;
    }, keyColour(0x6a));
    await admin.getByRole('button', { name: 'Back to active sessions' }).click();
    await admin.locator('tr[data-session-id] [data-viewers="1"]').waitFor();

    // Select it and end it.
    const live = admin.locator('tr[data-session-id]', { hasText: 'Sim desktop' });
    await live.getByRole('checkbox').check();
    await admin.getByRole('button', { name: 'End selected (1)' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByText('2 people will be disconnected').waitFor();
    await dialog.getByRole('button', { name: 'End session' }).click();
    await admin.getByText('No live sessions right now.').waitFor();

    // Both others see the ended status.
    await waitInPage(alice, 'alice sees the session ended', () => window.porthole.error?.code === 523);
    await alice.getByRole('heading', { name: 'Session ended' }).waitFor();
    await alice.getByRole('button', { name: 'Reconnect' }).waitFor();
    await waitInPage(bob, 'bob sees the session ended', () => window.porthole.error?.code === 523);
    await bob.getByRole('heading', { name: 'The session has ended' }).waitFor();
    await shot(bob, 'viewer-session-ended');
  });

  test('session history lists the session and who joined it', async () => {
    await admin.getByRole('link', { name: 'History' }).click();
    const row = admin.locator('tr[data-history-id]', { hasText: 'Sim desktop' }).first();
    await row.waitFor();
    await row.getByRole('button', { name: /^People on/ }).click();
    const detail = admin.locator('.detail-row');
    await detail.getByText('bob').waitFor();
    await detail.getByText('Anonymous').waitFor();
    // The admin twice: watching, then with control.
    await detail.getByText('Administrator, watching').waitFor();
    await detail.getByText('Administrator, with control').waitFor();
    assert.equal(await detail.getByText('admin', { exact: true }).count(), 2);
    await shot(admin, 'admin-history');
  });

  test('an expired link shows the invalid-link page', async () => {
    await alice.getByRole('button', { name: 'Reconnect' }).click();
    await connected(alice, 'alice reconnecting');
    await waitInPage(alice, 'the new live session', () => !!window.porthole.session?.id);
    const sessionId = await alice.evaluate(() => window.porthole.session.id);
    const token = await alice.evaluate(() => JSON.parse(sessionStorage.getItem('porthole.session')).token);
    const profiles = await api(gateway.url, 'GET', `api/connections/${connectionId}/sharing-profiles`, { token });
    const watch = profiles.body.find((p) => p.name === 'Watch only');
    const minted = await api(gateway.url, 'POST', `api/sessions/${sessionId}/links`, {
      token,
      body: { profile_id: watch.id, expires_in_secs: 1 },
    });
    assert.equal(minted.status, 201, minted.text);
    const key = minted.body.url.split('#/share/')[1];
    await new Promise((r) => setTimeout(r, 1500));
    const late = await newPage(browser);
    await late.goto(`${gateway.url}/#/share/${key}`);
    await late.getByRole('heading', { name: 'This link no longer works' }).waitFor();
    assert.match(await late.locator('.session-card').textContent(), /expired/);
    assert.equal(await late.getByRole('button').count(), 0, 'nothing to do for someone without an account');
    await shot(late, 'invalid-link');
    await late.context().close();
  });
});
