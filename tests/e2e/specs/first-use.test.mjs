// The console as a new user finds it (issue 19), per role, against the real binary:
// an admin gives two instances to an operator and one to a readonly user (selecting
// rows on the Instances page, "Assign owner"); each signs
// in and sees exactly theirs — the operator's dashboard names the cluster, the
// readonly user is offered no way to launch and is told why a list is empty — and one
// unreachable cluster makes only its own instances stale.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiCall } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { apiToken, signIn, useServerAndBrowser } from '../lib/session.mjs';

const WAIT = 60_000;
const PASSWORD = 'first-use-password-1';

let admin;
const env = useServerAndBrowser(async ({ server }) => {
  admin = await apiToken(server);
});

/** A JSON API call that must succeed, as the admin unless `token` says otherwise. */
const call = (method, path, body, token = admin) => apiCall(env.server, method, path, { token, body });
/** "1 instance", "2 instances", as the console counts them. */
const counted = (count) => `${count} instance${count === 1 ? '' : 's'}`;

const createUser = async (username, role) => (await call('POST', '/api/v1/users', { username, role, password: PASSWORD })).user;
const nav = (page) => page.getByRole('navigation', { name: 'Main' });
const rowsOf = async (page) =>
  (await page.getByRole('table', { name: 'Instances' }).getByRole('link').allTextContents()).map((t) => t.trim()).sort();

describe('first use, per role', () => {
  test('each role sees exactly what was assigned to it, with no dead-end entry points', async () => {
    const oscar = await createUser('oscar', 'operator');
    const rita = await createUser('rita', 'readonly');
    const listed = (await call('GET', '/api/v1/instances?limit=10&sort=name')).items.filter((i) => !i.template);
    const [first, second, third] = listed;

    // The admin assigns them on the Instances page: select rows, pick the owner, assign.
    const adminPage = await env.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(adminPage, env.server);
    await nav(adminPage).getByRole('link', { name: 'Instances' }).click();
    await adminPage.getByRole('table', { name: 'Instances' }).waitFor({ timeout: WAIT });
    const bulk = adminPage.getByRole('group', { name: 'Bulk actions' });
    const listReads = [];
    adminPage.on('request', (request) => {
      if (request.method() === 'GET' && new URL(request.url()).pathname === '/api/v1/instances') listReads.push(request.url());
    });
    for (const [instances, owner] of [
      [[first, second], 'oscar'],
      [[third], 'rita'],
    ]) {
      for (const instance of instances) await adminPage.getByLabel(`Select ${instance.name}`, { exact: true }).check();
      await bulk.getByLabel('Owner to assign').selectOption({ label: owner });
      if (owner === 'oscar') await screenshot(adminPage, 'first-use-admin-assigns');
      listReads.length = 0;
      await bulk.getByRole('button', { name: 'Assign owner' }).click();
      const confirmAssign = adminPage.getByRole('dialog', { name: `Give ${counted(instances.length)} to ${owner}?` });
      assert.match(await confirmAssign.textContent(), new RegExp(`${owner} will see and manage ${instances.map((i) => i.name).join(', ')}`));
      await confirmAssign.getByRole('button', { name: 'Assign owner' }).click();
      await adminPage.getByText(`Assigned ${instances.length} of ${counted(instances.length)} to ${owner}`).waitFor({ timeout: WAIT });
      // The rows show their new owner from the server's `instance.changed` event: no list reload.
      await adminPage.waitForFunction(
        ({ names, owner }) =>
          names.every((name) =>
            [...document.querySelectorAll('[role="row"]')].some(
              (row) => row.querySelector('a')?.textContent.trim() === name && row.textContent.includes(owner),
            ),
          ),
        { names: instances.map((instance) => instance.name), owner },
        { timeout: WAIT },
      );
      assert.deepEqual(listReads, [], 'assigning owners does not reload the instance list');
    }
    const owned = (await call('GET', '/api/v1/instances?limit=500')).items.filter((i) => [oscar.id, rita.id].includes(i.owner_id));
    assert.deepEqual(
      owned.map((i) => [i.name, i.owner_id]).sort(),
      [
        [first.name, oscar.id],
        [second.name, oscar.id],
        [third.name, rita.id],
      ].sort(),
    );
    await adminPage.close();

    // The operator: two instances, the dashboard names the cluster (not its id).
    const page = await env.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, env.server, { username: 'oscar', password: PASSWORD });
    const usage = page.getByRole('region', { name: 'Allocated resources per cluster' });
    await usage.getByRole('cell', { name: 'demo', exact: true }).waitFor({ timeout: WAIT });
    await screenshot(page, 'first-use-operator-dashboard');
    await nav(page).getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('table', { name: 'Instances' }).waitFor({ timeout: WAIT });
    assert.deepEqual(await rowsOf(page), [first.name, second.name].sort());
    assert.equal(await nav(page).getByRole('link', { name: 'Launch' }).count(), 1, 'operators may launch');
    await page.close();

    // The readonly user: one instance, and nothing that leads to a write.
    const reader = await env.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(reader, env.server, { username: 'rita', password: PASSWORD });
    assert.equal(await nav(reader).getByRole('link', { name: 'Launch' }).count(), 0, 'no Launch in the menu');
    await nav(reader).getByRole('link', { name: 'Instances' }).click();
    await reader.getByRole('table', { name: 'Instances' }).waitFor({ timeout: WAIT });
    assert.deepEqual(await rowsOf(reader), [third.name]);
    assert.equal(await reader.getByRole('link', { name: 'Launch instance' }).count(), 0);
    await screenshot(reader, 'first-use-readonly-instances');
    await reader.goto(env.server.url + '/launch');
    await reader.getByRole('heading', { name: "You don't have access to this page" }).waitFor();
    await reader.close();
  });

  test('a readonly user with nothing assigned is told why the list is empty', async () => {
    await createUser('nadia', 'readonly');
    const page = await env.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, env.server, { username: 'nadia', password: PASSWORD });
    await page.goto(env.server.url + '/instances');
    await page.getByRole('heading', { name: 'No instances are assigned to you yet' }).waitFor({ timeout: WAIT });
    assert.match(await page.locator('.empty').textContent(), /Ask an admin to assign them/);
    await screenshot(page, 'first-use-readonly-empty');
    await page.close();
  });

  test('Copy buttons on the instance summary stay on one line at 1440 px', async () => {
    const [instance] = (await call('GET', '/api/v1/instances?limit=1&sort=name')).items;
    const page = await env.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, env.server);
    await page.goto(`${env.server.url}/instances/${instance.id}`);
    const copies = page.getByRole('button', { name: 'Copy' });
    await copies.first().waitFor({ timeout: WAIT });
    // One line box per button: a Range over its text yields one rectangle per line it spans.
    const lines = await copies.evaluateAll((buttons) =>
      buttons.map((button) => {
        const range = document.createRange();
        range.selectNodeContents(button);
        return range.getClientRects().length;
      }),
    );
    assert.ok(lines.length > 0);
    assert.deepEqual(lines, lines.map(() => 1), 'the word "Copy" is not broken');
    await page.close();
  });

  test('a new cluster is tested before it is saved; once unreachable, only it is named stale', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, env.server);
    await nav(page).getByRole('link', { name: 'Clusters' }).click();
    await page.getByRole('button', { name: 'Add cluster' }).click();
    await page.getByLabel('Name').fill('broken-lab');
    await page.getByLabel('Node addresses').fill('https://127.0.0.1:1');
    await page.getByLabel('API token ID').fill('root@pam!x');
    await page.getByLabel('Token secret').fill('not-a-real-secret-0000');
    await page.getByRole('button', { name: 'Test connection', exact: true }).click();
    const result = page.getByRole('status', { name: 'Connection test of broken-lab' });
    await result.waitFor({ timeout: WAIT });
    assert.doesNotMatch(await result.textContent(), /Connected/);
    await page.getByText('You can still add it').waitFor();
    assert.equal((await call('GET', '/api/v1/clusters')).items.length, 1, 'testing saved nothing');
    await screenshot(page, 'first-use-cluster-tested-before-save');
    // A warning, not a block: it can be added anyway.
    await page.getByRole('button', { name: 'Add cluster' }).last().click();
    await page.getByRole('row', { name: /broken-lab/ }).waitFor({ timeout: WAIT });
    const banner = page.getByRole('status').filter({ hasText: /Proxmox cluster broken-lab unreachable since/ });
    await banner.waitFor({ timeout: WAIT });
    const text = await banner.textContent();
    assert.match(text, /its instances show the last known state/);
    assert.match(text, /Other clusters are live/);
    assert.doesNotMatch(text, /Proxmox cluster demo/, 'the demo cluster is online');
    assert.match(await page.locator('.freshness').textContent(), /broken-lab stale since/);
    await nav(page).getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('table', { name: 'Instances' }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('.badge.stale').count(), 0, "the demo cluster's rows are live");
    await screenshot(page, 'first-use-one-cluster-offline');
    await page.close();
  });
});
