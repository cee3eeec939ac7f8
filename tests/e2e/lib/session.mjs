// What every spec file shares: one `proxicloud serve --demo` and one browser for the
// whole file, signing in through the login form, and an API token for set-up calls.
import { after, before } from 'node:test';
import { apiCall, apiRequest } from './api.mjs';
import { launchBrowser } from './browser.mjs';
import { ADMIN_PASSWORD, startProxicloud } from './server.mjs';

/**
 * Registers the file's before/after hooks: the server and the browser start before the
 * first test and stop after the last. The returned handles are filled in by the
 * `before` hook, so read them inside tests. Set-up that needs the server goes in
 * `setUp`, which runs in the same hook once both are up: Node 20 does not wait for
 * one top-level `before` hook to finish before it starts the next.
 * @param {(handles: { server: { url: string, stop: () => void } }) => Promise<void>} [setUp]
 * @returns {{ server: { url: string, stop: () => void }, browser: import('playwright-core').Browser }}
 */
export function useServerAndBrowser(setUp) {
  const handles = { server: undefined, browser: undefined };
  before(async () => {
    handles.server = await startProxicloud();
    handles.browser = await launchBrowser();
    await setUp?.(handles);
  });
  after(async () => {
    await handles.browser?.close();
    handles.server?.stop();
  });
  return handles;
}

/**
 * Signs in through the login form. Waits for the heading `landsOn` (the dashboard by
 * default); pass `landsOn: null` when the sign-in is expected to be refused.
 */
export async function signIn(page, server, { username = 'admin', password = ADMIN_PASSWORD, landsOn = 'Dashboard' } = {}) {
  await page.goto(server.url + '/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (landsOn) await page.getByRole('heading', { name: landsOn }).waitFor();
}

/** Logs in through the API: the status, and the access token when it succeeded. */
export async function apiLogin(server, { username = 'admin', password = ADMIN_PASSWORD } = {}) {
  const { status, ok, body } = await apiRequest(server, 'POST', '/api/v1/auth/login', { body: { username, password } });
  return { status, accessToken: ok ? body.access_token : undefined };
}

/** An access token for API calls (the admin's by default); throws if the login is refused. */
export async function apiToken(server, credentials) {
  const { status, accessToken } = await apiLogin(server, credentials);
  if (!accessToken) throw new Error(`login as ${credentials?.username ?? 'admin'}: ${status}`);
  return accessToken;
}

/** The demo cluster is the simulator: its address is where its /sim controls live. */
export async function demoSimUrl(server, token) {
  const clusters = await apiCall(server, 'GET', '/api/v1/clusters', { token });
  return clusters.items.find((c) => c.name === 'demo').addresses[0];
}
