// An instance's life in the console against the real binary and its demo cluster:
// created through the API, followed live on its detail page (no reload), stopped and
// terminated from there; bulk stop from the table; the running-jobs indicator and
// toasts; the offline banner while the simulator's API is down. Screenshots of each
// page and tab.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiCall, eventually } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { simControl } from '../lib/pve-sim.mjs';
import { apiToken, demoSimUrl, signIn, useServerAndBrowser } from '../lib/session.mjs';

const TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst';
const WAIT = 60_000;

let token;
let simUrl;
const env = useServerAndBrowser(async ({ server }) => {
  token = await apiToken(server);
  simUrl = await demoSimUrl(server, token);
});

/** The API as the admin; the call must succeed. */
const api = (method, path, body) => apiCall(env.server, method, path, { token, body });

/** Queues an LXC; returns the job and, once reserved, the instance id the job names. */
async function createLxc(name) {
  const job = await api('POST', '/api/v1/instances', { type: 'lxc', name, template: TEMPLATE, cores: 1, memory: 512, disk: 4, generate_root_password: true });
  const reserved = await eventually(`${name} to be reserved`, async () => {
    const current = await api('GET', `/api/v1/jobs/${job.id}`);
    return current.resource_id ? current : null;
  });
  return { job, id: reserved.resource_id };
}

async function statusOf(id) {
  return (await api('GET', `/api/v1/instances/${id}`)).status;
}

const badge = (page) => page.locator('.title .badge');
const tab = (page, name) => page.getByRole('tab', { name });

describe('instances', () => {
  test('an LXC goes running live on its page, shows its jobs, stops and is terminated by typed name', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 860 } });
    await signIn(page, env.server);
    // Slow the simulator down a little so the progress can be watched.
    await simControl(simUrl, 'api/latency?ms=150');
    const { id } = await createLxc('e2e-detail');

    // The running-jobs indicator picks the job up from the event stream.
    const indicator = page.getByRole('button', { name: /\d+ running/ });
    await indicator.waitFor({ timeout: WAIT });
    await indicator.click();
    const panel = page.getByRole('region', { name: 'Jobs in progress' });
    await panel.getByRole('progressbar').first().waitFor();
    await panel.getByText('Creating e2e-detail').waitFor();
    await screenshot(page, 'jobs-indicator');
    await indicator.click();

    await page.goto(`${env.server.url}/instances/${id}`);
    await page.getByRole('heading', { name: 'e2e-detail' }).waitFor();
    await page.evaluate(() => (window.__notReloaded = true));
    await simControl(simUrl, 'api/latency?ms=0');
    await page.waitForFunction(() => document.querySelector('.title .badge')?.textContent.includes('running'), null, {
      timeout: WAIT,
    });
    assert.equal(await page.evaluate(() => window.__notReloaded), true, 'updated live, without a reload');
    // Completion is announced with a link to the instance.
    const created = page.getByRole('status').filter({ hasText: 'Created e2e-detail' });
    await created.waitFor({ timeout: WAIT });
    assert.equal(await created.getByRole('link', { name: 'View instance' }).getAttribute('href'), `/instances/${id}`);
    // Its address, learned from the guest once it started, arrives live as well.
    await page.waitForFunction(
      () => /\b10\.\d+\.\d+\.\d+\b/.test(document.querySelector('.summary')?.textContent ?? ''),
      null,
      { timeout: WAIT },
    );
    await screenshot(page, 'instance-summary');
    await page.setViewportSize({ width: 360, height: 740 });
    await page.waitForTimeout(500); // the navigation slides away
    await screenshot(page, 'instance-360px');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');
    await page.setViewportSize({ width: 1280, height: 860 });

    await tab(page, 'Configuration').click();
    await page.getByRole('table', { name: 'Proxmox configuration' }).getByText('hostname').waitFor();
    await screenshot(page, 'instance-config');
    await tab(page, 'Jobs').click();
    const jobs = page.getByRole('list', { name: 'Jobs on this instance' });
    await jobs.getByText('Created e2e-detail').waitFor();
    // Words, not internals: step names, task ids and UUIDs wait behind "Details".
    const shownText = await jobs.evaluate((list) => {
      const copy = list.cloneNode(true);
      copy.querySelectorAll('details').forEach((details) => details.remove());
      return copy.textContent;
    });
    assert.doesNotMatch(shownText, /await_|UPID:|instance\.create|[0-9a-f]{8}-[0-9a-f]{4}-/);
    await jobs.getByText('Details').first().click();
    await jobs.getByText(/await_create \(succeeded\)/).first().waitFor();
    await screenshot(page, 'instance-jobs');
    await tab(page, 'Audit').click();
    await page.getByRole('table', { name: 'Audit entries for this instance' }).getByText('create_instance').waitFor();
    await screenshot(page, 'instance-audit');

    // Stop from the page: Start is disabled while running, Stop is not.
    await tab(page, 'Summary').click();
    const actions = page.getByRole('group', { name: 'Instance actions' });
    assert.equal(await actions.getByRole('button', { name: 'Start' }).isDisabled(), true);
    const stopRequests = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname.endsWith('/stop')) stopRequests.push(request.url());
    });
    await actions.getByRole('button', { name: 'Stop' }).click();
    // A hard power-off asks first, and says what it means; focus starts on Cancel (Enter
    // alone powers nothing off), and Cancel sends nothing.
    const confirmStop = page.getByRole('dialog', { name: 'Stop e2e-detail?' });
    assert.match(await confirmStop.textContent(), /pulling the plug/);
    assert.equal(await confirmStop.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement), true);
    await screenshot(page, 'instance-confirm-stop');
    await confirmStop.getByRole('button', { name: 'Cancel' }).click();
    await confirmStop.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Stop', 'focus returns to the Stop button');
    assert.deepEqual(stopRequests, [], 'Cancel sends no stop');
    await actions.getByRole('button', { name: 'Stop' }).click();
    await confirmStop.getByRole('button', { name: 'Stop' }).click();
    await page.waitForFunction(() => document.querySelector('.title .badge')?.textContent.includes('stopped'), null, {
      timeout: WAIT,
    });
    await page.getByRole('status').filter({ hasText: 'Stopped e2e-detail' }).waitFor({ timeout: WAIT });
    assert.equal(stopRequests.length, 1, 'the confirmed Stop is sent once');
    assert.equal(await actions.getByRole('button', { name: 'Stop' }).isDisabled(), true);
    assert.equal(await actions.getByRole('button', { name: 'Start' }).isDisabled(), false);

    // A failing Proxmox task: the toast and the jobs tab say why in PVE's words (its exit
    // status); the task log's tail waits in the job's details.
    await simControl(simUrl, 'tasks/fail-next?count=1');
    await actions.getByRole('button', { name: 'Start' }).click();
    const failure = page.getByRole('alert').filter({ hasText: 'Could not start e2e-detail' });
    await failure.waitFor({ timeout: WAIT });
    assert.match(await failure.textContent(), /simulated failure \(injected by \/sim\/faults\)/);
    await tab(page, 'Jobs').click();
    await jobs.locator('.error').filter({ hasText: 'simulated failure (injected by /sim/faults)' }).first().waitFor();
    await jobs.getByText('Details').first().click();
    await jobs.getByText('TASK ERROR: simulated failure', { exact: false }).first().waitFor();
    await screenshot(page, 'instance-job-failed');
    await failure.getByRole('button', { name: 'Dismiss' }).click();
    await tab(page, 'Summary').click();

    // Terminate: the wrong name keeps the button disabled.
    await actions.getByRole('button', { name: 'Terminate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name to confirm').fill('e2e-detai');
    const confirm = dialog.getByRole('button', { name: 'Terminate' });
    assert.equal(await confirm.isDisabled(), true);
    await screenshot(page, 'instance-terminate-confirm');
    await dialog.getByLabel('Name to confirm').fill('e2e-detail');
    await confirm.click();
    await page.getByRole('heading', { name: 'Instances', exact: true }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Terminated e2e-detail' }).waitFor({ timeout: WAIT });
    await eventually('the row to disappear', async () => (await page.getByRole('link', { name: 'e2e-detail' }).count()) === 0);
    await page.close();
  });

  test('snapshots are taken, rolled back to and deleted from the instance page', async () => {
    const { id } = await createLxc('e2e-snap');
    await eventually('running', async () => (await statusOf(id)) === 'running');
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 860 } });
    await signIn(page, env.server);
    await page.goto(`${env.server.url}/instances/${id}?tab=snapshots`);
    const panel = page.getByRole('tabpanel', { name: 'Snapshots' });
    await panel.getByText('No snapshots.', { exact: false }).waitFor({ timeout: WAIT });

    await panel.getByRole('button', { name: 'Take snapshot' }).click();
    const take = page.getByRole('dialog', { name: 'Snapshot “e2e-snap”' });
    await take.getByLabel('Name').fill('1bad');
    await take.locator('#instance-snapshot-name-problem').waitFor();
    assert.equal(await take.getByRole('button', { name: 'Take snapshot' }).isDisabled(), true, 'a name must start with a letter');
    await take.getByLabel('Name').fill('before-upgrade');
    await take.getByLabel('Description (optional)').fill('known good');
    await take.getByRole('button', { name: 'Take snapshot' }).click();
    // Listed once the job ends (read again from Proxmox), as the current state's base.
    const item = panel.getByRole('listitem').filter({ hasText: 'before-upgrade' });
    await item.waitFor({ timeout: WAIT });
    assert.match(await item.textContent(), /current.*known good/s);
    assert.deepEqual((await api('GET', `/api/v1/instances/${id}/snapshots`)).items.map((s) => s.name), ['before-upgrade']);
    await screenshot(page, 'instance-snapshots');

    // Rolling back is destructive: the snapshot's name is typed to confirm.
    await item.getByRole('button', { name: 'Roll back to before-upgrade' }).click();
    const rollback = page.getByRole('dialog', { name: 'Roll “e2e-snap” back to “before-upgrade”?' });
    assert.match(await rollback.textContent(), /Everything written since .* is lost/);
    await rollback.getByLabel('Name to confirm').fill('before-upgrade');
    await rollback.getByRole('button', { name: 'Roll back' }).click();
    await eventually('the rollback job', async () => {
      const jobs = (await api('GET', `/api/v1/instances/${id}/jobs`)).items;
      return jobs.some((job) => job.kind === 'instance.snapshot.rollback' && job.status === 'succeeded');
    });

    await item.getByRole('button', { name: 'Delete snapshot before-upgrade' }).click();
    const remove = page.getByRole('dialog', { name: 'Delete snapshot “before-upgrade”?' });
    await remove.getByLabel('Name to confirm').fill('before-upgrade');
    await remove.getByRole('button', { name: 'Delete snapshot' }).click();
    await panel.getByText('No snapshots.', { exact: false }).waitFor({ timeout: WAIT });
    assert.deepEqual((await api('GET', `/api/v1/instances/${id}/snapshots`)).items, []);
    await page.close();
  });

  test('a stopped instance becomes a template from its page, by typed name', async () => {
    const { id } = await createLxc('e2e-image');
    await eventually('running', async () => (await statusOf(id)) === 'running');
    await api('POST', `/api/v1/instances/${id}/stop`, {});
    await eventually('stopped', async () => (await statusOf(id)) === 'stopped');
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 860 } });
    await signIn(page, env.server);
    await page.goto(`${env.server.url}/instances/${id}`);
    const actions = page.getByRole('group', { name: 'Instance actions' });
    await actions.getByRole('button', { name: 'Create image' }).click();
    const dialog = page.getByRole('dialog', { name: 'Turn e2e-image into a template?' });
    assert.match(await dialog.textContent(), /can no longer be started/);
    assert.equal(await dialog.getByRole('button', { name: 'Create image' }).isDisabled(), true, 'the name is typed first');
    await dialog.getByLabel('Name to confirm').fill('e2e-image');
    await dialog.getByRole('button', { name: 'Create image' }).click();
    await eventually('a template', async () => (await api('GET', `/api/v1/instances/${id}`)).template === true);
    // The page follows: no power actions, nothing more to make an image of.
    await actions.getByRole('button', { name: 'Create image' }).waitFor({ state: 'detached', timeout: WAIT });
    assert.equal(await actions.getByRole('button', { name: 'Start' }).isDisabled(), true);
    await page.close();
  });

  test('bulk stop from the table stops every selected instance', async () => {
    const created = [await createLxc('e2e-bulk-a'), await createLxc('e2e-bulk-b')];
    for (const { id } of created) await eventually('running', async () => (await statusOf(id)) === 'running');
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, env.server);
    await page.goto(`${env.server.url}/instances?q=e2e-bulk`);
    const table = page.getByRole('table', { name: 'Instances' });
    await table.getByRole('link', { name: 'e2e-bulk-b' }).waitFor();
    // Each row shows the address its guest reported once started.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[role="row"]')].filter(
          (r) => r.textContent.includes('e2e-bulk') && /\b10\.\d+\.\d+\.\d+\b/.test(r.textContent),
        ).length === 2,
      null,
      { timeout: WAIT },
    );
    await page.getByLabel(/Select all 2 shown instances/).check();
    const bulk = page.getByRole('group', { name: 'Bulk actions' });
    assert.match(await bulk.textContent(), /2 selected/);
    await screenshot(page, 'instances-bulk-selected');
    await bulk.getByRole('button', { name: 'Stop' }).click();
    const confirmBulk = page.getByRole('dialog', { name: 'Stop 2 instances?' });
    assert.match(await confirmBulk.textContent(), /e2e-bulk-a/);
    await confirmBulk.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('status').filter({ hasText: 'Stop requested for 2 of 2 instances' }).waitFor();
    for (const { id } of created) await eventually('stopped', async () => (await statusOf(id)) === 'stopped');
    // The table follows live.
    await page.waitForFunction(
      () => [...document.querySelectorAll('[role="row"]')].filter((r) => r.textContent.includes('stopped')).length >= 2,
      null,
      { timeout: WAIT },
    );
    await screenshot(page, 'instances-bulk-stopped');
    // Every bulk action asks first; with one of the two running again, Start names the
    // one it starts and the one it skips, and why.
    await api('POST', `/api/v1/instances/${created[0].id}/start`, {});
    await eventually('one running', async () => (await statusOf(created[0].id)) === 'running');
    await page.waitForFunction(
      () => [...document.querySelectorAll('[role="row"]')].some((r) => r.textContent.includes('e2e-bulk-a') && r.textContent.includes('running')),
      null,
      { timeout: WAIT },
    );
    await page.getByLabel(/Select all 2 shown instances/).check();
    await bulk.getByRole('button', { name: 'Start' }).click();
    const confirmStart = page.getByRole('dialog', { name: 'Start 1 instance?' });
    assert.match(await confirmStart.textContent(), /e2e-bulk-b\. They boot.*Skipped: e2e-bulk-a is already running\./s);
    await screenshot(page, 'instances-bulk-confirm-start');
    await confirmStart.getByRole('button', { name: 'Start' }).click();
    const started = page.getByRole('status').filter({ hasText: 'Start requested for 1 of 2 instances' });
    await started.waitFor();
    assert.match(await started.textContent(), /Skipped: e2e-bulk-a is already running\./);
    // Once both run, Start applies to neither: no dialog, nothing sent, a toast says why.
    for (const { id } of created) await eventually('running', async () => (await statusOf(id)) === 'running');
    await page.waitForFunction(
      () => [...document.querySelectorAll('[role="row"]')].filter((r) => r.textContent.includes('e2e-bulk') && r.textContent.includes('running')).length === 2,
      null,
      { timeout: WAIT },
    );
    await page.getByLabel(/Select all 2 shown instances/).check();
    const sent = [];
    page.on('request', (request) => request.method() === 'POST' && sent.push(request.url()));
    await bulk.getByRole('button', { name: 'Start' }).click();
    const none = page.getByRole('status').filter({ hasText: 'Start applies to none of the 2 selected' });
    await none.waitFor();
    assert.match(await none.textContent(), /e2e-bulk-a is already running; e2e-bulk-b is already running\./);
    assert.equal(await page.getByRole('dialog').count(), 0, 'nothing to confirm');
    assert.deepEqual(sent, [], 'nothing sent');

    // A row click opens the instance.
    await table.getByRole('row', { name: /e2e-bulk-a/ }).getByText('LXC').click();
    await page.getByRole('heading', { name: 'e2e-bulk-a' }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/instances/${created[0].id}`);
    await page.close();
  });

  test('a readonly owner sees the page, its jobs and audit trail, but no actions', async () => {
    const password = 'viewer-password-0123';
    const viewer = await api('POST', '/api/v1/users', { username: 'e2e-viewer', role: 'readonly', password });
    const { items } = await api('GET', '/api/v1/instances?owner=none&limit=50');
    const given = items.find((instance) => !instance.template);
    await api('PUT', `/api/v1/instances/${given.id}/owner`, { owner_id: viewer.user.id });

    const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signIn(page, env.server, { username: 'e2e-viewer', password });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('table', { name: 'Instances' }).getByRole('link', { name: given.name }).click();
    await page.getByRole('heading', { name: given.name }).waitFor();
    assert.equal(await page.getByRole('group', { name: 'Instance actions' }).count(), 0, 'no actions for readonly');
    // Tabs follow the keyboard: → from Summary selects Monitoring, End selects Audit.
    await tab(page, 'Summary').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await tab(page, 'Monitoring').getAttribute('aria-selected'), 'true');
    await page.keyboard.press('End');
    await page.getByRole('table', { name: 'Audit entries for this instance' }).getByText('assign_instance_owner').waitFor();
    await screenshot(page, 'instance-readonly');
    await page.goBack();
    await page.getByRole('table', { name: 'Instances' }).waitFor();
    assert.equal(await page.getByRole('group', { name: 'Bulk actions' }).count(), 0, 'no bulk actions for readonly');
    assert.equal(await page.getByRole('checkbox').count(), 0);
    await context.close();
  });

  test('an unreachable cluster raises the offline banner; reads keep working; it clears when back', async () => {
    const settings = await api('GET', '/api/v1/settings');
    await api('PUT', '/api/v1/settings', { ...settings, system: { ...settings.system, poll_interval_secs: 1 } });
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, env.server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('table', { name: 'Instances' }).waitFor();
    const rows = await page.getByRole('table', { name: 'Instances' }).getByRole('row').count();

    await simControl(simUrl, 'api/down');
    try {
      const banner = page.getByRole('status').filter({ hasText: /Proxmox cluster demo unreachable since/ });
      await banner.waitFor({ timeout: WAIT });
      assert.match(await banner.textContent(), /its instances show the last known state/);
      await page.reload();
      await banner.waitFor({ timeout: WAIT });
      assert.ok((await page.getByRole('table', { name: 'Instances' }).getByRole('row').count()) >= Math.min(rows, 5));
      await screenshot(page, 'offline-banner');
      // Every page says so, also those that do not list instances.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      await banner.waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
      await page.getByRole('table', { name: 'Instances' }).waitFor();

      // An instance's page still renders; its live config says why it is missing.
      const first = page.getByRole('table', { name: 'Instances' }).getByRole('link').first();
      await first.click();
      await tab(page, 'Configuration').click();
      await page.getByText('The live configuration cannot be read right now.').waitFor({ timeout: WAIT });
      assert.match(await page.locator('[role="tabpanel"]').textContent(), /unreachable/);
      await screenshot(page, 'instance-config-offline');
    } finally {
      await simControl(simUrl, 'api/up');
    }
    await page
      .getByRole('status')
      .filter({ hasText: /Proxmox cluster demo unreachable since/ })
      .waitFor({ state: 'detached', timeout: WAIT });
    await page.close();
  });
});
