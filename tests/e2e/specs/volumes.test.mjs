// Volumes in the console (issue 9's browser scenario): launch a container with a
// generated key pair, create a 10 GiB volume, attach it at /data, stop and start the
// container (still attached), snapshot the volume, terminate the container (the volume
// is available with its snapshot), make a new volume from the snapshot and attach it to
// another container.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiCall, eventually } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { apiToken, signIn, useServerAndBrowser } from '../lib/session.mjs';

const TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst';
const WAIT = 60_000;

let token;
const env = useServerAndBrowser(async ({ server }) => {
  token = await apiToken(server);
});
const api = (method, path, body) => apiCall(env.server, method, path, { token, body });

/** Waits for a job to succeed; its final state. */
const finished = (job) =>
  eventually(`job ${job.kind}`, async () => {
    const now = await api('GET', `/api/v1/jobs/${job.id}`);
    if (now.status === 'failed' || now.status === 'cancelled') throw new Error(`${job.kind}: ${now.error}`);
    return now.status === 'succeeded' ? now : null;
  });

/** A running container with the key pair, on `node` when given. */
async function launch(name, keyPairId, node) {
  const job = await api('POST', '/api/v1/instances', {
    type: 'lxc',
    name,
    template: TEMPLATE,
    cores: 1,
    memory: 512,
    disk: 4,
    node,
    key_pair_ids: [keyPairId],
  });
  const done = await finished(job);
  return api('GET', `/api/v1/instances/${done.resource_id}`);
}

/** The volume table's row of `name`. */
const row = (page, name) => page.getByRole('table', { name: 'Volumes' }).getByRole('row').filter({ has: page.getByRole('button', { name: `${name}: snapshots` }) });

async function rowSays(page, name, pattern) {
  await eventually(`${name} to show ${pattern}`, async () => pattern.test((await row(page, name).textContent()) ?? ''));
}

describe('volumes', () => {
  test('a volume outlives its instance with its snapshot, and a copy of it serves another', async () => {
    const { key_pair: pair } = await api('POST', '/api/v1/keypairs', { name: 'e2e-volumes', type: 'ed25519' });
    const first = await launch('e2e-vol-a', pair.id);
    const second = await launch('e2e-vol-b', pair.id, first.node);

    const page = await env.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, env.server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Volumes' }).click();
    await page.getByRole('heading', { name: 'Volumes', level: 1 }).waitFor();
    await page.getByText('No volumes yet').waitFor();

    // Create: 10 GiB on the container's node, on a storage that takes snapshots.
    const form = page.getByRole('form', { name: 'New volume' });
    await form.getByLabel('Name').fill('e2e-data');
    await form.getByLabel('Size (GiB)').fill('10');
    const places = await form.getByLabel('Node / storage').locator('option').allTextContents();
    const place = places.find((text) => text.startsWith(`${first.node}/local-lvm`));
    assert.ok(place, `a thin LVM storage on ${first.node}: ${places}`);
    await form.getByLabel('Node / storage').selectOption({ label: place });
    await form.getByRole('button', { name: 'Create volume' }).click();
    await rowSays(page, 'e2e-data', /10 GiB.*available/);
    await screenshot(page, 'volumes-created');

    // Attach at /data.
    await page.getByRole('button', { name: 'Attach e2e-data' }).click();
    const attach = page.getByRole('dialog', { name: 'Attach “e2e-data”' });
    await attach.getByLabel('Instance').selectOption({ label: `e2e-vol-a (container, running)` });
    assert.equal(await attach.getByLabel('Mount path').inputValue(), '/data');
    await screenshot(page, 'volumes-attach');
    await attach.getByRole('button', { name: 'Attach' }).click();
    await rowSays(page, 'e2e-data', /in-use.*e2e-vol-a at \/data/);
    const attached = (await api('GET', '/api/v1/volumes')).items.find((volume) => volume.name === 'e2e-data');

    // The status chips and the search filter on the server; no match says so.
    const chips = page.getByRole('group', { name: 'Status' });
    await chips.getByRole('button', { name: 'available' }).click();
    await page.getByRole('heading', { name: 'Nothing matches' }).waitFor();
    assert.match(page.url(), /status=available/);
    await chips.getByRole('button', { name: 'in-use' }).click();
    await rowSays(page, 'e2e-data', /in-use/);
    await page.getByLabel('Filter volumes').fill('no-such-volume');
    // An admin sees everyone's volumes: the message does not say "of yours".
    await page.getByText('No volume has “no-such-volume” in its name and is in-use.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await rowSays(page, 'e2e-data', /in-use/);
    assert.doesNotMatch(page.url(), /status=|q=/);
    const config = await api('GET', `/api/v1/instances/${first.id}/config`);
    const mount = config.entries.find((entry) => entry.key === attached.attachment.device);
    assert.match(mount.value, /mp=\/data/, 'Proxmox mounts it at /data');

    // Stop and start the container: still attached.
    for (const action of ['stop', 'start']) await finished(await api('POST', `/api/v1/instances/${first.id}/${action}`, {}));
    await page.reload();
    await rowSays(page, 'e2e-data', /in-use.*e2e-vol-a at \/data/);

    // Snapshot it.
    await page.getByRole('button', { name: 'e2e-data: snapshots' }).click();
    const snapshots = page.getByRole('region', { name: 'Snapshots of e2e-data' });
    await snapshots.getByText('No snapshots.').waitFor();
    await snapshots.getByRole('button', { name: 'Take snapshot' }).click();
    const take = page.getByRole('dialog', { name: 'Snapshot “e2e-data”' });
    await take.getByLabel('Snapshot name').fill('before-upgrade');
    await take.getByRole('button', { name: 'Take snapshot' }).click();
    await snapshots.getByText('before-upgrade').waitFor({ timeout: WAIT });
    await eventually('the snapshot to be available', async () => /available/.test(await snapshots.textContent()));
    await screenshot(page, 'volumes-snapshot');
    // A name it has already is the server's to refuse: said at the field; editing the
    // name clears it and the dialog can be sent again.
    await snapshots.getByRole('button', { name: 'Take snapshot' }).click();
    const again = page.getByRole('dialog', { name: 'Snapshot “e2e-data”' });
    await again.getByLabel('Snapshot name').fill('before-upgrade');
    await again.getByRole('button', { name: 'Take snapshot' }).click();
    await again.getByText(/already/).waitFor();
    await again.getByLabel('Snapshot name').fill('before-upgrade-2');
    assert.equal(await again.getByText(/already/).count(), 0, 'the old answer is gone');
    assert.equal(await again.getByRole('button', { name: 'Take snapshot' }).isDisabled(), false);
    await again.getByRole('button', { name: 'Cancel' }).click();

    // Terminate the container: the volume stays, available, with its snapshot.
    await finished(await api('DELETE', `/api/v1/instances/${first.id}?confirm=e2e-vol-a`));
    await rowSays(page, 'e2e-data', /available/);
    assert.doesNotMatch(await row(page, 'e2e-data').textContent(), /e2e-vol-a/);
    await snapshots.getByText('before-upgrade').waitFor();

    // A new volume from the snapshot, attached to the other container.
    await snapshots.getByRole('button', { name: 'New volume from before-upgrade' }).click();
    const clone = page.getByRole('dialog', { name: 'New volume from “before-upgrade”' });
    await clone.getByLabel("New volume's name").fill('e2e-data-copy');
    await clone.getByRole('button', { name: 'Create volume' }).click();
    await rowSays(page, 'e2e-data-copy', /10 GiB.*available/);
    await page.getByRole('button', { name: 'Attach e2e-data-copy' }).click();
    const attachCopy = page.getByRole('dialog', { name: 'Attach “e2e-data-copy”' });
    await attachCopy.getByLabel('Instance').selectOption({ label: `e2e-vol-b (container, running)` });
    await attachCopy.getByRole('button', { name: 'Attach' }).click();
    await rowSays(page, 'e2e-data-copy', /in-use.*e2e-vol-b at \/data/);
    await screenshot(page, 'volumes-copy-attached');
    assert.equal((await api('GET', `/api/v1/instances/${second.id}`)).status, 'running');
    // The instance's own page lists it.
    await page.getByRole('link', { name: 'e2e-vol-b' }).click();
    await page.getByRole('tab', { name: 'Volumes' }).click();
    const attachedHere = page.getByRole('tabpanel', { name: 'Volumes' }).getByRole('listitem');
    await attachedHere.first().waitFor();
    assert.match(await attachedHere.textContent(), /e2e-data-copy.*in-use.*10 GiB on local-lvm, at \/data/s);
    await page.close();
  });

  test('bad sizes and names are refused next to the field; a volume grows', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await page.goto(env.server.url + '/volumes');
    const form = page.getByRole('form', { name: 'New volume' });
    await form.getByLabel('Name').fill('no spaces allowed');
    await form.getByLabel('Size (GiB)').fill('0');
    await form.locator('#volume-name-problem').waitFor();
    await form.locator('#volume-size-problem').waitFor();
    assert.equal(await form.getByRole('button', { name: 'Create volume' }).isDisabled(), true);
    // Volumes only grow: a smaller or equal size is refused before anything is sent.
    await page.getByRole('button', { name: 'Grow e2e-data', exact: true }).click();
    const grow = page.getByRole('dialog', { name: 'Grow “e2e-data”' });
    await grow.getByLabel('New size (GiB)').fill('5');
    await grow.getByText('volumes only grow').waitFor();
    assert.equal(await grow.getByRole('button', { name: 'Grow' }).isDisabled(), true);
    await grow.getByLabel('New size (GiB)').fill('12');
    await grow.getByRole('button', { name: 'Grow' }).click();
    await rowSays(page, 'e2e-data', /12 GiB/);
    await page.close();
  });
});
