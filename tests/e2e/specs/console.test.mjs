// The console against the real binary: sign-in, dashboard, instances, session
// refresh and sign-out, with a screenshot of every page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { screenshot } from '../lib/browser.mjs';
import { signIn, useServerAndBrowser } from '../lib/session.mjs';

const env = useServerAndBrowser();

describe('console', () => {
  test('a wrong password is refused with a clear message', async () => {
    const page = await env.browser.newPage();
    await signIn(page, env.server, { password: 'not-the-password', landsOn: null });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal((await alert.textContent()).trim(), 'Wrong username or password.');
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password field is cleared');
    await screenshot(page, 'login-error');
    await page.close();
  });

  test('signing in lands on the dashboard, instances load, pages survive a reload', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page, env.server);
    await page.getByRole('heading', { name: 'Recent jobs' }).waitFor();
    await page.waitForFunction(() => !document.body.textContent.includes('Loading…'));
    await screenshot(page, 'dashboard');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('heading', { name: 'Instances' }).waitFor();
    await page.locator('[role="table"], .empty').first().waitFor();
    assert.equal(new URL(page.url()).pathname, '/instances');
    await screenshot(page, 'instances');

    // A deep link reloads onto the same page (SPA fallback + restored session).
    await page.reload();
    await page.getByRole('heading', { name: 'Instances' }).waitFor();
    await page.close();
  });

  test('an expired access cookie is refreshed without losing the page', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await signIn(page, env.server);
    // Drop the access token only, as if it had expired; the refresh cookie stays.
    const cookies = await context.cookies();
    assert.ok(cookies.some((c) => c.name === 'pc_refresh'), 'refresh cookie set at login');
    await context.clearCookies({ name: 'pc_access' });
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
    // The instances page asks the API again (the owners' names): 401, refresh, retry.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
    assert.equal((await refreshed).status(), 200);
    await page.locator('[role="table"], .empty').first().waitFor();
    assert.ok(!(await page.getByLabel('Password').isVisible()), 'still signed in');
    assert.ok((await context.cookies()).some((c) => c.name === 'pc_access'), 'a new access cookie was issued');
    await context.close();
  });

  test('the layout works on a 360 px phone and "/" focuses search', async () => {
    const page = await env.browser.newPage({ viewport: { width: 360, height: 740 } });
    await signIn(page, env.server);
    assert.ok(!(await page.getByRole('navigation', { name: 'Main' }).isVisible()) ||
      (await page.getByRole('navigation', { name: 'Main' }).boundingBox()).x < 0, 'navigation collapsed');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal page scroll (overflow ${overflow}px)`);
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'global-search');
    await screenshot(page, 'dashboard-360px');
    await page.getByRole('button', { name: 'Toggle navigation' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('heading', { name: 'Instances' }).waitFor();
    await screenshot(page, 'instances-360px');
    await page.close();
  });

  test('signing out returns to the login page and ends the session', async () => {
    const page = await env.browser.newPage();
    await signIn(page, env.server);
    await page.getByRole('button', { name: /admin/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'login');
    await page.close();
  });
});
