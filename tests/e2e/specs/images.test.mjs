// The Images page against the real binary: the demo cluster's container templates,
// ISOs and VM templates in one table whose search, type chips and order live in the
// URL; an admin downloads a container template from the catalogue and follows
// Proxmox's percentages until it is listed; an admin uploads an ISO with a checksum
// and it is listed; a readonly user sees the list without
// the admin's actions; the page is usable at 360 px and passes WCAG AA (axe).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { apiCall } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { apiToken, signIn, useServerAndBrowser } from '../lib/session.mjs';

const WAIT = 60_000;
const WANTED = 'debian-13-standard_13.1-2_amd64.tar.zst';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const env = useServerAndBrowser();
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

async function axeViolations(page) {
  await page.evaluate(AXE);
  const found = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations),
  );
  return found.map((v) => `${v.id}: ${v.nodes[0].target.join(' ')}`);
}

const kindsShown = (table) => table.locator('tbody tr td:first-child').allTextContents();

describe('images', () => {
  test('lists every kind, keeps search, type and order in the URL, and downloads from the catalogue', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await nav(page, 'Images');
    await page.getByRole('heading', { name: 'Images', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'Images' });
    await table.getByRole('row', { name: /debian-12-standard/ }).waitFor({ timeout: WAIT });
    const kinds = new Set(await kindsShown(table));
    assert.deepEqual([...kinds].sort(), ['Container template', 'ISO', 'VM template']);
    assert.deepEqual(await axeViolations(page), []);
    await screenshot(page, 'images-list');

    // Only VM templates, by size, largest first; a reload keeps all of it.
    await page.getByRole('group', { name: 'Type' }).getByRole('button', { name: 'VM template' }).click();
    await page.getByRole('button', { name: 'Size' }).click();
    await page.getByRole('button', { name: 'Size' }).click();
    await page.waitForFunction(() => location.search.includes('sort=-size'));
    assert.match(page.url(), /type=VM\+template/);
    await page.reload();
    await table.locator('tbody tr').first().waitFor({ timeout: WAIT });
    assert.deepEqual([...new Set(await kindsShown(table))], ['VM template']);
    const sizeHeader = page.getByRole('columnheader', { name: /Size/ });
    assert.equal(await sizeHeader.getAttribute('aria-sort'), 'descending');
    // The search narrows to names, OS, storage or node.
    await page.getByRole('group', { name: 'Type' }).getByRole('button', { name: 'VM template' }).click();
    await page.getByLabel('Filter images').fill('debian-12');
    await page.waitForFunction(() => location.search.includes('q=debian-12'));
    const names = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    assert.ok(names.length > 0 && names.every((name) => name.includes('debian-12')), names.join('\n'));
    await page.getByLabel('Filter images').fill('');

    // The catalogue download, followed to the end.
    assert.equal(await table.getByRole('row', { name: new RegExp(WANTED) }).count(), 0, 'not there yet');
    await page.getByRole('button', { name: 'Download from catalogue' }).click();
    const dialog = page.getByRole('dialog', { name: 'Download a container template' });
    await dialog.getByLabel('Template').selectOption({ value: WANTED });
    assert.match(await dialog.getByLabel('Storage').inputValue(), /^pve\d\/local$/);
    assert.deepEqual(await axeViolations(page), []);
    await dialog.getByRole('button', { name: 'Download' }).click();
    // Proxmox's own percentages (wget's in the task log) while it runs.
    await dialog.getByText(/Proxmox is downloading it: \d+ %/).waitFor({ timeout: WAIT });
    await screenshot(page, 'images-downloading');
    await dialog.getByText(`Downloaded ${WANTED}.`).waitFor({ timeout: WAIT });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await table.getByRole('row', { name: new RegExp(WANTED) }).waitFor({ timeout: WAIT });
    await screenshot(page, 'images-downloaded');
    await page.close();
  });

  test('an admin uploads an ISO with its checksum, follows the bytes and Proxmox’s check, it is listed, and deleted', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await page.goto(env.server.url + '/images');
    const table = page.getByRole('table', { name: 'Images' });
    await table.getByRole('row', { name: /debian-12-standard/ }).waitFor({ timeout: WAIT });
    // 3 MiB: more than any JSON body may be, and enough for progress events.
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    const digest = createHash('sha256').update(bytes).digest('hex');

    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Upload an ISO or container template' });
    await dialog.getByLabel('File').setInputFiles({ name: 'rescue disk.iso', mimeType: 'application/octet-stream', buffer: bytes });
    await dialog.getByText('Installer ISO, 3.0 MiB').waitFor();
    assert.match(await dialog.getByLabel('Storage').inputValue(), /^pve\d\/local$/);
    // A wrong checksum length is refused before anything is sent on.
    await dialog.getByLabel('Expected checksum').fill('abc');
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.getByText(/64 hexadecimal digits/).waitFor({ timeout: WAIT });
    assert.equal(await table.getByRole('row', { name: /rescue_disk\.iso/ }).count(), 0);
    await dialog.getByLabel('Expected checksum').fill(digest);
    assert.deepEqual(await axeViolations(page), []);
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.getByText('Uploaded rescue disk.iso.').waitFor({ timeout: WAIT });
    await screenshot(page, 'images-uploaded');
    await dialog.getByRole('button', { name: 'Close' }).click();
    // Listed under the name Proxmox gives it, with its size.
    const row = table.getByRole('row', { name: /rescue_disk\.iso/ });
    await row.waitFor({ timeout: WAIT });
    assert.match(await row.textContent(), /3\.0 MiB/);

    // Deleted again by typed name: the dialog waits for the job, then it leaves the list.
    await row.getByRole('button', { name: 'Delete rescue_disk.iso' }).click();
    const confirm = page.getByRole('dialog', { name: /Delete iso “rescue_disk\.iso”/ });
    await confirm.getByLabel('Name to confirm').fill('rescue_disk.iso');
    await confirm.getByRole('button', { name: 'Delete image' }).click();
    await confirm.waitFor({ state: 'detached', timeout: WAIT });
    await row.waitFor({ state: 'detached', timeout: WAIT });
    await page.close();
  });

  test('a readonly user sees the list without the admin’s actions, also at 360 px', async () => {
    const token = await apiToken(env.server);
    await apiCall(env.server, 'POST', '/api/v1/users', {
      token,
      body: { username: 'ivy', role: 'readonly', password: 'ivy-password-123' },
    });
    const page = await env.browser.newPage({ viewport: { width: 360, height: 780 } });
    await signIn(page, env.server, { username: 'ivy', password: 'ivy-password-123' });
    await page.goto(env.server.url + '/images');
    await page.getByRole('heading', { name: 'Images', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'Images' });
    await table.getByRole('row', { name: /debian-12-standard/ }).waitFor({ timeout: WAIT });
    assert.equal(await page.getByRole('button', { name: 'Download from catalogue' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Upload', exact: true }).count(), 0);
    // Nothing but the table scrolls sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
    assert.deepEqual(await axeViolations(page), []);
    await screenshot(page, 'images-readonly-360');
    await page.close();
  });
});
