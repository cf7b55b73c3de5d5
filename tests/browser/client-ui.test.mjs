// The Porthole web client (client-js/dist) and the stock test page in headless
// Chromium against mock-gateway.mjs, a Node stand-in for the gateway. Needs only
// Chromium and a client build, not the Rust binaries, so it pins the browser
// side's behaviour on its own: REST calls, error texts, the exact connect data,
// the tunnel, drawing, resize, input, and the error overlay.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CLIENT_DIST,
  REPO_ROOT,
  SIM_PROBES,
  UUID_RE,
  assertColour,
  launchBrowser,
  missingPrerequisites,
  newPage,
  screenshotDir,
  waitInPage,
} from './harness.mjs';
import { startMockGateway } from './mock-gateway.mjs';

const skip = missingPrerequisites({ chromium: true, clientDist: true });
const PASSWORD = 'correct horse';

describe('web client against the mock gateway', () => {
  if (skip) {
    test('needs Chromium and a client-js build', { skip }, () => {});
    return;
  }
  let gateway;
  let browser;
  const shots = screenshotDir(path.join(REPO_ROOT, 'test-artifacts', 'screenshots'));

  before(async () => {
    gateway = await startMockGateway({
      distDir: CLIENT_DIST,
      password: PASSWORD,
      connections: [
        { id: '1', name: 'Sim desktop', protocol: 'vnc' },
        { id: 'a/b c', name: 'Odd id', protocol: 'rdp' },
        { id: 'gone', name: 'Broken host', protocol: 'ssh' },
        { id: 'flaky', name: 'Flaky network', protocol: 'vnc' },
        { id: 'clip', name: 'Clipboard desk', protocol: 'rdp' },
      ],
      clipboard: { clip: 'copied on the remote side' },
      failures: { gone: { code: 0x0207 } },
      drops: { flaky: 1 },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  async function signedInPage() {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: /Sim desktop/ }).waitFor();
    return page;
  }

  test('sign-in page is shown first and is labelled', async () => {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.match(page.url(), /#\/login$/);
    assert.equal(await page.getByLabel('Username').getAttribute('autocomplete'), 'username');
    assert.equal(await page.getByLabel('Password').getAttribute('type'), 'password');
    await page.screenshot({ path: path.join(shots, 'sign-in.png') });
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('wrong password shows the server error text', async () => {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/#/login`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    // The server's text, shown as a sentence.
    assert.equal((await alert.textContent()).trim(), 'Invalid username or password.');
    assert.equal(await page.getByLabel('Password').inputValue(), '');
    await page.context().close();
  });

  test('lock-out (429 + Retry-After) shows the text and disables the button', async () => {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/#/login`);
    gateway.state.lockoutSeconds = 30;
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').textContent(), /too many failed sign-ins/i);
    assert.equal(await page.locator('button[type=submit]').isDisabled(), true);
    assert.match(await page.locator('button[type=submit]').textContent(), /Try again in \d+ s/);
    await page.context().close();
  });

  test('network failure says the server cannot be reached', async () => {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/#/login`);
    await page.route('**/api/tokens', (route) => route.abort('connectionrefused'));
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').textContent(), /Cannot reach the server/);
    await page.context().close();
  });

  test('sign-in lists connections, keeps the token in sessionStorage, and signs out', async () => {
    const page = await signedInPage();
    const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('porthole.session')));
    assert.equal(typeof stored.token, 'string');
    assert.ok(gateway.state.tokens.has(stored.token));
    const list = gateway.state.requests.filter((r) => r.path === '/api/connections');
    assert.equal(list.at(-1).authorization, `Bearer ${stored.token}`);

    const names = await page.locator('.connection-name').allTextContents();
    assert.deepEqual(names, ['Broken host', 'Clipboard desk', 'Flaky network', 'Odd id', 'Sim desktop']);
    assert.equal(
      await page.getByRole('link', { name: /Odd id/ }).getAttribute('href'),
      '#/client/a%2Fb%20c',
    );
    await page.screenshot({ path: path.join(shots, 'connections.png') });

    await page.getByRole('button', { name: /^Account menu/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.ok(!gateway.state.tokens.has(stored.token), 'DELETE /api/tokens/current revoked the token');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('porthole.session')), null);
    await page.context().close();
  });

  test('session view connects like the stock web app and draws the desktop', async () => {
    const page = await signedInPage();
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('porthole.session')).token);
    const before = gateway.state.tunnels.length;
    await page.getByRole('link', { name: /Sim desktop/ }).click();
    assert.match(page.url(), /#\/client\/1$/);

    await waitInPage(page, 'client state CONNECTED', () => window.porthole?.state === 3);
    const tunnel = gateway.state.tunnels[before];
    assert.ok(tunnel, 'a tunnel was opened');

    // Connect data: same names, order and repetition as the stock web app.
    const q = [...tunnel.query.entries()];
    const tz = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    assert.deepEqual(q, [
      ['token', token],
      ['GUAC_ID', '1'],
      ['GUAC_TYPE', 'c'],
      ['GUAC_WIDTH', '1280'],
      ['GUAC_HEIGHT', '800'],
      ['GUAC_DPI', '96'],
      ['GUAC_TIMEZONE', tz],
      ['GUAC_IMAGE', 'image/png'],
      ['GUAC_IMAGE', 'image/jpeg'],
      ['GUAC_IMAGE', 'image/webp'],
      ['GUAC_AUDIO', 'audio/L8'],
      ['GUAC_AUDIO', 'audio/L16'],
    ]);
    assert.equal(tunnel.origin, gateway.url);

    const info = await page.evaluate(() => ({
      uuid: window.porthole.tunnel.uuid,
      phase: window.porthole.phase,
      overlayHidden: document.querySelector('.session-overlay').hidden,
    }));
    assert.match(info.uuid, UUID_RE);
    assert.equal(info.uuid, tunnel.uuid);
    assert.equal(info.phase, 'connected');
    assert.equal(info.overlayHidden, true);

    for (const probe of SIM_PROBES) {
      const px = await page.evaluate(
        ({ x, y }) =>
          Array.from(
            window.porthole.client.getDisplay().getDefaultLayer().getCanvas().getContext('2d').getImageData(x, y, 1, 1)
              .data,
          ),
        probe,
      );
      assertColour(px, probe.rgb, probe.label);
    }
    await page.screenshot({ path: path.join(shots, 'session.png') });

    // Input reaches the tunnel.
    await page.mouse.move(300, 200);
    await page.mouse.down();
    await page.mouse.up();
    await page.keyboard.press('a');
    const deadline = Date.now() + 5000;
    const seen = () => ({
      mouse: tunnel.received.some(([op]) => op === 'mouse'),
      key: tunnel.received.some(([op, keysym, pressed]) => op === 'key' && keysym === '97' && pressed === '1'),
    });
    while ((!seen().mouse || !seen().key) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen(), { mouse: true, key: true });

    // Resizing the window asks the server for a new size.
    await page.setViewportSize({ width: 1000, height: 700 });
    while (!tunnel.received.some(([op]) => op === 'size') && Date.now() < deadline + 5000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const size = tunnel.received.find(([op]) => op === 'size');
    assert.deepEqual(size, ['size', '1000', '700']);
    await waitInPage(page, 'display follows the new size', () => {
      const d = window.porthole.client.getDisplay();
      return d.getWidth() === 1000 && d.getHeight() === 700;
    });

    // Leaving the view (from the connection menu) disconnects.
    await page.getByRole('button', { name: 'Open the connection menu' }).click();
    await page.getByRole('button', { name: 'Back to connections' }).click();
    await page.getByRole('heading', { name: 'Connections' }).waitFor();
    assert.equal(await page.evaluate(() => window.porthole), undefined);
    const closeDeadline = Date.now() + 5000;
    while (!tunnel.closed && Date.now() < closeDeadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(tunnel.closed, 'tunnel closed after leaving the session');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('an upstream failure shows a sentence and a reconnect button', async () => {
    const page = await signedInPage();
    await page.getByRole('link', { name: /Broken host/ }).click();
    await waitInPage(page, 'error phase', () => window.porthole?.phase === 'error');
    assert.equal(await page.evaluate(() => window.porthole.error.code), 519);
    const alert = page.getByRole('alert');
    assert.equal(
      (await alert.textContent()).trim(),
      'The remote desktop could not be found or reached.',
    );
    const before = gateway.state.tunnels.length;
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await waitInPage(page, 'second attempt fails too', () => window.porthole?.phase === 'error');
    assert.equal(gateway.state.tunnels.length, before + 1, 'reconnect opened a new tunnel');
    await page.context().close();
  });

  test('a dropped connection is retried by itself, with a "Reconnecting" overlay', async () => {
    const page = await signedInPage();
    const before = gateway.state.tunnels.length;
    await page.getByRole('link', { name: /Flaky network/ }).click();
    await waitInPage(page, 'first connection', () => window.porthole?.state === 3);
    await waitInPage(page, 'reconnecting phase', () => window.porthole?.phase === 'reconnecting');
    await page.getByRole('heading', { name: /^Reconnecting to Flaky network/ }).waitFor();
    await waitInPage(page, 'connected again', () => window.porthole?.phase === 'connected' && window.porthole.state === 3);
    assert.equal(gateway.state.tunnels.length, before + 2, 'one automatic reconnection');
    await page.context().close();
  });

  test('clipboard: remote text shows in the menu, text typed there is sent', async () => {
    const page = await signedInPage();
    const before = gateway.state.tunnels.length;
    await page.getByRole('link', { name: /Clipboard desk/ }).click();
    await waitInPage(page, 'connected', () => window.porthole?.state === 3);
    const tunnel = gateway.state.tunnels[before];
    await page.getByRole('button', { name: 'Open the connection menu' }).click();
    const field = page.getByRole('textbox', { name: 'Clipboard', exact: true });
    await waitInPage(page, 'the remote clipboard in the menu', () => document.querySelector('.clipboard')?.value === 'copied on the remote side');
    await field.fill('typed in the browser');
    const deadline = Date.now() + 5000;
    const sent = () => {
      const open = tunnel.received.find(([op, , mime]) => op === 'clipboard' && mime === 'text/plain');
      if (!open) return null;
      const blobs = tunnel.received.filter(([op, idx]) => op === 'blob' && idx === open[1]).map(([, , b64]) => b64);
      return Buffer.from(blobs.join(''), 'base64').toString('utf8');
    };
    while (sent() !== 'typed in the browser' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sent(), 'typed in the browser');
    assert.ok(tunnel.received.some(([op]) => op === 'end'), 'the clipboard stream is closed');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('a deep link while signed out returns there after sign-in', async () => {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/#/client/1`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitInPage(page, 'client state CONNECTED', () => window.porthole?.state === 3);
    assert.match(page.url(), /#\/client\/1$/);
    await page.context().close();
  });

  test('phone-sized viewport: list and session fit the screen', async () => {
    const page = await newPage(browser, { viewport: { width: 390, height: 844 } });
    await page.goto(`${gateway.url}/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: /Sim desktop/ }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, 'no horizontal scrolling on a phone');
    await page.getByRole('link', { name: /Sim desktop/ }).click();
    await waitInPage(page, 'client state CONNECTED', () => window.porthole?.state === 3);
    const box = await page.locator('.guac-display').boundingBox();
    assert.ok(box.width <= 390 + 1 && box.height <= 844 + 1, `display fits: ${JSON.stringify(box)}`);
    await page.context().close();
  });
});

describe('stock test page against the mock gateway', () => {
  if (skip) {
    test('needs Chromium and a client-js build', { skip }, () => {});
    return;
  }
  let gateway;
  let browser;

  before(async () => {
    gateway = await startMockGateway({ distDir: CLIENT_DIST, password: PASSWORD });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  test('stock guacamole-common-js reaches CONNECTED and draws the desktop', async () => {
    const res = await fetch(`${gateway.url}/api/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const { token } = await res.json();

    const page = await newPage(browser);
    await page.goto(`${gateway.url}/stock-test.html`);
    const data = `token=${encodeURIComponent(token)}&GUAC_ID=1&GUAC_TYPE=c&GUAC_WIDTH=1024&GUAC_HEIGHT=768&GUAC_DPI=96&GUAC_IMAGE=image/png`;
    await page.evaluate((d) => window.stockTest.connect(d), data);
    await waitInPage(page, 'stock client CONNECTED', () => window.stockTest.states.includes(3));
    assert.match(await page.evaluate(() => window.stockTest.tunnel.uuid), UUID_RE);
    assert.deepEqual(await page.evaluate(() => window.stockTest.size()), [1024, 768]);
    for (const probe of SIM_PROBES) {
      assertColour(await page.evaluate(({ x, y }) => window.stockTest.pixel(x, y), probe), probe.rgb, probe.label);
    }
    // The page must not load Porthole's bundle.
    const scripts = await page.evaluate(() => [...document.scripts].map((s) => s.getAttribute('src')));
    assert.deepEqual(scripts, ['stock-test-shim.js', 'vendor/guacamole-common.js', 'stock-test.js']);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
