// Instance consoles in the browser against the real binary and its demo cluster, with
// the real xterm.js and noVNC: a container's terminal runs `hostname` and follows the
// window's size (the simulated shell's `stty size` reports what the browser sent); a
// readonly user gets a sentence, not a terminal; an idle session is closed by the server and the page offers to reconnect.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiCall, apiRequest, eventually } from '../lib/api.mjs';
import { violations } from '../lib/axe.mjs';
import { screenshot } from '../lib/browser.mjs';
import { apiToken, signIn, useServerAndBrowser } from '../lib/session.mjs';

// Short enough to wait for, long enough for the other tests to type in time. Only
// this file's server (each spec file runs in its own process) gets it.
const IDLE_SECS = 8;
process.env.PROXICLOUD_CONSOLE__IDLE_TIMEOUT_SECS = String(IDLE_SECS);
const WAIT = 30_000;

let token;
const env = useServerAndBrowser(async ({ server }) => {
  token = await apiToken(server);
});

/** A running guest of the demo cluster of `type` (`lxc` or `vm`), once mirrored. */
async function runningGuest(type) {
  return eventually(`a running ${type}`, async () => {
    const { items } = await apiCall(env.server, 'GET', '/api/v1/instances?limit=500', { token });
    return items.find((i) => i.type === type && i.status === 'running' && !i.template);
  });
}

/** The terminal's rows as text (xterm.js's DOM renderer keeps one element per row). */
const rows = (page) =>
  page.evaluate(() => [...document.querySelectorAll('.xterm-rows > div')].map((row) => row.textContent.trimEnd()));

async function openConsole(page, id) {
  await page.goto(`${env.server.url}/instances/${id}?tab=console`);
  await page.getByTestId('console-state').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
}

/** Types a command into the focused terminal; waits for a row that `expected` matches. */
async function run(page, command, expected) {
  await page.locator('.xterm').click();
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  await eventually(`${command}'s answer`, async () => (await rows(page)).find((row) => expected.test(row)), WAIT);
  return (await rows(page)).filter((row) => expected.test(row)).at(-1);
}

describe('instance console', () => {
  test('a container terminal runs hostname and follows the window size', async () => {
    const ct = await runningGuest('lxc');
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await openConsole(page, ct.id);
    await page.getByText(`root@${ct.name}:~#`).first().waitFor({ timeout: WAIT });
    assert.equal(await run(page, 'hostname', new RegExp(`^${ct.name}$`)), ct.name);
    assert.deepEqual(await violations(page), []);
    await screenshot(page, 'instance-console-terminal');

    const terminal = page.getByTestId('terminal');
    const before = Number(await terminal.getAttribute('data-cols'));
    assert.equal(await run(page, 'stty size', /^\d+ \d+$/), `${await terminal.getAttribute('data-rows')} ${before}`);

    await page.setViewportSize({ width: 800, height: 700 });
    await page.waitForFunction((cols) => Number(document.querySelector('[data-testid="terminal"]').dataset.cols) < cols, before);
    const [cols, termRows] = [await terminal.getAttribute('data-cols'), await terminal.getAttribute('data-rows')];
    // The guest's shell saw the new size (termproxy's `1:COLS:ROWS:`).
    assert.equal(await run(page, 'stty size', new RegExp(`^${termRows} ${cols}$`)), `${termRows} ${cols}`);
    await screenshot(page, 'instance-console-terminal-narrow');

    // The full-window console of the same instance.
    const href = await page.getByRole('link', { name: 'Open in new tab' }).getAttribute('href');
    assert.equal(href, `/instances/${ct.id}/console`);
    await page.goto(env.server.url + href);
    await page.getByTestId('console-state').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
    await page.getByText(`root@${ct.name}:~#`).first().waitFor({ timeout: WAIT });
    assert.deepEqual(await violations(page), []);
    await screenshot(page, 'instance-console-full-window');
    await page.close();
  });

  test('a readonly user sees why there is no console, not a terminal', async () => {
    const ct = await runningGuest('lxc');
    const rita = await apiRequest(env.server, 'POST', '/api/v1/users', {
      token,
      body: { username: 'rita', role: 'readonly', password: 'rita-password-123' },
    });
    assert.equal(rita.status, 201);
    await apiCall(env.server, 'PUT', `/api/v1/instances/${ct.id}/owner`, { token, body: { owner_id: rita.body.user.id } });
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signIn(page, env.server, { username: 'rita', password: 'rita-password-123' });
    await page.goto(`${env.server.url}/instances/${ct.id}?tab=console`);
    await page.getByTestId('console-unavailable').filter({ hasText: 'read-only' }).waitFor();
    assert.equal(await page.locator('.xterm').count(), 0, 'no terminal');
    assert.deepEqual(await violations(page), []);
    await screenshot(page, 'instance-console-readonly');
    await context.close();
  });

  test('an idle session is closed by the server and can be reconnected', async () => {
    const ct = await runningGuest('lxc');
    const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, env.server);
    await openConsole(page, ct.id);
    const state = page.getByTestId('console-state');
    // Nobody types: the server closes the session and says why.
    await state.filter({ hasText: 'Closed: closed after a period without activity' }).waitFor({ timeout: IDLE_SECS * 1000 + WAIT });
    await screenshot(page, 'instance-console-idle');
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await state.filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
    assert.equal(await run(page, 'hostname', new RegExp(`^${ct.name}$`)), ct.name);
    await page.close();
  });
});
