// An instance's Monitoring tab against the real binary and its demo cluster: the
// metrics worker backfills the demo guests' history from Proxmox's RRD data, and the
// tab draws CPU, memory, disk, network and disk I/O charts with data for every period.
// The Monitoring page lists every node with its last hour, a node and a cluster open
// their charts, and the dashboard shows the busiest instances.
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

  test('the Monitoring page shows every node; a node and its cluster open their charts', async () => {
    const hosts = await api('GET', '/api/v1/monitoring/hosts');
    const cluster = hosts.clusters[0];
    const node = cluster.nodes.find((n) => n.status === 'online');
    assert.ok(node, `an online node: ${JSON.stringify(hosts)}`);
    await eventually(
      `metrics of node ${node.name}`,
      async () => {
        const data = await api('GET', `/api/v1/metrics/nodes/${cluster.id}:${node.name}?period=1h&series=cpu,loadavg`);
        return data.series.cpu.some((v) => v !== null) && data.series.loadavg.some((v) => v !== null);
      },
      WAIT,
    );

    const page = await env.browser.newPage({ viewport: { width: 1280, height: 1100 } });
    await signIn(page, env.server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Monitoring' }).click();
    await page.getByRole('heading', { name: 'Monitoring', level: 1 }).waitFor();
    const rows = page.locator(`section[aria-labelledby="cluster-${cluster.id}"] tbody tr`);
    await rows.first().waitFor();
    assert.equal(await rows.count(), cluster.nodes.length, 'one row per node');
    const row = page.locator(`tr[data-node="${node.name}"]`);
    assert.match(await row.innerText(), new RegExp(`${node.guests_running} running of ${node.guests}`));
    // The sparkline of its last hour has points.
    await row.locator('svg.spark path').waitFor({ timeout: WAIT });
    assert.ok(Number(await row.locator('svg.spark').getAttribute('data-points')) > 0);
    assert.deepEqual(await violations(page), [], 'WCAG AA');
    await screenshot(page, 'monitoring-hosts');

    await row.getByRole('link', { name: node.name }).click();
    await page.getByRole('heading', { name: node.name, level: 1 }).waitFor();
    await page.getByRole('group', { name: 'Period' }).getByRole('button', { name: '1 hour', exact: true }).click();
    const charts = page.locator('.charts[data-period="1h"]');
    await charts.waitFor({ timeout: WAIT });
    for (const chart of ['cpu', 'load', 'memory', 'network']) {
      const figure = charts.locator(`figure[data-chart="${chart}"]`);
      await figure.locator('.uplot canvas').waitFor({ timeout: WAIT });
      assert.ok(Number(await figure.getAttribute('data-points')) > 0, `node ${chart} has data`);
    }
    for (const chart of ['iowait', 'swap', 'rootfs']) {
      await charts.locator(`figure[data-chart="${chart}"] .uplot canvas`).waitFor({ timeout: WAIT });
    }
    const storages = page.getByRole('region', { name: 'Storages' }).locator('tbody tr');
    assert.equal(await storages.count(), node.storages.length, 'its storages');
    assert.deepEqual(await violations(page), [], 'WCAG AA');
    await screenshot(page, 'monitoring-node');

    await page.getByRole('link', { name: cluster.name, exact: true }).click();
    await page.getByRole('heading', { name: cluster.name, level: 1 }).waitFor();
    for (const chart of ['cpu', 'memory', 'network']) {
      await page.locator(`figure[data-chart="${chart}"] .uplot canvas`).waitFor({ timeout: WAIT });
    }
    await page.close();
  });

  test('the dashboard lists the busiest running instances, busiest first', async () => {
    const { items } = await api('GET', '/api/v1/instances?status=running&sort=-cpu&limit=5');
    assert.ok(items.length > 0, 'the demo cluster runs guests');
    for (let i = 1; i < items.length; i += 1) assert.ok(items[i - 1].cpu_usage >= items[i].cpu_usage, 'busiest first');
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await signIn(page, env.server);
    const section = page.getByRole('region', { name: 'Busiest instances' });
    await section.locator('tbody tr').first().waitFor();
    const names = await section.locator('tbody tr td:first-child').allInnerTexts();
    assert.ok(names.length > 0 && names.length <= 5, `at most five: ${names}`);
    // Usage changes between two reads: every listed one is running, and the page's
    // list is in the API's order of its own read.
    const running = new Set((await api('GET', '/api/v1/instances?status=running&limit=1000')).items.map((i) => i.name));
    for (const name of names) assert.ok(running.has(name), `${name} runs`);
    const shares = (await section.locator('tbody tr td:nth-child(2)').allInnerTexts()).map((text) => Number(text.match(/([\d.]+) %/)?.[1]));
    for (let i = 1; i < shares.length; i += 1) assert.ok(shares[i - 1] >= shares[i], `busiest first on the page: ${shares}`);
    assert.deepEqual(await violations(page), [], 'WCAG AA');
    await page.close();
  });
});
