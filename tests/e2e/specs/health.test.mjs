// The health map against the real binary and its demo cluster: every running demo
// guest is a tile on its node, coloured by health, and a tile leads to its instance.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiCall } from '../lib/api.mjs';
import { violations } from '../lib/axe.mjs';
import { screenshot } from '../lib/browser.mjs';
import { apiToken, signIn, useServerAndBrowser } from '../lib/session.mjs';

const env = useServerAndBrowser();

describe('health map', () => {
  test('every demo guest is a tile on its node, and a tile opens its instance', async () => {
    const token = await apiToken(env.server);
    const { items } = await apiCall(env.server, 'GET', '/api/v1/instances?limit=1000', { token });
    const guests = items.filter((i) => !i.template);
    assert.ok(guests.length > 0, 'the demo cluster has guests');

    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Health' }).click();
    await page.getByRole('heading', { name: 'Health', level: 1 }).waitFor();
    const tiles = page.locator('a.tile');
    await tiles.first().waitFor();
    assert.equal(await tiles.count(), guests.length, 'one tile per guest (templates are images)');
    // Each guest sits on its own node, coloured as the API says.
    const guest = guests.find((g) => g.status === 'running') ?? guests[0];
    const node = page.getByRole('article', { name: `Node ${guest.node}` });
    const tile = node.getByRole('link', { name: new RegExp(`^${guest.name}\\b.*(healthy|warning|critical|stopped)`) });
    await tile.waitFor();
    const stopped = await page.locator('a.tile.stopped').count();
    assert.equal(stopped, guests.filter((g) => g.status === 'stopped').length, 'stopped guests are grey');
    await screenshot(page, 'health-map');
    assert.deepEqual(await violations(page), [], 'WCAG AA');
    await tile.click();
    await page.getByRole('heading', { name: guest.name }).waitFor();
    assert.match(page.url(), new RegExp(`/instances/${guest.id}$`));
    await page.close();
  });
});
