// The launch wizard against the real binary and its demo cluster: an admin opens it
// from the Instances page, picks an LXC template and a preset (after seeing a bad
// memory value flagged live by the server), adds an SSH key and a name, launches,
// lands on the new instance, sees it become running without a reload, stops it and
// terminates it by typing its name. Screenshots of every step, and at phone width.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { apiCall, eventually } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { simControl } from '../lib/pve-sim.mjs';
import { apiToken, demoSimUrl, signIn, useServerAndBrowser } from '../lib/session.mjs';

const WAIT = 60_000;
const NAME = 'e2e-launch';

let simUrl;
let token;
const env = useServerAndBrowser(async ({ server }) => {
  token = await apiToken(server);
  simUrl = await demoSimUrl(server, token);
});
const api = (method, path, body) => apiCall(env.server, method, path, { token, body });

/** Waits for a job to succeed; its final state. */
const finished = (job) =>
  eventually(`job ${job.kind}`, async () => {
    const now = await api('GET', `/api/v1/jobs/${job.id}`);
    if (now.status === 'failed' || now.status === 'cancelled') throw new Error(`${job.kind}: ${now.error}`);
    return now.status === 'succeeded' ? now : null;
  });

/** An OpenSSH ed25519 public key line (random key material, well formed). */
function sshKey() {
  const type = Buffer.from('ssh-ed25519');
  const u32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const blob = Buffer.concat([u32(type.length), type, u32(32), randomBytes(32)]);
  return `ssh-ed25519 ${blob.toString('base64')} e2e@test`;
}

/** A `/sim/…` control call (self-signed certificate). */
const stepHeading = (page, name) => page.getByRole('heading', { name, exact: true, level: 2 });
const stepButton = (page, name) =>
  page.getByRole('navigation', { name: 'Launch steps' }).getByRole('button', { name, exact: true });
const next = (page) => page.getByRole('button', { name: 'Next' }).click();
const badge = (page) => page.locator('.title .badge');

/** The wizard moved on (history API, no page load) to the new instance's jobs tab. */
async function landedOnInstance(page) {
  await page.waitForFunction(
    () => /^\/instances\/[0-9a-f-]{36}$/.test(location.pathname) && location.search === '?tab=jobs',
    null,
    { timeout: WAIT },
  );
}

async function badgeSays(page, status) {
  await page.waitForFunction((want) => document.querySelector('.title .badge')?.textContent.includes(want), status, {
    timeout: WAIT,
  });
}

describe('launch wizard', () => {
  test('a launch brings a new volume and attaches an existing one before the first start', async () => {
    const clusters = await api('GET', '/api/v1/clusters');
    const clusterId = clusters.items[0].id;
    const made = await finished(await api('POST', '/api/v1/volumes', { name: 'e2e-existing', size_gib: 1, cluster_id: clusterId, node: 'pve1' }));

    const page = await env.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await signIn(page, env.server);
    await page.goto(env.server.url + '/launch');
    await stepHeading(page, 'Type').waitFor({ timeout: WAIT });
    await next(page);
    await page.getByRole('radio', { name: /debian-12-standard/ }).check();
    for (const heading of ['Size', 'Storage & network']) {
      await next(page);
      await stepHeading(page, heading).waitFor();
    }
    const volumes = page.getByRole('region', { name: 'Volumes' });
    // Existing volumes are offered once the node is known.
    assert.equal(await volumes.getByLabel('Attach an existing volume').isDisabled(), true);
    await page.getByLabel('Node', { exact: true }).selectOption('pve1');
    await volumes.getByRole('button', { name: 'Add a new volume' }).click();
    assert.equal(await volumes.getByLabel('Mount path').inputValue(), '/data');
    await volumes.getByLabel('Attach an existing volume').selectOption(made.resource_id);
    await volumes.getByRole('button', { name: 'Attach', exact: true }).click();
    await volumes.getByText('Existing volume e2e-existing').waitFor();
    await volumes.getByLabel('Mount path').nth(1).fill('/srv');
    await screenshot(page, 'launch-volumes');
    await next(page);
    await stepHeading(page, 'Access & name').waitFor();
    await page.getByLabel(/SSH public keys/).fill(sshKey());
    await page.getByLabel(/^Name/).fill('e2e-volumes');
    await next(page);
    await stepHeading(page, 'Review').waitFor();
    await page.getByText('Ready to launch.').waitFor({ timeout: WAIT });
    const review = await page.locator('dl.review').textContent();
    assert.match(review, /new data-1, 10 GiB.* at \/data; e2e-existing \(existing\) at \/srv/, 'the review lists what the launch brings');
    await page.getByRole('button', { name: 'Launch' }).click();
    await landedOnInstance(page);
    await badgeSays(page, 'running');
    const id = new URL(page.url()).pathname.split('/').pop();
    const attached = (await api('GET', `/api/v1/volumes?instance_id=${id}`)).items;
    assert.deepEqual(
      attached.map((v) => [v.name, v.status, v.attachment.mount_path]).sort(),
      [
        ['data-1', 'in-use', '/data'],
        ['e2e-existing', 'in-use', '/srv'],
      ],
    );
    await page.close();
  });

  test('launches an LXC from a template with a preset, follows it to running, stops and terminates it', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('link', { name: 'Launch instance' }).first().click();
    await page.getByRole('heading', { name: 'Launch instance' }).waitFor();

    // Type: a container is the default.
    await stepHeading(page, 'Type').waitFor({ timeout: WAIT });
    assert.equal(await page.getByRole('radio', { name: /Container \(LXC\)/ }).isChecked(), true);
    await screenshot(page, 'launch-1-type');
    await next(page);

    // Image: searchable; Next without a choice is refused with the server's words.
    await stepHeading(page, 'Image').waitFor();
    await next(page);
    await page.getByRole('alert').filter({ hasText: /template is required|is required for containers/ }).waitFor();
    await page.getByLabel('Search container template').fill('debian 12');
    const debian = page.getByRole('radio', { name: /debian-12-standard/ });
    await debian.check();
    assert.equal(await page.getByRole('radio', { name: /alpine/ }).count(), 0, 'the search narrows the list');
    await screenshot(page, 'launch-2-image');
    await next(page);

    // Size: a memory value the server refuses is flagged as it is typed.
    await stepHeading(page, 'Size').waitFor();
    await page.getByLabel('Memory (MiB)').fill('16');
    const memoryProblem = page.locator('#launch-memory-problem');
    await memoryProblem.filter({ hasText: /must be 64 to/ }).waitFor({ timeout: WAIT });
    assert.equal(await page.getByRole('radio', { name: /custom/ }).isChecked(), true);
    await screenshot(page, 'launch-3-size-error');
    await page.getByRole('radio', { name: /nano/ }).check();
    assert.equal(await page.getByLabel('Memory (MiB)').inputValue(), '512');
    await page.waitForFunction(() => document.querySelector('#launch-memory-problem')?.textContent === '', null, {
      timeout: WAIT,
    });
    await screenshot(page, 'launch-3-size');
    await next(page);

    // Storage & network: automatic placement, the default bridge.
    await stepHeading(page, 'Storage & network').waitFor();
    assert.equal(await page.getByLabel('Network bridge').inputValue(), 'vmbr0');
    await screenshot(page, 'launch-4-placement');
    await next(page);

    await stepHeading(page, 'Access & name').waitFor();
    await page.getByLabel(/SSH public keys/).fill(sshKey());
    await page.getByLabel(/^Name/).fill(NAME);
    await screenshot(page, 'launch-5-access');
    await next(page);

    await stepHeading(page, 'Review').waitFor();
    await page.getByText('Ready to launch.').waitFor({ timeout: WAIT });
    const review = await page.locator('dl.review').textContent();
    assert.match(review, /debian-12-standard/);
    assert.match(review, /nano: 1 vCPU, 512 MiB, 4 GiB disk/);
    assert.match(review, new RegExp(NAME));
    await screenshot(page, 'launch-6-review');
    // Slow Proxmox down so the instance is seen being created before it runs.
    await simControl(simUrl, 'api/latency?ms=1000');
    try {
      await page.getByRole('button', { name: 'Launch' }).click();
      // The instance's own page, as soon as the job has reserved it.
      await landedOnInstance(page);
      await page.getByRole('heading', { name: NAME }).waitFor({ timeout: WAIT });
      await page.evaluate(() => (window.__notReloaded = true));
      assert.doesNotMatch(await badge(page).textContent(), /running/, 'not running yet when the page opens');
      // The create job's progress is in view.
      await page.getByRole('list', { name: 'Jobs on this instance' }).getByRole('progressbar').waitFor();
      await screenshot(page, 'launch-7-landed');
    } finally {
      await simControl(simUrl, 'api/latency?ms=0');
    }
    await badgeSays(page, 'running');
    assert.equal(await page.evaluate(() => window.__notReloaded), true, 'went running live, without a reload');
    assert.match(await badge(page).textContent(), /running/);
    await screenshot(page, 'launch-8-running');

    const actions = page.getByRole('group', { name: 'Instance actions' });
    await actions.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('dialog', { name: `Stop ${NAME}?` }).getByRole('button', { name: 'Stop' }).click();
    await badgeSays(page, 'stopped');

    await actions.getByRole('button', { name: 'Terminate' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name to confirm').fill(NAME);
    await dialog.getByRole('button', { name: 'Terminate' }).click();
    await page.getByRole('heading', { name: 'Instances', exact: true }).waitFor({ timeout: WAIT });
    const started = Date.now();
    while ((await page.getByRole('link', { name: NAME, exact: true }).count()) > 0) {
      assert.ok(Date.now() - started < WAIT, `${NAME} to disappear from the table`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await page.close();
  });

  test('launches a VM cloned from a template; an ISO VM takes no SSH keys', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Launch' }).click();
    await stepHeading(page, 'Type').waitFor({ timeout: WAIT });
    await page.getByRole('radio', { name: /Virtual machine/ }).check();
    await next(page);

    // From an installer ISO: no cloud-init, so no keys.
    await stepHeading(page, 'Image').waitFor();
    await page.getByRole('radio', { name: /debian-12\.8\.0-amd64-netinst\.iso/ }).check();
    await screenshot(page, 'launch-vm-iso');
    for (const heading of ['Size', 'Storage & network', 'Access & name']) {
      await next(page);
      await stepHeading(page, heading).waitFor();
    }
    await page.getByText('A VM booting an installer ISO has no cloud-init').waitFor();
    assert.equal(await page.getByLabel(/SSH public keys/).count(), 0);

    // Back to the image: a clone of a VM template, placed on the template's node.
    await stepButton(page, 'Image').click();
    await page.getByRole('radio', { name: 'Clone a VM template' }).check();
    const template = page.getByRole('radio', { name: /cloud-template/ }).first();
    await template.check();
    const templateNode = /on (pve\d+)/.exec(await template.locator('xpath=..').textContent())[1];
    await screenshot(page, 'launch-vm-template');
    // A clone cannot shrink the template's disk: smaller sizes are not offered, and the
    // disk asked for grew to the template's.
    await stepButton(page, 'Size').click();
    const cloneHint = await page.locator('#launch-clone-disk').textContent();
    const templateGib = Number(/template's (\d+) GiB disk/.exec(cloneHint)[1]);
    assert.ok(templateGib > 8, cloneHint);
    assert.equal(await page.getByRole('radio', { name: /^small/ }).isDisabled(), true, 'small (8 GiB) is too small');
    assert.equal(Number(await page.getByLabel('Disk (GiB)').inputValue()), templateGib);
    await screenshot(page, 'launch-vm-clone-size');
    await stepButton(page, 'Storage & network').click();
    const nodes = page.getByLabel('Node').locator('option:not([disabled])');
    const offered = (await nodes.allTextContents()).filter((text) => text.startsWith('pve'));
    assert.deepEqual(
      offered.map((text) => text.split(' ')[0]),
      [templateNode],
    );
    await stepButton(page, 'Access & name').click();
    await page.getByLabel(/SSH public keys/).fill(sshKey());
    await page.getByLabel(/^Name/).fill('e2e-vm');
    await next(page);
    await stepHeading(page, 'Review').waitFor();
    await page.getByText('Ready to launch.').waitFor({ timeout: WAIT });
    const cloneReview = await page.locator('dl.review').textContent();
    assert.match(cloneReview, /clone of .*cloud-template/);
    assert.match(cloneReview, new RegExp(`${templateGib} GiB disk`), 'the review shows the disk that will be created');
    // Every state the page header passes through while Proxmox clones the VM (which it
    // reports as `VM<vmid>`, stopped, under a clone lock) is recorded.
    await page.evaluate(() => {
      window.headerStates = [];
      new MutationObserver(() => {
        const title = document.querySelector('.heading .title');
        const text = title?.textContent.replace(/\s+/g, ' ').trim();
        if (text && text !== window.headerStates.at(-1)) window.headerStates.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Launch' }).click();
    await landedOnInstance(page);
    await page.getByRole('heading', { name: 'e2e-vm' }).waitFor({ timeout: WAIT });
    await badgeSays(page, 'running');
    const headerStates = await page.evaluate(() => window.headerStates);
    assert.ok(headerStates.some((text) => /creating/.test(text)), `the header said creating: ${headerStates.join(' | ')}`);
    for (const text of headerStates) {
      assert.match(text, /^e2e-vm /, `the header names the VM from the start: ${headerStates.join(' | ')}`);
      assert.doesNotMatch(text, /stopped/, `the header never says stopped: ${headerStates.join(' | ')}`);
    }
    await screenshot(page, 'launch-vm-running');
    await page.close();
  });

  test('a name another instance of the cluster has is refused next to the field', async () => {
    const token = await apiToken(env.server);
    const listed = await apiCall(env.server, 'GET', '/api/v1/instances?limit=1&sort=name', { token });
    const taken = listed.items[0].name;
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await page.goto(env.server.url + '/launch');
    await stepHeading(page, 'Type').waitFor({ timeout: WAIT });
    await next(page);
    await page.getByRole('radio', { name: /debian-12-standard/ }).check();
    for (const heading of ['Size', 'Storage & network', 'Access & name']) {
      await next(page);
      await stepHeading(page, heading).waitFor();
    }
    await page.getByLabel(/^Name/).fill(taken.toUpperCase());
    await page
      .locator('#launch-name-problem')
      .filter({ hasText: `an instance named '${taken}' already exists` })
      .waitFor({ timeout: WAIT });
    await screenshot(page, 'launch-name-taken');
    await page.getByLabel(/^Name/).fill(`${taken}-2`);
    await page.waitForFunction(() => document.querySelector('#launch-name-problem')?.textContent === '', null, {
      timeout: WAIT,
    });
    await page.close();
  });

  test('a container needs a way in: refused without one, a generated root password is shown once', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await page.goto(env.server.url + '/launch');
    await stepHeading(page, 'Type').waitFor({ timeout: WAIT });
    await next(page);
    await page.getByRole('radio', { name: /debian-12-standard/ }).check();
    for (const heading of ['Size', 'Storage & network', 'Access & name']) {
      await next(page);
      await stepHeading(page, heading).waitFor();
    }
    await page
      .getByText('A container needs a way in: choose a key pair / paste a public key, or generate a root password (shown once).')
      .waitFor();
    await page.getByLabel(/^Name/).fill('e2e-password');
    // Neither a key nor a password: Next stays on the step and says why.
    await next(page);
    await page.getByTestId('no-way-in').filter({ hasText: 'Nobody could log in to this container' }).waitFor({ timeout: WAIT });
    assert.equal(await stepHeading(page, 'Access & name').count(), 1, 'still on the access step');
    await screenshot(page, 'launch-no-way-in');
    await page.getByLabel('Generate a root password').check();
    await next(page);
    await stepHeading(page, 'Review').waitFor();
    await page.getByText('Ready to launch.').waitFor({ timeout: WAIT });
    assert.match(await page.locator('dl.review').textContent(), /generated, shown once after Launch/);
    await page.getByRole('button', { name: 'Launch' }).click();
    // Shown once, with a copy button; the page waits for it to be dismissed.
    const secret = page.getByTestId('one-time-secret');
    await secret.waitFor({ timeout: WAIT });
    const password = (await secret.textContent()).trim();
    assert.equal(password.length, 24, password);
    await page.getByText('It will not be shown again').waitFor();
    await page.getByRole('button', { name: /Copy/ }).first().waitFor();
    await screenshot(page, 'launch-root-password');
    await page.getByRole('button', { name: 'Done' }).click();
    await landedOnInstance(page);
    await page.getByRole('heading', { name: 'e2e-password' }).waitFor({ timeout: WAIT });
    assert.equal(await page.getByTestId('one-time-secret').count(), 0);
    assert.ok(!(await page.content()).includes(password), 'not shown again');
    await page.close();
  });

  test('works at phone width', async () => {
    const page = await env.browser.newPage({ viewport: { width: 360, height: 780 } });
    await signIn(page, env.server);
    await page.goto(env.server.url + '/launch');
    await stepHeading(page, 'Type').waitFor({ timeout: WAIT });
    await page.getByText('Step 1 of 6: Type').waitFor();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok((await overflow()) <= 0, `no horizontal scrolling (${await overflow()}px too wide)`);

    // Keyboard only: arrows pick the type, Enter moves on, Space picks an image.
    await page.getByRole('radio', { name: /Container \(LXC\)/ }).focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getByRole('radio', { name: /Virtual machine/ }).isChecked(), true);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await stepHeading(page, 'Image').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Image', 'focus follows the step');
    await page.getByRole('radio', { name: /debian-12-standard/ }).focus();
    await page.keyboard.press('Space');
    await screenshot(page, 'launch-phone');
    await page.keyboard.press('Enter');
    await stepHeading(page, 'Size').waitFor();
    assert.ok((await overflow()) <= 0, 'the size step fits too');
    await screenshot(page, 'launch-phone-size');
    await page.close();
  });
});
