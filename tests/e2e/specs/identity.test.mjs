// Identity pages against the real binary: API tokens (self), users and the audit
// log (admin), with screenshots.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiRequest } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { apiLogin, apiToken, signIn, useServerAndBrowser } from '../lib/session.mjs';

const env = useServerAndBrowser();

function nav(page) {
  return page.getByRole('navigation', { name: 'Main' });
}

describe('identity', () => {
  test('an API token is shown once, works as a bearer token, and stops working once revoked', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, env.server);
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
    const me = await apiRequest(env.server, 'GET', '/api/v1/auth/me', { token: secret });
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

    const refused = await apiRequest(env.server, 'GET', '/api/v1/auth/me', { token: secret });
    assert.equal(refused.status, 401);
    await page.close();
  });

  test('an admin creates a user, changes their role, disables, enables and resets their password', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, env.server);
    await nav(page).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();

    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    await page.getByLabel('Initial password').fill('alice-initial-pw-1');
    await page.getByRole('button', { name: 'Create user' }).click();
    const row = page.getByRole('row', { name: /alice/ });
    await row.waitFor();
    assert.match(await row.textContent(), /enabled/);
    assert.equal((await apiLogin(env.server, { username: 'alice', password: 'alice-initial-pw-1' })).status, 200);

    // A role change asks first; Cancel sends nothing and the select keeps the role.
    const patches = [];
    page.on('request', (r) => r.method() === 'PATCH' && r.url().includes('/api/v1/users/') && patches.push(r.url()));
    await page.getByLabel('Role of alice').selectOption('readonly');
    assert.match(await page.getByRole('dialog').textContent(), /Make “alice” readonly\?.*only look/s);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.getByLabel('Role of alice').inputValue(), 'operator');
    assert.equal(patches.length, 0, 'Cancel changes nothing');
    // Listen before the change: the response can arrive before a later listener exists.
    const patched = page.waitForResponse((r) => r.url().includes('/api/v1/users/') && r.request().method() === 'PATCH');
    await page.getByLabel('Role of alice').selectOption('readonly');
    await page.getByRole('dialog').getByRole('button', { name: 'Make readonly' }).click();
    await patched;
    assert.equal(patches.length, 1);
    await page.reload();
    assert.equal(await page.getByLabel('Role of alice').inputValue(), 'readonly', 'the role change was saved');

    await page.getByRole('button', { name: 'Disable alice' }).click();
    // Enable reverses it: the dialog does not claim otherwise.
    const disableText = await page.getByRole('dialog').textContent();
    assert.doesNotMatch(disableText, /cannot be undone/);
    assert.match(disableText, /enable them again/);
    await page.getByRole('dialog').getByLabel('Name to confirm').fill('alice');
    await page.getByRole('dialog').getByRole('button', { name: 'Disable user' }).click();
    await page.getByRole('row', { name: /alice.*disabled/ }).waitFor();
    assert.notEqual((await apiLogin(env.server, { username: 'alice', password: 'alice-initial-pw-1' })).status, 200, 'a disabled user cannot sign in');
    await screenshot(page, 'users-disabled');

    await page.getByRole('button', { name: 'Enable alice' }).click();
    await page.getByRole('row', { name: /alice.*enabled/ }).waitFor();

    await page.getByRole('button', { name: 'Reset password of alice' }).click();
    await page.getByRole('dialog').getByLabel('Name to confirm').fill('alice');
    await page.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
    const generated = (await page.getByTestId('one-time-secret').textContent()).trim();
    assert.ok(generated.length >= 10, 'a generated password is shown once');
    await screenshot(page, 'users');
    assert.notEqual((await apiLogin(env.server, { username: 'alice', password: 'alice-initial-pw-1' })).status, 200, 'the old password stops working');
    await page.close();

    // Alice (readonly) signs in with the new password and does not see the admin-only page.
    const context = await env.browser.newContext();
    const alicePage = await context.newPage();
    await signIn(alicePage, env.server, { username: 'alice', password: generated });
    await nav(alicePage).getByRole('link', { name: 'API tokens' }).waitFor();
    assert.equal(await nav(alicePage).getByRole('link', { name: 'Users' }).count(), 0);

    // She changes her own password from the user menu: a wrong current one is named at its field.
    await alicePage.getByRole('button', { name: /alice/ }).click();
    await alicePage.getByRole('menuitem', { name: 'Change password' }).click();
    await alicePage.getByRole('heading', { name: 'Your account' }).waitFor();
    assert.match(await alicePage.getByRole('region', { name: 'Who you are' }).textContent(), /readonly.*cannot change them/s);
    const chosen = 'alice-chosen-password-2';
    await alicePage.getByLabel('Current password').fill('not-her-password');
    await alicePage.getByLabel('New password', { exact: true }).fill(chosen);
    await alicePage.getByLabel('New password again').fill(chosen);
    await alicePage.getByRole('button', { name: 'Change password' }).click();
    const currentField = alicePage.getByLabel('Current password');
    await alicePage.waitForFunction(() => document.getElementById('current-password')?.getAttribute('aria-invalid') === 'true');
    const problemId = await currentField.getAttribute('aria-describedby');
    assert.match(await alicePage.locator(`#${problemId}`).textContent(), /\S/, 'the reason is next to the field');
    assert.equal((await apiLogin(env.server, { username: 'alice', password: generated })).status, 200, 'nothing changed');
    await alicePage.getByLabel('Current password').fill(generated);
    await alicePage.getByRole('button', { name: 'Change password' }).click();
    await alicePage.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    assert.notEqual((await apiLogin(env.server, { username: 'alice', password: generated })).status, 200, 'the old password stops working');
    assert.equal((await apiLogin(env.server, { username: 'alice', password: chosen })).status, 200);
    await alicePage.reload();
    await alicePage.getByRole('heading', { name: 'Your account' }).waitFor();
    await screenshot(alicePage, 'account');
    await context.close();

    // The admin deletes her, after typing her name.
    const adminPage = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(adminPage, env.server);
    await nav(adminPage).getByRole('link', { name: 'Users' }).click();
    await adminPage.getByRole('button', { name: 'Delete alice' }).click();
    assert.match(await adminPage.getByRole('dialog').textContent(), /instances they own stay, unowned/);
    const confirm = adminPage.getByRole('dialog').getByRole('button', { name: 'Delete user' });
    assert.ok(await confirm.isDisabled(), 'not before the name is typed');
    await adminPage.getByRole('dialog').getByLabel('Name to confirm').fill('alice');
    await confirm.click();
    await adminPage.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await adminPage.getByRole('row', { name: /alice/ }).count(), 0);
    assert.notEqual((await apiLogin(env.server, { username: 'alice', password: chosen })).status, 200, 'a deleted user cannot sign in');
    await adminPage.close();
  });

  test('the audit log filters, pages through entries and exports the same filter as CSV', async () => {
    // 55 audited actions: more than one page of 50.
    const bearer = await apiToken(env.server);
    for (let i = 0; i < 55; i += 1) {
      const created = await apiRequest(env.server, 'POST', '/api/v1/tokens', {
        token: bearer,
        body: { name: `audit-${i}`, expires_in_days: 1 },
      });
      assert.equal(created.status, 201);
    }
    assert.notEqual((await apiLogin(env.server, { username: 'admin', password: 'wrong-password-123' })).status, 200);

    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, env.server);
    await nav(page).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = page.getByRole('table', { name: 'Audit log' }).locator('tbody tr');
    await rows.first().waitFor();

    // Any part of the action, in any case, finds it (not only its start).
    await page.getByLabel('Action').fill('EATE_API');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitForRows(page, 50, 'create_api_token');
    assert.equal(await page.getByRole('row', { name: /login/ }).count(), 0, 'only the filtered action');

    // The export carries the same filter (and the earlier test's token adds to the 55).
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    assert.equal(href, '/api/v1/audit.csv?action=EATE_API');
    const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href);
    const exported = csv.split('\n').filter((line) => line.includes('create_api_token')).length;
    assert.ok(exported >= 55 && exported < 100, `${exported} exported entries`);

    await page.getByRole('button', { name: 'Older' }).click();
    await waitForRows(page, exported - 50, 'create_api_token');
    assert.ok(await page.getByRole('button', { name: 'Older' }).isDisabled(), 'the last page');
    // Filters and page are in the URL: a reload shows the same page, Back the one before.
    await page.reload();
    await waitForRows(page, exported - 50, 'create_api_token');
    assert.equal(await page.getByLabel('Action').inputValue(), 'EATE_API');
    await page.getByText('Page 2').waitFor();
    await page.goBack();
    await waitForRows(page, 50, 'create_api_token');
    await page.goForward();
    await waitForRows(page, exported - 50, 'create_api_token');
    await page.getByRole('button', { name: 'Newer' }).click();
    await waitForRows(page, 50, 'create_api_token');


    // A window that ends before it starts is refused with a reason, not shown as "No entries".
    await page.getByLabel('From').fill('2026-02-01T00:00');
    await page.getByLabel('To', { exact: true }).fill('2026-01-01T00:00');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const to = page.getByLabel('To', { exact: true });
    assert.equal(await to.getAttribute('aria-invalid'), 'true');
    await page.getByText('To must be later than From.').waitFor();
    await waitForRows(page, 50, 'create_api_token');

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // Wait for the filtered page itself, not a login failure still on the unfiltered one.
    await waitForRows(page, null, 'failure');
    await page.getByRole('row', { name: /login.*failure/ }).first().waitFor();
    await screenshot(page, 'audit');
    await page.close();
  });
});

/** Waits until the table shows the page asked for: `count` rows (any when null), each holding `text`. */
async function waitForRows(page, count, text) {
  await page.waitForFunction(
    ([count, text]) => {
      const rows = [...document.querySelectorAll('tbody tr')];
      return rows.length > 0 && (count === null || rows.length === count) && rows.every((row) => row.textContent.includes(text));
    },
    [count, text],
  );
}
