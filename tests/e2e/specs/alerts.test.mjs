// Alerts against the real binary: a rule made on the Alerts page fires for a demo
// guest (rules are evaluated as soon as they are made), the header bell counts it
// live, and silencing it from the page takes it off the bell. A webhook channel made on
// the page to a receiver this test starts gets its "send test" message.
import { createServer } from 'node:http';
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

  test('a webhook channel made on the page receives a test message', async () => {
    // A local receiver: answers 200 and hands over each request's path and body.
    const received = [];
    let arrived;
    const arrival = new Promise((resolve) => (arrived = resolve));
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ path: req.url, body: JSON.parse(body || 'null') });
        res.writeHead(200).end();
        arrived();
      });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${receiver.address().port}/hook/e2e-secret-path`;
    try {
      const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
      await signIn(page, env.server);
      await nav(page, 'Alerts');
      const form = page.getByRole('form', { name: 'New channel' });
      await form.getByLabel('Name').fill('e2e hook');
      await form.getByLabel('Kind').selectOption('webhook');
      await form.getByLabel('URL').fill(url);
      await form.getByRole('button', { name: 'Create channel' }).click();
      const row = page.getByRole('table', { name: 'Notification channels' }).getByRole('row', { name: /e2e hook/ });
      // The secret is set, never shown.
      await row.getByText('url: set').waitFor();
      if ((await page.content()).includes('e2e-secret-path')) throw new Error('the webhook URL is shown');

      await row.getByRole('button', { name: 'Send a test to e2e hook' }).click();
      await page.getByText('Test delivered to e2e hook.').waitFor({ timeout: WAIT });
      await arrival;
      if (received[0].path !== '/hook/e2e-secret-path' || received[0].body.status !== 'test') {
        throw new Error(`unexpected delivery ${JSON.stringify(received[0])}`);
      }
      await row.getByText('never').waitFor({ state: 'detached' });

      // Subscribed: critical alerts of any rule go there.
      const subscribe = page.getByRole('form', { name: 'New subscription' });
      await subscribe.getByLabel('Channel').selectOption({ label: 'e2e hook' });
      await subscribe.getByLabel('At least').selectOption('critical');
      await subscribe.getByRole('button', { name: 'Subscribe' }).click();
      await page.getByRole('table', { name: 'Subscriptions' }).getByRole('row', { name: /e2e hook\s+critical/ }).waitFor();
      await screenshot(page, 'alerts-channels');
      await page.close();
    } finally {
      receiver.close();
    }
  });
});
