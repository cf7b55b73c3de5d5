// The unmodified guacamole-common-js 1.5.0 (served by the gateway at
// /vendor/guacamole-common.js, loaded by /stock-test.html) against the real
// gateway and guacd-sim: the gateway must speak the stock WebSocket tunnel.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import {
  Cleanup,
  SIM_PROBES,
  UUID_RE,
  assertColour,
  createSimConnection,
  launchBrowser,
  missingPrerequisites,
  newPage,
  signIn,
  startGateway,
  startSimulator,
  waitInPage,
} from './harness.mjs';

const skip = missingPrerequisites({ binaries: ['porthole', 'guacd-sim'], chromium: true });
const require = createRequire(import.meta.url);

describe('stock guacamole-common-js through the gateway', () => {
  if (skip) {
    test('needs the Rust binaries and Chromium', { skip }, () => {});
    return;
  }
  const cleanup = new Cleanup();
  let gateway;
  let token;
  let connectionId;
  let browser;

  before(async () => {
    const sim = await startSimulator();
    cleanup.add(() => sim.stop());
    gateway = await startGateway();
    cleanup.add(() => gateway.stop());
    token = await signIn(gateway.url, 'admin', gateway.adminPassword);
    connectionId = await createSimConnection(gateway.url, token, sim);
    browser = await launchBrowser();
    cleanup.add(() => browser.close());
  });

  after(() => cleanup.run());

  test('the gateway serves the stock library unmodified', async () => {
    const res = await fetch(`${gateway.url}/vendor/guacamole-common.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    const served = Buffer.from(await res.arrayBuffer());
    const stock = readFileSync(require.resolve('guacamole-common-js'));
    assert.ok(served.equals(stock), 'served file is byte-identical to guacamole-common-js 1.5.0 dist/cjs');
  });

  test('stock client reaches CONNECTED, gets a tunnel UUID and draws the simulator desktop', async () => {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/stock-test.html`);
    const data =
      `token=${encodeURIComponent(token)}&GUAC_ID=${encodeURIComponent(connectionId)}` +
      '&GUAC_TYPE=c&GUAC_WIDTH=1024&GUAC_HEIGHT=768&GUAC_DPI=96&GUAC_IMAGE=image/png';
    await page.evaluate((d) => window.stockTest.connect(d), data);

    await waitInPage(
      page,
      'Guacamole.Client state CONNECTED (3)',
      () => window.stockTest.states.includes(3) || window.stockTest.errors.length > 0,
    );
    const { states, errors, uuid } = await page.evaluate(() => ({
      states: window.stockTest.states,
      errors: window.stockTest.errors,
      uuid: window.stockTest.tunnel.uuid,
    }));
    assert.deepEqual(errors, [], 'no tunnel or client errors');
    assert.ok(states.includes(3), `states seen: ${states.join(',')}`);
    assert.equal(typeof uuid, 'string');
    assert.equal(uuid.length, 36);
    assert.match(uuid, UUID_RE);

    // Pixels arrive with the first frame; wait until the background is painted.
    await waitInPage(page, 'the first frame to be drawn', () => {
      const [r, g, b] = window.stockTest.pixel(512, 384);
      return Math.abs(r - 51) <= 2 && Math.abs(g - 102) <= 2 && Math.abs(b - 204) <= 2;
    });
    for (const probe of SIM_PROBES) {
      assertColour(await page.evaluate(({ x, y }) => window.stockTest.pixel(x, y), probe), probe.rgb, probe.label);
    }

    // Still connected well past the 1.5 s "unstable" threshold: the desktop is idle,
    // so only the gateway's answers to the tunnel's pings keep data flowing.
    await page.waitForTimeout(2500);
    const late = await page.evaluate(() => ({
      state: window.stockTest.states.at(-1),
      tunnelState: window.stockTest.tunnel.state,
      tunnelStates: window.stockTest.tunnelStates,
      errors: window.stockTest.errors,
    }));
    assert.equal(late.state, 3);
    assert.deepEqual(late.errors, []);
    assert.equal(late.tunnelState, 1, `tunnel OPEN, states seen: ${late.tunnelStates.join(',')}`);
    assert.ok(!late.tunnelStates.includes(3), 'tunnel never went UNSTABLE (pings are answered)');

    await page.evaluate(() => window.stockTest.disconnect());
    await page.context().close();
  });

  test('a bad token is refused with CLIENT_UNAUTHORIZED (769)', async () => {
    const page = await newPage(browser);
    await page.goto(`${gateway.url}/stock-test.html`);
    const data =
      `token=not-a-token&GUAC_ID=${encodeURIComponent(connectionId)}` +
      '&GUAC_TYPE=c&GUAC_WIDTH=1024&GUAC_HEIGHT=768&GUAC_DPI=96&GUAC_IMAGE=image/png';
    await page.evaluate((d) => window.stockTest.connect(d), data);
    await waitInPage(page, 'a tunnel error', () => window.stockTest.errors.length > 0);
    const errors = await page.evaluate(() => window.stockTest.errors);
    assert.equal(errors[0].code, 769, `errors: ${JSON.stringify(errors)}`);
    assert.ok(!(await page.evaluate(() => window.stockTest.states.includes(3))));
    await page.context().close();
  });
});
