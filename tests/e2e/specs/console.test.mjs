// The console against the real binary: sign-in, dashboard, instances, session
// refresh and sign-out, with a screenshot of every page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { screenshot } from '../lib/browser.mjs';
import { apiCall } from '../lib/api.mjs';
import { apiToken, signIn, useServerAndBrowser } from '../lib/session.mjs';

const TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst';
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

  test('running guests show learning… until their addresses arrive, without anyone opening them; agentless VMs say none', async () => {
    // The first look at the list after start: addresses are learned in the background
    // (a bounded sweep), never because a list or an instance page was requested.
    const page = await env.browser.newPage({ viewport: { width: 1440, height: 1200 } });
    await signIn(page, env.server);
    await page.goto(`${env.server.url}/instances?type=lxc&status=running`);
    await page.locator('[role="table"][aria-label="Instances"] [role="row"] .ip').first().waitFor();
    const addressCells = () =>
      page.evaluate(() => [...document.querySelectorAll('[role="table"][aria-label="Instances"] [role="row"] .ip')].map((cell) => cell.textContent.trim()));
    const first = await addressCells();
    assert.ok(first.length >= 3, `running containers shown: ${first.length}`);
    for (const text of first) assert.match(text, /^(learning…|\d+\.\d+\.\d+\.\d+.*)$/, `an address or learning…, never "—": ${first}`);
    await screenshot(page, 'instances-learning-addresses');
    // Every one gets its address while the page stays as it is (live events, no reload).
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[role="table"][aria-label="Instances"] [role="row"] .ip')].every((cell) =>
          /^\d+\.\d+\.\d+\.\d+/.test(cell.textContent.trim()),
        ),
      null,
      { timeout: 60_000 },
    );
    // A VM without the guest agent can never tell: it says so instead of learning for ever.
    await page.goto(`${env.server.url}/instances?type=vm&status=running`);
    await page.locator('[role="table"][aria-label="Instances"] [role="row"] .ip').first().waitFor();
    await page.waitForFunction(
      () => {
        const cells = [...document.querySelectorAll('[role="table"][aria-label="Instances"] [role="row"] .ip')].map((cell) => cell.textContent.trim());
        return cells.every((text) => text !== 'learning…') && cells.includes('none reported');
      },
      null,
      { timeout: 60_000 },
    );
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

  test('the instance list keeps search, chips and order in the URL; counts follow the search; templates are apart', async () => {
    const page = await env.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, env.server);
    const all = await page.evaluate(async () => (await (await fetch('/api/v1/instances?limit=1000')).json()).items);
    const templates = all.filter((i) => i.template);
    const guests = all.filter((i) => !i.template);
    assert.ok(templates.length > 0, 'the demo has VM templates');
    const tagged = guests.find((i) => i.tags.length > 0);
    assert.ok(tagged, 'the demo tags some guests');
    const tag = tagged.tags[0];
    // The table renders only the rows in view; aria-rowcount counts them all (+ the header).
    const table = page.getByRole('table', { name: 'Instances' });
    const rowsAre = (n) =>
      page.waitForFunction((n) => document.querySelector('[role="table"][aria-label="Instances"]')?.getAttribute('aria-rowcount') === String(n + 1), n);
    const renderedNames = () => table.locator('[role="cell"].name a').allTextContents();

    await page.goto(env.server.url + '/instances');
    await rowsAre(guests.length);
    const templateNames = new Set(templates.map((i) => i.name));
    assert.ok((await renderedNames()).every((name) => !templateNames.has(name)), 'no template is listed as an instance');

    // The status counts are those of the rows the search lets through.
    await page.getByLabel('Filter instances').fill(tagged.name);
    const running = guests.filter((i) => i.name.toLowerCase().includes(tagged.name.toLowerCase()) && i.status === 'running').length;
    await page.getByRole('group', { name: 'Status' }).getByRole('button', { name: new RegExp(`^running\\s*${running}$`) }).waitFor();

    // A tag chip, a sort, and the search: all in the URL, all restored by a reload.
    await page.getByLabel('Filter instances').fill('');
    const tagChip = page.getByRole('group', { name: 'Tag' }).getByRole('button', { name: new RegExp(`^${tag}\\s*\\d+$`) });
    await tagChip.click();
    // By node: a column whose values do not move while the test reads them (memory and
    // CPU sort by live usage).
    await table.getByRole('button', { name: 'Node' }).click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'node');
    assert.deepEqual(new URL(page.url()).searchParams.getAll('tag'), [tag]);
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    const expected = guests
      .filter((i) => i.tags.includes(tag))
      .sort((a, b) => collator.compare(a.node, b.node) || collator.compare(a.name, b.name))
      .map((i) => i.name);
    await rowsAre(expected.length);
    const shown = await renderedNames();
    assert.ok(shown.length > 0, 'rows are rendered');
    assert.deepEqual(shown, expected.slice(0, shown.length));
    await page.reload();
    await rowsAre(expected.length);
    assert.equal(await tagChip.getAttribute('aria-pressed'), 'true');
    assert.equal(await table.locator('[role="columnheader"][aria-sort="ascending"]').textContent(), 'Node▲');

    // Into an instance and Back: the same list.
    await table.getByRole('link', { name: expected[0], exact: true }).click();
    await page.waitForURL(/\/instances\/[0-9a-f-]{36}/);
    await page.goBack();
    await rowsAre(expected.length);
    assert.deepEqual(new URL(page.url()).searchParams.getAll('tag'), [tag]);

    // Templates have their own view.
    await page.getByRole('navigation', { name: 'Instance views' }).getByRole('link', { name: /^Templates/ }).click();
    await rowsAre(templates.length);
    assert.deepEqual((await renderedNames()).sort(), [...templateNames].sort());
    await page.close();
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

  test('the audit log records no first visit and names the instance each entry touched', async () => {
    // Two first visits of the sign-in page (no refresh cookie yet): not events.
    for (let visit = 0; visit < 2; visit += 1) {
      const context = await env.browser.newContext();
      const visitor = await context.newPage();
      await visitor.goto(env.server.url + '/');
      await visitor.getByLabel('Username').waitFor();
      await context.close();
    }
    const token = await apiToken(env.server);
    const job = await apiCall(env.server, 'POST', '/api/v1/instances', {
      token,
      body: { type: 'lxc', name: 'e2e-audited', template: TEMPLATE, generate_root_password: true },
    });
    assert.ok(job.id);

    const page = await env.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signIn(page, env.server);
    await page.goto(`${env.server.url}/audit?action=refresh_session&outcome=denied`);
    await page.getByRole('heading', { name: 'No entries' }).waitFor();
    await page.goto(`${env.server.url}/audit?action=create_instance`);
    const row = page.getByRole('table', { name: 'Audit log' }).locator('tbody tr').first();
    await row.waitFor();
    assert.match(await row.textContent(), /e2e-audited \(instance\)/, 'named, not "instances" or an id');
    await screenshot(page, 'audit-named-resource');
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
