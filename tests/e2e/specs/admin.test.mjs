// Admin pages against the real binary: clusters (Test connection, add/edit/delete,
// a broken token's precise error), global settings (server field errors, saving),
// sortable tables, and what a readonly user may not see. Screenshots of each page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiRequest } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { startPveSim } from '../lib/pve-sim.mjs';
import { apiToken, signIn, useServerAndBrowser } from '../lib/session.mjs';

const LAB_TOKEN = 'root@pam!lab';
const LAB_SECRET = '0b6a3f1e-5d2c-4e8f-9a71-3c4d5e6f7a8b';
const ADMIN_URLS = ['/users', '/audit', '/clusters', '/settings'];

let bearer;
const env = useServerAndBrowser(async ({ server }) => {
  bearer = await apiToken(server);
});

/** A JSON API call, whatever its answer; `token` is a bearer (access token) or null. */
const call = (method, path, token, body) => apiRequest(env.server, method, path, { token, body });

const nav = (page) => page.getByRole('navigation', { name: 'Main' });
const testResult = (page, name) => page.getByRole('status', { name: `Connection test of ${name}` });

async function testConnection(page, name) {
  await page.getByRole('button', { name: `Test connection to ${name}` }).click();
  const result = testResult(page, name);
  await result.waitFor();
  return (await result.textContent()).replace(/\s+/g, ' ').trim();
}

/** Edits one field of a cluster through its form; the stored secret is kept unless that is the field. */
async function editCluster(page, name, label, value) {
  await page.getByRole('button', { name: `Edit ${name}` }).click();
  const secret = page.getByLabel('Token secret');
  assert.equal(await secret.inputValue(), '', 'a stored secret is never prefilled');
  assert.match(await secret.getAttribute('placeholder'), /leave empty to keep/);
  await page.getByLabel(label).fill(value);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('form', { name: /Edit cluster/ }).waitFor({ state: 'detached' });
}

describe('admin pages', () => {
  test('cluster Test connection shows version and nodes, and a broken token shows the precise error', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, env.server);
    await nav(page).getByRole('link', { name: 'Clusters' }).click();
    await page.getByRole('heading', { name: 'Clusters', exact: true }).waitFor();
    await page.getByRole('row', { name: /demo.*root@pam!proxicloud/ }).waitFor();

    const demo = await testConnection(page, 'demo');
    assert.match(demo, /^Connected\. Proxmox VE \d+\.\d+(\.\d+)? · 3 nodes: pve1, pve2, pve3 · \d+ ms$/);
    await screenshot(page, 'clusters-test-ok');

    // A second cluster whose token secret this test knows, so it can break and restore it.
    const lab = await startPveSim({ nodes: 2, guests: 2, tokenId: LAB_TOKEN, secret: LAB_SECRET });
    try {
      await page.getByRole('button', { name: 'Add cluster' }).click();
      await page.getByLabel('Name').fill('lab');
      await page.getByLabel('Node addresses').fill(lab.url);
      await page.getByLabel('API token ID').fill(LAB_TOKEN);
      await page.getByLabel('Token secret').fill(LAB_SECRET);
      await page.getByLabel('TLS certificate fingerprint (SHA-256)').fill('not-a-fingerprint');
      await page.getByRole('button', { name: 'Add cluster' }).last().click();
      // The server's 422 lands next to its field.
      await page.locator('#tls_fingerprint-problem', { hasText: 'must be a SHA-256 fingerprint' }).waitFor();
      await screenshot(page, 'clusters-field-error');
      await page.getByLabel('TLS certificate fingerprint (SHA-256)').fill(lab.fingerprint);
      await page.getByRole('button', { name: 'Add cluster' }).last().click();
      await page.getByRole('row', { name: /lab.*root@pam!lab/ }).waitFor();

      assert.match(await testConnection(page, 'lab'), /^Connected\. .* 2 nodes: pve1, pve2 · \d+ ms$/);

      await editCluster(page, 'lab', 'Token secret', 'ffffffff-0000-0000-0000-000000000000');
      assert.equal(await testResult(page, 'lab').count(), 0, 'an edit clears the previous result');
      const broken = await testConnection(page, 'lab');
      assert.match(broken, /^Authentication failed: wrong token or password\. /);
      assert.doesNotMatch(broken, /ffffffff/, 'the secret is not echoed');
      await screenshot(page, 'clusters-test-error');
      await editCluster(page, 'lab', 'Token secret', LAB_SECRET);
      assert.match(await testConnection(page, 'lab'), /^Connected\./, 'restoring the secret restores the connection');

      // The other failures a homelab meets, each named precisely.
      const fingerprint = 'TLS certificate fingerprint (SHA-256)';
      await editCluster(page, 'lab', fingerprint, Array(32).fill('AB').join(':'));
      assert.match(await testConnection(page, 'lab'), /^Certificate rejected: wrong fingerprint or untrusted certificate\. /);
      await editCluster(page, 'lab', fingerprint, lab.fingerprint);
      await editCluster(page, 'lab', 'Node addresses', 'https://127.0.0.1:1');
      assert.match(await testConnection(page, 'lab'), /^Unreachable: no node address answered\. /);
      await editCluster(page, 'lab', 'Node addresses', lab.url);
      assert.match(await testConnection(page, 'lab'), /^Connected\./);

      await page.getByRole('button', { name: 'Delete lab' }).click();
      const dialog = page.getByRole('dialog');
      const confirm = dialog.getByRole('button', { name: 'Delete cluster' });
      assert.ok(await confirm.isDisabled(), 'deleting needs the typed name');
      await dialog.getByLabel('Name to confirm').fill('lab');
      await confirm.click();
      await dialog.waitFor({ state: 'detached' });
      assert.equal(await page.getByRole('row', { name: /root@pam!lab/ }).count(), 0);
      const clusters = await call('GET', '/api/v1/clusters', bearer);
      assert.deepEqual(clusters.body.items.map((c) => c.name), ['demo']);
      await screenshot(page, 'clusters');
    } finally {
      lab.stop();
    }
    await page.close();
  });

  test('settings tabs load, a bad value shows the server field error, a good value saves', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, env.server);
    await nav(page).getByRole('link', { name: 'Global settings' }).click();
    await page.getByRole('heading', { name: 'Global settings' }).waitFor();
    // Only settings something uses: no appliance network or metrics retention before those features exist.
    assert.deepEqual(await page.getByRole('tab').allTextContents(), ['Resources', 'System', 'Volume classes']);
    assert.equal(await page.getByRole('tab', { name: 'Resources' }).getAttribute('aria-selected'), 'true');
    assert.equal(await page.getByLabel(/Default vCPUs/).inputValue(), '1');
    // Arrow keys move between tabs.
    await page.getByRole('tab', { name: 'Resources' }).press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'System' }).getAttribute('aria-selected'), 'true');
    assert.equal(await page.getByLabel('Log level').inputValue(), 'info');
    assert.equal(await page.getByLabel(/Metrics retention/).count(), 0);
    await screenshot(page, 'settings-system');
    await page.getByRole('tab', { name: 'System' }).press('Home');
    assert.equal(await page.getByRole('tab', { name: 'Resources' }).getAttribute('aria-selected'), 'true');
    await page.waitForFunction(() => document.activeElement?.id === 'tab-resources');
    assert.equal(new URL(page.url()).search, '?tab=resources', 'the tab is in the URL');

    await page.getByLabel(/Default memory/).fill('1');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const problem = page.locator('#resources-memory_mib-problem');
    await problem.waitFor();
    assert.match(await problem.textContent(), /must be between \d+ and \d+ MiB/);
    assert.equal(await page.getByLabel(/Default memory/).getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'settings-error');

    await page.getByLabel(/Default memory/).fill('2048');
    await page.getByLabel(/Default vCPUs/).fill('2');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved' }).waitFor();
    assert.equal(await problem.count(), 0);
    await screenshot(page, 'settings');

    await page.reload();
    assert.equal(await page.getByLabel(/Default vCPUs/).inputValue(), '2', 'saved for real');
    const saved = (await call('GET', '/api/v1/settings', bearer)).body;
    assert.deepEqual([saved.resources.cores, saved.resources.memory_mib], [2, 2048]);

    // Volume classes: a class on a storage that holds container volumes (only those are offered).
    await page.getByRole('tab', { name: 'Volume classes' }).click();
    const classes = page.getByRole('form', { name: 'Volume classes' });
    await classes.getByText('No volume classes yet.').waitFor();
    await classes.getByRole('button', { name: 'Add class' }).click();
    await classes.getByLabel('Class name').fill('ssd');
    const offered = classes.getByRole('group', { name: 'Storages of class ssd' });
    assert.equal(await offered.getByLabel('local', { exact: true }).count(), 0, 'a directory of templates holds no volumes');
    await offered.getByLabel('local-lvm').check();
    await classes.getByRole('button', { name: 'Save volume classes' }).click();
    await page.getByRole('status').filter({ hasText: 'Volume classes saved' }).waitFor();
    await screenshot(page, 'settings-volume-classes');
    const stored = (await call('GET', '/api/v1/settings/volume-classes', bearer)).body;
    assert.deepEqual(
      stored.classes.map((c) => [c.name, c.storages.map((s) => s.storage)]),
      [['ssd', ['local-lvm']]],
    );
    assert.match(page.url(), /tab=volumes/);
    await page.close();
  });

  test('table columns sort both ways by click and keyboard, with aria-sort', async () => {
    for (const username of ['zoe', 'bob']) {
      const created = await call('POST', '/api/v1/users', bearer, { username, role: 'operator', password: `${username}-password-123` });
      assert.equal(created.status, 201);
    }
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, env.server);
    await nav(page).getByRole('link', { name: 'Users' }).click();
    const table = page.getByRole('table', { name: 'Users' });
    await table.getByRole('row', { name: /zoe/ }).waitFor();
    const names = () => table.locator('tbody tr td:first-child').allTextContents();
    const header = table.getByRole('columnheader', { name: 'Username' });

    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    const ascending = await names();
    assert.deepEqual(ascending, [...ascending].sort((a, b) => a.localeCompare(b)));
    await header.getByRole('button').click();
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await names(), [...ascending].reverse());

    await table.getByRole('columnheader', { name: 'Role' }).getByRole('button').focus();
    await page.keyboard.press('Enter');
    assert.equal(await table.getByRole('columnheader', { name: 'Role' }).getAttribute('aria-sort'), 'ascending');
    assert.equal(await header.getAttribute('aria-sort'), 'none');
    assert.match((await names())[0], /^admin/, 'admin sorts first by role');
    await screenshot(page, 'users-sorted');

    // Search and order are in the URL: a reload shows the same list.
    await page.getByLabel('Filter users').fill('o');
    // Typed text reaches the URL once typing pauses.
    await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === 'o');
    assert.deepEqual(Object.fromEntries(new URL(page.url()).searchParams), { q: 'o', sort: 'role' });
    const filtered = await names();
    await page.reload();
    await table.getByRole('row', { name: /zoe/ }).waitFor();
    assert.equal(await page.getByLabel('Filter users').inputValue(), 'o');
    assert.equal(await table.getByRole('columnheader', { name: 'Role' }).getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(await names(), filtered);
    await page.close();
  });

  // Every page's fit at 360 px (no sideways page scroll) is checked with the accessibility sweep.
  test('at 360 px the users table shows that it scrolls, and its row actions stay reachable', async () => {
    const page = await env.browser.newPage({ viewport: { width: 360, height: 740 } });
    await signIn(page, env.server);

    // The users table is wider than the phone: its right edge is shaded; scrolled to the
    // end, the row's actions are on screen and the shade moves to the left edge.
    await page.goto(env.server.url + '/users');
    const wrap = page.locator('.table-wrap').filter({ has: page.getByRole('table', { name: 'Users' }) });
    await page.waitForFunction(() => document.querySelector('.table-wrap')?.hasAttribute('data-more-right'));
    assert.equal(await wrap.getAttribute('data-more-left'), null);
    assert.equal(await wrap.getAttribute('tabindex'), '0', 'keyboard users can scroll it');
    await wrap.evaluate((node) => (node.scrollLeft = node.scrollWidth));
    await page.waitForFunction(() => {
      const node = document.querySelector('.table-wrap');
      return node.hasAttribute('data-more-left') && !node.hasAttribute('data-more-right');
    });
    for (const action of [/^Disable /, /^Reset password of /, /^Delete /]) {
      const box = await page.getByRole('button', { name: action }).first().boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 360, `${action} on screen (${JSON.stringify(box)})`);
    }
    await screenshot(page, 'users-360px-scrolled');

    // The instance list too.
    await page.goto(env.server.url + '/instances');
    await page.waitForFunction(() => document.querySelector('[role="table"][aria-label="Instances"]')?.hasAttribute('data-more-right'));
    await page.close();
  });

  test('a readonly user sees neither other people’s instances nor the admin pages', async () => {
    const olga = await call('POST', '/api/v1/users', bearer, { username: 'olga', role: 'operator', password: 'olga-password-123' });
    const rita = await call('POST', '/api/v1/users', bearer, { username: 'rita', role: 'readonly', password: 'rita-password-123' });
    assert.equal(olga.status, 201);
    assert.equal(rita.status, 201);

    // The demo cluster's guests, once mirrored: one for the operator, one for the readonly user.
    let guests = [];
    for (let i = 0; i < 60 && guests.length < 2; i += 1) {
      guests = (await call('GET', '/api/v1/instances?limit=500', bearer)).body.items;
      if (guests.length < 2) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const [theirs, hers] = guests;
    assert.ok(theirs && hers, 'the demo cluster has guests');
    for (const [guest, owner] of [[theirs, olga], [hers, rita]]) {
      const assigned = await call('PUT', `/api/v1/instances/${guest.id}/owner`, bearer, { owner_id: owner.body.user.id });
      assert.equal(assigned.status, 200);
    }

    const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signIn(page, env.server, { username: 'rita', password: 'rita-password-123' });
    for (const label of ['Users', 'Audit log', 'Clusters', 'Global settings']) {
      assert.equal(await nav(page).getByRole('link', { name: label }).count(), 0, `${label} is not in the navigation`);
    }

    await nav(page).getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('row', { name: new RegExp(hers.name) }).waitFor();
    assert.equal(await page.getByRole('row', { name: new RegExp(theirs.name) }).count(), 0, 'another user’s instance is not listed');
    assert.match(await page.getByText(/\d+ of \d+/).first().textContent(), /^1 of 1$/);
    await screenshot(page, 'readonly-instances');

    // Its direct URL says not found (nothing about it leaks); her own opens.
    await page.goto(`${env.server.url}/instances/${theirs.id}`);
    await page.getByRole('heading', { name: 'Instance not found' }).waitFor();
    assert.ok(!(await page.content()).includes(theirs.name), 'the other instance’s name is not shown');
    await screenshot(page, 'readonly-instance-not-found');
    await page.goto(`${env.server.url}/instances/${hers.id}`);
    await page.getByRole('heading', { name: hers.name, exact: true }).waitFor();

    // The API agrees: the other instance does not exist for her (404, not 403).
    const ritaToken = await apiToken(env.server, { username: 'rita', password: 'rita-password-123' });
    assert.equal((await call('GET', `/api/v1/instances/${theirs.id}`, ritaToken)).status, 404);
    assert.equal((await call('GET', `/api/v1/instances/${hers.id}`, ritaToken)).status, 200);
    assert.deepEqual((await call('GET', '/api/v1/instances?limit=500', ritaToken)).body.items.map((i) => i.id), [hers.id]);

    for (const path of ADMIN_URLS) {
      await page.goto(env.server.url + path);
      await page.getByRole('heading', { name: "You don't have access to this page" }).waitFor();
      assert.equal(new URL(page.url()).pathname, path, 'no silent redirect');
    }
    await screenshot(page, 'not-allowed');
    assert.equal((await call('GET', '/api/v1/clusters', ritaToken)).status, 403);
    await context.close();
  });
});
