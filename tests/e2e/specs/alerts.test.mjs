// Alerts against the real binary: a rule made on the Alerts page fires for a demo
// guest (rules are evaluated as soon as they are made), the header bell counts it
// live, and silencing it from the page takes it off the bell.
import { describe, test } from 'node:test';
import { apiCall } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { apiToken, signIn, useServerAndBrowser } from '../lib/session.mjs';

const WAIT = 60_000;
const env = useServerAndBrowser();
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

describe('alerts', () => {
  test('a rule fires for a demo guest, the bell shows it, and a silence mutes it', async () => {
    const token = await apiToken(env.server);
    const running = await apiCall(env.server, 'GET', '/api/v1/instances?status=running&limit=1', { token });
    const guest = running.items[0];
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    const bell = page.getByRole('link', { name: /alerts? firing$/ });
    await bell.and(page.getByRole('link', { name: '0 alerts firing' })).waitFor();

    await nav(page, 'Alerts');
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Alert rules' }).getByText('Instance down unexpectedly').waitFor();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').fill('e2e busy');
    await form.getByLabel('Comparison').selectOption('ge');
    await form.getByLabel('Threshold').fill('0');
    await form.getByLabel('For (seconds)').fill('0');
    await form.getByRole('combobox', { name: /^Scope/ }).selectOption('instance');
    await form.getByLabel('Scope value').fill(guest.id);
    await form.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('table', { name: 'Alert rules' }).getByRole('row', { name: /e2e busy/ }).waitFor();

    // Evaluated at once: the alert fires and the bell counts it, without a reload.
    const row = page.getByRole('table', { name: 'Open alerts' }).getByRole('row', { name: /e2e busy/ });
    await row.getByText('firing').waitFor({ timeout: WAIT });
    await page.getByRole('link', { name: '1 alert firing' }).waitFor({ timeout: WAIT });
    await screenshot(page, 'alerts-firing');

    await row.getByRole('button', { name: `Silence e2e busy on ${guest.name} for 1 hour` }).click();
    await row.getByText('silenced').waitFor({ timeout: WAIT });
    await page.getByRole('link', { name: '0 alerts firing' }).waitFor({ timeout: WAIT });
    await page.getByRole('table', { name: 'Silences' }).getByText(`instance ${guest.id}`).waitFor();
    await screenshot(page, 'alerts-silenced');
    await page.close();
  });
});
