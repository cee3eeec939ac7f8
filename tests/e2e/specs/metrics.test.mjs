// An instance's Monitoring tab against the real binary and its demo cluster: the
// metrics worker backfills the demo guests' history from Proxmox's RRD data, and the
// tab draws CPU, memory, disk, network and disk I/O charts with data for every period.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiCall, eventually } from '../lib/api.mjs';
import { violations } from '../lib/axe.mjs';
import { screenshot } from '../lib/browser.mjs';
import { apiToken, signIn, useServerAndBrowser } from '../lib/session.mjs';

const PERIODS = ['5m', '1h', '24h', '7d', '30d'];
const CHARTS = ['cpu', 'memory', 'disk', 'network', 'diskio'];
const WAIT = 60_000;

let token;
const env = useServerAndBrowser(async ({ server }) => {
  token = await apiToken(server);
});

const api = (method, path) => apiCall(env.server, method, path, { token });

describe('metrics', () => {
  test('the Monitoring tab charts a running container for every period', async () => {
    // The container that has run longest: it has history for every period.
    const { items } = await api('GET', '/api/v1/instances?limit=1000');
    const running = items.filter((i) => i.status === 'running' && i.type === 'lxc' && !i.template);
    assert.ok(running.length > 0, 'the demo cluster runs a container');
    const instance = running.reduce((a, b) => (b.uptime_secs > a.uptime_secs ? b : a));
    await eventually(
      `metrics of ${instance.name}`,
      async () => {
        const data = await api('GET', `/api/v1/metrics/instances/${instance.id}?period=30d&series=cpu`);
        return data.series.cpu.some((v) => v !== null);
      },
      WAIT,
    );

    const page = await env.browser.newPage({ viewport: { width: 1280, height: 1100 } });
    await signIn(page, env.server);
    await page.goto(`${env.server.url}/instances/${instance.id}`);
    await page.getByRole('heading', { name: instance.name }).waitFor();
    await page.getByRole('tab', { name: 'Monitoring' }).click();
    for (const period of PERIODS) {
      const label = { '5m': '5 min', '1h': '1 hour', '24h': '24 hours', '7d': '7 days', '30d': '30 days' }[period];
      await page.getByRole('group', { name: 'Period' }).getByRole('button', { name: label, exact: true }).click();
      assert.equal(new URL(page.url()).searchParams.get('period'), period, 'the period lives in the URL');
      const charts = page.locator(`.charts[data-period="${period}"]`);
      await charts.waitFor({ timeout: WAIT });
      for (const chart of CHARTS) {
        const figure = charts.locator(`figure[data-chart="${chart}"]`);
        // uPlot drew its canvas, with points to draw.
        await figure.locator('.uplot canvas').waitFor({ timeout: WAIT });
        const points = Number(await figure.getAttribute('data-points'));
        assert.ok(points > 0, `${chart} has data for ${period}`);
      }
      await screenshot(page, `instance-monitoring-${period}`);
    }
    assert.deepEqual(await violations(page), [], 'WCAG AA in the dark theme');
    // Reloading keeps the period; the page is usable at phone width, in either theme.
    await page.reload();
    await page.locator('.charts[data-period="30d"] figure[data-chart="cpu"] .uplot canvas').waitFor({ timeout: WAIT });
    await page.setViewportSize({ width: 360, height: 900 });
    await screenshot(page, 'instance-monitoring-narrow');
    assert.equal(
      await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      true,
      'no sideways scrolling at 360 px',
    );
    await page.evaluate(() => localStorage.setItem('proxicloud.theme', 'light'));
    await page.reload();
    await page.locator('.charts[data-period="30d"] figure[data-chart="cpu"] .uplot canvas').waitFor({ timeout: WAIT });
    assert.deepEqual(await violations(page), [], 'WCAG AA in the light theme');
    await screenshot(page, 'instance-monitoring-narrow-light');
    await page.close();
  });
});
