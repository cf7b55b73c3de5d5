// The settings pages of the Porthole web client against the real gateway: creating,
// editing and deleting connections with the per-protocol forms (secrets stay
// write-only), sharing profiles (list, "New Sharing Profile", edit, clone, delete),
// keyboard use of menus and dialogs, the phone layout, and that the pages are for
// administrators only. Saves docs/screenshots/admin-connections.png and
// admin-connection.png.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Cleanup,
  api,
  createSimConnection,
  launchBrowser,
  missingPrerequisites,
  newPage,
  screenshotDir,
  signIn,
  startGateway,
  startSimulator,
} from './harness.mjs';

const skip = missingPrerequisites({ binaries: ['porthole', 'guacd-sim'], chromium: true });

async function signInUi(page, url, username, password) {
  await page.goto(`${url}/#/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Connections' }).waitFor();
}

describe('settings pages', () => {
  if (skip) {
    test('needs the Rust binaries and Chromium', { skip }, () => {});
    return;
  }
  const cleanup = new Cleanup();
  const shots = screenshotDir();
  let gateway;
  let browser;
  let token;
  let page;
  let officeId;

  before(async () => {
    const sim = await startSimulator();
    cleanup.add(() => sim.stop());
    gateway = await startGateway();
    cleanup.add(() => gateway.stop());
    token = await signIn(gateway.url, 'admin', gateway.adminPassword);
    for (const name of ['Sim desktop', 'Build server', 'Design workstation']) await createSimConnection(gateway.url, token, sim, name);
    const r = await api(gateway.url, 'POST', 'api/users', {
      token,
      body: { username: 'carol', password: 'carol-is-not-admin', display_name: 'Carol Diaz' },
    });
    assert.equal(r.status, 201, r.text);
    browser = await launchBrowser();
    cleanup.add(() => browser.close());
    page = await newPage(browser);
    await signInUi(page, gateway.url, 'admin', gateway.adminPassword);
  });

  after(() => cleanup.run());

  test('create an RDP connection with the protocol form; the password stays secret', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Connections' }).waitFor();
    await page.getByRole('link', { name: 'New connection' }).click();
    await page.getByRole('heading', { name: 'New connection' }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill('Office PC');
    await page.getByLabel('Protocol').selectOption('rdp');
    const host = page.getByLabel('Host name or address (required)');
    await host.fill('10.0.0.5');
    // Every field carries its help text for screen readers.
    assert.match(await host.getAttribute('aria-describedby'), /help/);
    await page.getByLabel('Port', { exact: true }).fill('3389');
    await page.getByLabel('User name', { exact: true }).fill('me');
    await page.locator('input[data-param="password"]').fill('s3cret-pass');
    await page.getByLabel('Domain', { exact: true }).fill('CORP');
    await page.getByLabel('Security mode').selectOption('nla');
    await page.getByLabel('Accept any server certificate').check();

    // Switching protocol keeps what was typed.
    await page.getByLabel('Protocol').selectOption('ssh');
    assert.equal(await page.getByLabel('Host name or address (required)').inputValue(), '10.0.0.5');
    await page.getByLabel('Protocol').selectOption('rdp');
    assert.equal(await page.getByLabel('Domain', { exact: true }).inputValue(), 'CORP');

    await page.getByRole('button', { name: 'Create connection' }).click();
    await page.getByRole('heading', { name: 'Office PC' }).waitFor();
    officeId = decodeURIComponent(/#\/admin\/connections\/(.+)$/.exec(page.url())[1]);

    const d = await api(gateway.url, 'GET', `api/connections/${officeId}`, { token });
    assert.equal(d.status, 200);
    assert.equal(d.body.protocol, 'rdp');
    assert.deepEqual(d.body.parameters, {
      domain: 'CORP',
      hostname: '10.0.0.5',
      'ignore-cert': 'true',
      port: '3389',
      security: 'nla',
      username: 'me',
    });
    assert.deepEqual(d.body.secret_parameters_set, ['password']);
    assert.ok(!d.text.includes('s3cret-pass'), 'the password is never sent back');
  });

  test('edit it: an untouched secret is kept, the stored one is never shown', async () => {
    const pw = page.locator('input[data-param="password"]');
    assert.equal(await pw.inputValue(), '');
    assert.match(await pw.getAttribute('placeholder'), /stored/);
    await page.getByLabel('Name', { exact: true }).fill('Office PC (3rd floor)');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.').waitFor();
    const d = await api(gateway.url, 'GET', `api/connections/${officeId}`, { token });
    assert.equal(d.body.name, 'Office PC (3rd floor)');
    assert.deepEqual(d.body.secret_parameters_set, ['password']);
  });

  test('sharing profiles: new, edit, clone, delete', async () => {
    const list = page.locator('.profile-list .profile-name');
    await page.getByText('No sharing profiles yet.').waitFor();

    await page.getByRole('button', { name: 'New Sharing Profile' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'New sharing profile' }).waitFor();
    await dialog.getByLabel('Name').fill('Watch only');
    assert.equal(await dialog.getByLabel(/Only watch/).isChecked(), true, 'view-only is the default');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await list.first().waitFor();
    assert.deepEqual(await list.allTextContents(), ['Watch only']);

    // Edit: rename and give control.
    await page.getByRole('button', { name: 'Edit sharing profile Watch only' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Edit sharing profile' }).waitFor();
    await dialog.getByLabel('Name').fill('Pair programming');
    await dialog.getByLabel(/Watch and control/).check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Edit sharing profile Pair programming' }).waitFor();

    // Clone from the edit dialog.
    await page.getByRole('button', { name: 'Edit sharing profile Pair programming' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Clone' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name of the copy').fill('Pair programming 2');
    await dialog.getByRole('button', { name: 'Clone' }).click();
    await page.getByRole('button', { name: 'Edit sharing profile Pair programming 2' }).waitFor();
    assert.deepEqual(await list.allTextContents(), ['Pair programming', 'Pair programming 2']);

    // A duplicate name is refused with the server's reason.
    await page.getByRole('button', { name: 'New Sharing Profile' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Pair programming');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('alert').filter({ hasText: /already exists/ }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // Delete the copy (with confirmation).
    await page.getByRole('button', { name: 'Edit sharing profile Pair programming 2' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete profile' }).click();
    await page.getByRole('button', { name: 'Edit sharing profile Pair programming 2' }).waitFor({ state: 'detached' });

    // And a view-only one again, from the keyboard.
    await page.getByRole('button', { name: 'New Sharing Profile' }).focus();
    await page.keyboard.press('Enter');
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').waitFor();
    await page.keyboard.type('Watch only');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Edit sharing profile Watch only' }).waitFor();

    const profiles = await api(gateway.url, 'GET', `api/connections/${officeId}/sharing-profiles`, { token });
    assert.deepEqual(
      profiles.body.map((p) => [p.name, p.read_only]).sort(),
      [['Pair programming', false], ['Watch only', true]],
    );
    await page.screenshot({ path: path.join(shots, 'admin-connection.png'), fullPage: true });
  });

  test('the connection list; deleting asks first', async () => {
    await page.getByRole('link', { name: 'All connections' }).click();
    const rows = page.locator('tr[data-connection-id]');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 4);
    await page.screenshot({ path: path.join(shots, 'admin-connections.png') });

    await page.getByRole('button', { name: 'Delete Office PC (3rd floor)' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('This cannot be undone.').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await rows.count(), 4);
    await page.getByRole('button', { name: 'Delete Office PC (3rd floor)' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete connection' }).click();
    await page.locator(`tr[data-connection-id="${officeId}"]`).waitFor({ state: 'detached' });
    const gone = await api(gateway.url, 'GET', `api/connections/${officeId}`, { token });
    assert.equal(gone.status, 404);
  });

  test('menus and dialogs work from the keyboard', async () => {
    const account = page.getByRole('button', { name: /^Account menu/ });
    await account.focus();
    await page.keyboard.press('ArrowDown');
    const items = page.getByRole('menuitem');
    await items.first().waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('role')), 'menuitem');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Settings');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Sign out');
    await page.keyboard.press('Escape');
    await items.first().waitFor({ state: 'hidden' });
    assert.equal(await account.evaluate((el) => el === document.activeElement), true, 'focus returns to the button');

    // A dialog takes the focus and gives it back.
    const del = page.getByRole('button', { name: 'Delete Sim desktop' });
    await del.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.equal(await dialog.evaluate((d) => d.contains(document.activeElement)), true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await del.evaluate((el) => el === document.activeElement), true);
  });

  test('settings are for administrators only', async () => {
    const carol = await newPage(browser);
    await signInUi(carol, gateway.url, 'carol', 'carol-is-not-admin');
    assert.equal(await carol.getByRole('link', { name: 'Settings', exact: true }).count(), 0);
    await carol.goto(`${gateway.url}/#/admin/sessions`);
    await carol.getByRole('heading', { name: 'Connections' }).waitFor();
    assert.match(carol.url(), /#\/$/);
    await carol.context().close();
  });

  test('phone layout: pages fit the screen', async () => {
    const phone = await newPage(browser, { viewport: { width: 390, height: 844 } });
    await signInUi(phone, gateway.url, 'admin', gateway.adminPassword);
    for (const hash of ['#/', '#/admin/connections', '#/admin/sessions', '#/admin/history', '#/admin/users']) {
      await phone.goto(`${gateway.url}/${hash}`);
      await phone.locator('main h1').first().waitFor();
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${hash} scrolls sideways by ${overflow}px on a phone`);
    }
    await phone.context().close();
  });
});
