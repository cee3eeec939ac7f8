// Identity pages against the real binary: API tokens (self), with screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, screenshot } from '../lib/browser.mjs';
import { ADMIN_PASSWORD, startProxicloud } from '../lib/server.mjs';

let server;
let browser;

before(async () => {
  server = await startProxicloud();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function signIn(page) {
  await page.goto(server.url + '/');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

function nav(page) {
  return page.getByRole('navigation', { name: 'Main' });
}

describe('identity', () => {
  test('an API token is shown once, works as a bearer token, and stops working once revoked', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page);
    await nav(page).getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill('ci-e2e');
    await page.getByLabel('Expires in (days)').fill('30');
    await page.getByRole('button', { name: 'Create token' }).click();

    const secret = (await page.getByTestId('one-time-secret').textContent()).trim();
    assert.match(secret, /^pc_/);
    assert.match(await page.getByRole('alert').first().textContent(), /shown only this once/);
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    const row = page.getByRole('row', { name: /ci-e2e/ });
    assert.match(await row.textContent(), /active/);
    await screenshot(page, 'tokens-created');

    // The secret really authenticates.
    const me = await fetch(server.url + '/api/v1/auth/me', { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(me.status, 200);

    // Once dismissed, the secret is gone for good, also after a reload.
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByTestId('one-time-secret').count(), 0);
    await page.reload();
    await page.getByRole('row', { name: /ci-e2e/ }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');

    // Revoking asks for the name; the button stays disabled until it is typed.
    await page.getByRole('button', { name: 'Revoke ci-e2e' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const confirm = dialog.getByRole('button', { name: 'Revoke token' });
    assert.ok(await confirm.isDisabled());
    await dialog.getByLabel('Name to confirm').fill('ci-e2e');
    await screenshot(page, 'tokens-revoke-confirm');
    await confirm.click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /ci-e2e.*revoked/ }).waitFor();
    await screenshot(page, 'tokens');

    const refused = await fetch(server.url + '/api/v1/auth/me', { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(refused.status, 401);
    await page.close();
  });
});
