// The Porthole web client (client-js, served by the gateway at /) against the
// real gateway and guacd-sim: sign in, list, open the session, check pixels.
// (The screenshots in docs/screenshots come from sharing.test.mjs and admin.test.mjs.)

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Cleanup,
  REPO_ROOT,
  SIM_PROBES,
  UUID_RE,
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

function layerPixel({ x, y }) {
  const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
  return Array.from(canvas.getContext('2d').getImageData(x, y, 1, 1).data);
}

describe('Porthole web client through the gateway', () => {
  if (skip) {
    test('needs the Rust binaries and Chromium', { skip }, () => {});
    return;
  }
  const cleanup = new Cleanup();
  let gateway;
  let connectionId;
  let browser;
  const shots = screenshotDir(path.join(REPO_ROOT, 'test-artifacts', 'screenshots'));

  before(async () => {
    const sim = await startSimulator();
    cleanup.add(() => sim.stop());
    gateway = await startGateway();
    cleanup.add(() => gateway.stop());
    const token = await signIn(gateway.url, 'admin', gateway.adminPassword);
    connectionId = await createSimConnection(gateway.url, token, sim, 'Sim desktop');
    browser = await launchBrowser();
    cleanup.add(() => browser.close());
  });

  after(() => cleanup.run());

  test('wrong password shows the server error text', async () => {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'sign-in.png') });

    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(`${gateway.adminPassword}-wrong`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/tokens'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    assert.equal(response.status(), 401);
    const body = await response.json();
    assert.equal(typeof body.error, 'string');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    // The server's text, shown as a sentence.
    const sentence = `${body.error.charAt(0).toUpperCase()}${body.error.slice(1)}${/[.!?]$/.test(body.error) ? '' : '.'}`;
    assert.equal((await alert.textContent()).trim(), sentence);
    await page.context().close();
  });

  test('sign in, see "Sim desktop", open it and see the simulator desktop', async () => {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(gateway.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const link = page.getByRole('link', { name: /Sim desktop/ });
    await link.waitFor();
    await page.screenshot({ path: path.join(shots, 'connections.png') });

    await link.click();
    assert.match(page.url(), new RegExp(`#/client/${encodeURIComponent(connectionId)}$`));
    await waitInPage(
      page,
      'client state CONNECTED (3) or an error',
      () => window.porthole?.state === 3 || window.porthole?.phase === 'error',
    );
    const info = await page.evaluate(() => ({
      state: window.porthole.state,
      phase: window.porthole.phase,
      error: window.porthole.error,
      uuid: window.porthole.tunnel?.uuid,
    }));
    assert.equal(info.state, 3, `session failed: ${JSON.stringify(info)}`);
    assert.match(info.uuid, UUID_RE);

    await waitInPage(page, 'the first frame to be drawn', () => {
      const canvas = window.porthole.client.getDisplay().getDefaultLayer().getCanvas();
      const [r, g, b] = canvas.getContext('2d').getImageData(512, 384, 1, 1).data;
      return Math.abs(r - 51) <= 2 && Math.abs(g - 102) <= 2 && Math.abs(b - 204) <= 2;
    });
    for (const probe of SIM_PROBES) {
      assertColour(await page.evaluate(layerPixel, probe), probe.rgb, probe.label);
    }
    await page.screenshot({ path: path.join(shots, 'session.png') });

    await page.getByRole('button', { name: 'Open the connection menu' }).click();
    await page.getByRole('button', { name: 'Back to connections' }).click();
    await page.getByRole('heading', { name: 'Connections' }).waitFor();
    await page.context().close();
  });

  test('an unknown connection id shows an error with a reconnect button', async () => {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(gateway.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: /Sim desktop/ }).waitFor();

    await page.goto(`${gateway.url}/#/client/no-such-connection`);
    await waitInPage(page, 'error overlay', () => window.porthole?.phase === 'error');
    const error = await page.evaluate(() => window.porthole.error);
    assert.ok(error.code >= 0x0200, `a Guacamole error status, got ${JSON.stringify(error)}`);
    await page.getByRole('alert').waitFor();
    await page.getByRole('button', { name: /Reconnect|Sign in again/ }).waitFor();
    await page.context().close();
  });
});
