// Secrets against the real binary: create one, reveal its value with an explicit
// click, give it a new value and roll back, launch a container that receives it and
// find its name (never its value) on the instance page, then delete it by name.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { screenshot } from '../lib/browser.mjs';
import { signIn, useServerAndBrowser } from '../lib/session.mjs';

const WAIT = 60_000;
const VALUE = 'e2e-secret-value-7f3c';
const PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host';

const env = useServerAndBrowser();
const stepHeading = (page, name) => page.getByRole('heading', { name, exact: true, level: 2 });
const next = (page) => page.getByRole('button', { name: 'Next' }).click();
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

describe('secrets', () => {
  test('creates, reveals, versions and rolls back a secret, and a launched container receives it', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await nav(page, 'Secrets');
    await page.getByRole('heading', { name: 'Secrets', level: 1 }).waitFor();
    await page.getByText('No secrets yet').waitFor();

    await page.getByRole('textbox', { name: /^Name/ }).fill('E2E_TOKEN');
    await page.getByRole('textbox', { name: /^Value/ }).fill(VALUE);
    await page.getByLabel('Description').fill('for the e2e test');
    await page.getByRole('button', { name: 'Create secret' }).click();
    const table = page.getByRole('table', { name: 'Secrets' });
    await table.getByRole('row', { name: /E2E_TOKEN/ }).waitFor();
    // Opened, the value stays hidden until Reveal is clicked.
    await page.getByRole('button', { name: 'Reveal value' }).waitFor();
    assert.equal(await page.getByText(VALUE).count(), 0);
    await page.getByRole('button', { name: 'Reveal value' }).click();
    await page.getByLabel('Value of E2E_TOKEN').getByText(VALUE).waitFor();
    await screenshot(page, 'secrets-revealed');
    await page.getByRole('button', { name: 'Hide value' }).click();

    // A new value is version 2; rolling back to 1 makes version 3 with the first value.
    await page.getByRole('button', { name: 'New value' }).click();
    await page.getByRole('dialog').getByLabel('Value').fill('second-value');
    await page.getByRole('button', { name: 'Save new version' }).click();
    await page.getByText('version 2').waitFor();
    await page.getByRole('button', { name: 'Roll back to version 1' }).click();
    await page.getByText('version 3').waitFor();
    await page.getByRole('button', { name: 'Reveal value' }).click();
    await page.getByLabel('Value of E2E_TOKEN').getByText(VALUE).waitFor();
    await screenshot(page, 'secrets-versions');

    // Launch a container that receives it.
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
    await page.getByLabel(/SSH public keys/).fill(PUBLIC_KEY);
    await page.getByRole('checkbox', { name: /E2E_TOKEN/ }).check();
    await page.getByLabel(/^Name/).fill('e2e-secretive');
    await next(page);
    await stepHeading(page, 'Review').waitFor();
    await page.getByText('Ready to launch.').waitFor({ timeout: WAIT });
    await page.getByRole('button', { name: 'Launch' }).click();
    await page.waitForFunction(() => /^\/instances\/[0-9a-f-]{36}$/.test(location.pathname), null, { timeout: WAIT });
    await page.getByRole('heading', { name: 'e2e-secretive' }).waitFor({ timeout: WAIT });
    await page.getByRole('tab', { name: 'Summary' }).click();
    // Recorded once the guest exists: reload until the job got that far.
    const started = Date.now();
    for (;;) {
      const section = page.getByRole('region', { name: 'Secrets' });
      await section.waitFor();
      if ((await section.getByText('E2E_TOKEN').count()) > 0) break;
      assert.ok(Date.now() - started < WAIT, 'the instance lists its secret');
      await new Promise((resolve) => setTimeout(resolve, 500));
      await page.reload();
      await page.getByRole('heading', { name: 'e2e-secretive' }).waitFor({ timeout: WAIT });
    }
    assert.equal(await page.getByText(VALUE).count(), 0, 'the instance page shows names only');
    await screenshot(page, 'secrets-instance');

    // Delete it by typing its name.
    await nav(page, 'Secrets');
    await table.getByRole('button', { name: 'E2E_TOKEN' }).click();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog').getByRole('textbox').fill('E2E_TOKEN');
    await page.getByRole('button', { name: 'Delete secret' }).click();
    await page.getByText('No secrets yet').waitFor();
    await page.close();
  });
});
