// The HTTP API for set-up calls and checks, shared by the spec files: JSON in, JSON out,
// a bearer token. `server` is the handle `useServerAndBrowser` fills in (read it inside
// tests). A new helper that talks to the API goes here, not into a spec file.
import assert from 'node:assert/strict';

/**
 * A JSON API call, whatever its answer: `{ status, ok, body, text }` (`body` parsed,
 * null when empty). `token` is a bearer (access token) or null.
 */
export async function apiRequest(server, method, path, { token, body } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(server.url + path, {
    method,
    headers,
    body: body == null ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, ok: response.ok, body: text ? JSON.parse(text) : null, text };
}

/** A JSON API call that must succeed: its parsed body. */
export async function apiCall(server, method, path, options) {
  const { ok, status, body, text } = await apiRequest(server, method, path, options);
  assert.ok(ok, `${method} ${path}: ${status} ${text}`);
  return body;
}

/**
 * Polls `probe` every 250 ms until it returns something truthy, which it returns; throws
 * after `timeout` ms naming `what` (for state the API has no event for).
 */
export async function eventually(what, probe, timeout = 60_000) {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
