// Key pairs against the real binary: generate one, get the private key as a download
// with the "you won't see this again" warning, launch a container with the pair and
// find it on the instance page, import a public key, delete a pair by typing its name.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { screenshot } from '../lib/browser.mjs';
import { signIn, useServerAndBrowser } from '../lib/session.mjs';

const WAIT = 60_000;
const PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host';

const env = useServerAndBrowser();
const stepHeading = (page, name) => page.getByRole('heading', { name, exact: true, level: 2 });
const next = (page) => page.getByRole('button', { name: 'Next' }).click();
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

describe('key pairs', () => {
  test('generates a key pair, downloads its private key once and launches an instance with it', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await signIn(page, env.server);
    await nav(page, 'Key pairs');
    await page.getByRole('heading', { name: 'Key pairs', level: 1 }).waitFor();
    await page.getByText('No key pairs yet').waitFor();

    await page.getByLabel('Name', { exact: true }).fill('e2e-key');
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Generate key pair' }).click();
    const download = await downloading;
    assert.equal(download.suggestedFilename(), 'e2e-key.pem');
    const pem = await readFile(await download.path(), 'utf8');
    assert.match(pem, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    await page.getByText("you won't see it again").waitFor();
    const row = page.getByRole('table', { name: 'Key pairs' }).getByRole('row', { name: /e2e-key/ });
    await row.getByText(/^SHA256:/).waitFor();
    await screenshot(page, 'keypairs-generated');
    await page.getByRole('button', { name: 'Done' }).click();
    // Once dismissed, the private key cannot be had from the page again.
    assert.equal(await page.getByRole('button', { name: 'Download private key again' }).count(), 0);

    // Launch a container with it.
    await nav(page, 'Launch');
    await stepHeading(page, 'Type').waitFor({ timeout: WAIT });
    await next(page);
    await stepHeading(page, 'Image').waitFor();
    await page.getByRole('radio', { name: /debian-12-standard/ }).check();
    await next(page);
    await stepHeading(page, 'Size').waitFor();
    await page.getByRole('radio', { name: /nano/ }).check();
    await next(page);
    await stepHeading(page, 'Storage & network').waitFor();
    await next(page);
    await stepHeading(page, 'Access & name').waitFor();
    await page.getByRole('checkbox', { name: /e2e-key/ }).check();
    await page.getByLabel(/^Name/).fill('e2e-keyed');
    await screenshot(page, 'keypairs-launch-access');
    await next(page);
    await stepHeading(page, 'Review').waitFor();
    await page.getByText('Ready to launch.').waitFor({ timeout: WAIT });
    assert.match(await page.locator('dl.review').textContent(), /1 key pair/);
    await page.getByRole('button', { name: 'Launch' }).click();
    await page.waitForFunction(() => /^\/instances\/[0-9a-f-]{36}$/.test(location.pathname), null, { timeout: WAIT });
    await page.getByRole('heading', { name: 'e2e-keyed' }).waitFor({ timeout: WAIT });
    await page.getByRole('tab', { name: 'Summary' }).click();
    // Recorded once the guest exists: reload until the job got that far.
    const started = Date.now();
    for (;;) {
      const section = page.getByRole('region', { name: 'Key pairs' });
      await section.waitFor();
      if ((await section.getByText('e2e-key').count()) > 0) break;
      assert.ok(Date.now() - started < WAIT, 'the instance lists its key pair');
      await new Promise((resolve) => setTimeout(resolve, 500));
      await page.reload();
      await page.getByRole('heading', { name: 'e2e-keyed' }).waitFor({ timeout: WAIT });
    }
    await screenshot(page, 'keypairs-instance');
    await page.close();
  });

  test('imports a public key and deletes a key pair after its name is typed', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await nav(page, 'Key pairs');
    await page.getByRole('radio', { name: 'Import a public key' }).check();
    await page.getByLabel('Name', { exact: true }).fill('e2e-imported');
    await page.getByLabel('Public key', { exact: true }).fill('ssh-rsa AAAA');
    await page.getByRole('button', { name: 'Import key pair' }).click();
    await page.getByText('is not an OpenSSH public key').waitFor();
    await page.getByLabel('Public key', { exact: true }).fill(PUBLIC_KEY);
    await page.getByRole('button', { name: 'Import key pair' }).click();
    const row = page.getByRole('table', { name: 'Key pairs' }).getByRole('row', { name: /e2e-imported/ });
    await row.getByText('SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU').waitFor();
    await screenshot(page, 'keypairs-imported');

    await row.getByRole('button', { name: 'Delete e2e-imported' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name to confirm').fill('e2e-imported');
    await dialog.getByRole('button', { name: 'Delete key pair' }).click();
    await row.waitFor({ state: 'detached' });
    await page.close();
  });
});
