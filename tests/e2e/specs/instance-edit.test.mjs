// Resize, rename and tags of an instance in the console against the real binary and
// its demo cluster: a container renamed and tagged from its page, resized live (its
// disk grown; a shrink refused before sending), found again through the list's tag
// filter; a running VM's new cores shown pending until its restart. Screenshots of
// the dialogs.
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

async function running(id) {
  return eventually(`${id} to run`, async () => {
    const instance = await api('GET', `/api/v1/instances/${id}`);
    return instance.status === 'running' ? instance : null;
  });
}

async function jobsDone(id) {
  await eventually('its jobs to end', async () => {
    const jobs = await api('GET', `/api/v1/instances/${id}/jobs`);
    return jobs.items.every((job) => ['succeeded', 'failed', 'cancelled'].includes(job.status)) ? true : null;
  });
}

describe('instance resize, rename and tags', () => {
  test('a container is renamed, tagged, resized live and found by its tag', async () => {
    const job = await api('POST', '/api/v1/instances', { type: 'lxc', name: 'e2e-small', template: TEMPLATE, cores: 1, memory: 512, disk: 4, generate_root_password: true });
    const reserved = await eventually('the reservation', async () => {
      const current = await api('GET', `/api/v1/jobs/${job.id}`);
      return current.resource_id ?? null;
    });
    await running(reserved);
    await jobsDone(reserved);

    const page = await env.browser.newPage({ viewport: { width: 1280, height: 860 } });
    await signIn(page, env.server);
    await page.goto(`${env.server.url}/instances/${reserved}`);
    await page.getByRole('heading', { name: 'e2e-small' }).waitFor();
    await page.getByRole('region', { name: 'Utilization' }).getByText(/of 1 vCPUs/).waitFor({ timeout: WAIT });
    const actions = page.getByRole('group', { name: 'Instance actions' });

    await actions.getByRole('button', { name: 'Rename / tags' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit “e2e-small”' });
    await edit.getByLabel('Name').fill('e2e-grown');
    await edit.getByLabel('Tags').fill('e2e-tag, web');
    await screenshot(page, 'instance-edit-dialog');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'e2e-grown', exact: true }).waitFor({ timeout: WAIT });
    const named = await api('GET', `/api/v1/instances/${reserved}`);
    assert.deepEqual([named.name, named.tags], ['e2e-grown', ['e2e-tag', 'web']]);

    await actions.getByRole('button', { name: 'Resize' }).click();
    const resize = page.getByRole('dialog', { name: 'Resize “e2e-grown”' });
    await resize.getByLabel(/Root disk/).fill('2');
    await resize.getByText('Disks only grow').waitFor();
    assert.equal(await resize.getByRole('button', { name: 'Resize' }).isDisabled(), true, 'a shrink is not sent');
    await resize.getByLabel(/vCPUs/).fill('2');
    await resize.getByLabel(/Memory/).fill('1024');
    await resize.getByLabel(/Root disk/).fill('6');
    await resize.getByText('A running container takes new cores and memory at once.').waitFor();
    await screenshot(page, 'instance-resize-dialog');
    await resize.getByRole('button', { name: 'Resize' }).click();
    await resize.waitFor({ state: 'detached', timeout: 10_000 }).catch(async (error) => {
      throw new Error(`the resize dialog stayed open: ${await resize.textContent()}`, { cause: error });
    });
    const resized = await eventually('the new size in the mirror', async () => {
      const current = await api('GET', `/api/v1/instances/${reserved}`);
      return current.disk_bytes === 6 * 1024 ** 3 ? current : null;
    });
    assert.deepEqual([resized.cpus, resized.memory_bytes], [2, 1024 * 1024 ** 2]);
    await page.getByRole('region', { name: 'Utilization' }).getByText(/of 2 vCPUs/).waitFor({ timeout: WAIT });

    await page.goto(`${env.server.url}/instances?tag=e2e-tag`);
    const table = page.getByRole('table', { name: 'Instances' });
    await table.getByRole('link', { name: 'e2e-grown' }).waitFor({ timeout: WAIT });
    assert.equal(await table.getByRole('row').count(), 2, 'the header and the one tagged instance');
    await screenshot(page, 'instances-tag-filter');
    await page.close();
  });

  test("a running VM's new cores are pending until it restarts", async () => {
    const vms = await api('GET', '/api/v1/instances?type=vm&status=running&limit=1000');
    const vm = vms.items.find((item) => !item.template && !item.lock);
    assert.ok(vm, 'a running demo VM');
    const cores = Math.round(vm.cpus) + 1;
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 860 } });
    await signIn(page, env.server);
    await page.goto(`${env.server.url}/instances/${vm.id}`);
    await page.getByRole('heading', { name: vm.name }).waitFor();
    await page.getByRole('group', { name: 'Instance actions' }).getByRole('button', { name: 'Resize' }).click();
    const resize = page.getByRole('dialog', { name: `Resize “${vm.name}”` });
    await resize.getByLabel(/vCPUs/).fill(String(cores));
    await resize.getByText('pending until restart').waitFor();
    await resize.getByRole('button', { name: 'Resize' }).click();
    await jobsDone(vm.id);
    await page.getByRole('tab', { name: 'Configuration' }).click();
    const config = page.getByRole('table', { name: 'Proxmox configuration' });
    await config.getByText('pending until restart').waitFor({ timeout: WAIT });
    await screenshot(page, 'instance-config-pending');
    await page.close();
  });
});
