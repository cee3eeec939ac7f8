// The system under test: `proxicloud pve-sim` with N guests and the release
// `proxicloud serve` managing it, registered and fully mirrored before measuring.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPveSim } from '../../tests/e2e/lib/pve-sim.mjs';
import { binary } from '../../tests/e2e/lib/server.mjs';

export const ADMIN_PASSWORD = 'bench-console-password';
const TOKEN_ID = 'root@pam!bench';
const TOKEN_SECRET = '5b1f0a4e-be9c-4c0e-9d1a-000000000000';

function startServer() {
  const dataDir = mkdtempSync(join(tmpdir(), 'proxicloud-bench-console-'));
  const child = spawn(binary(), ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env: { ...process.env, PROXICLOUD_ADMIN_PASSWORD: ADMIN_PASSWORD, PROXICLOUD_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => {
    child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
    child.kill('SIGTERM');
  };
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`proxicloud serve exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /ProxiCloud listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve({ url: match[1], stop });
    });
  });
}

async function api(url, method, path, bearer, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const response = await fetch(url + path, { method, headers, body: body && JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

async function countInstances(url, bearer) {
  let count = 0;
  let cursor = '';
  do {
    const page = await api(url, 'GET', `/api/v1/instances?limit=500${cursor && `&cursor=${encodeURIComponent(cursor)}`}`, bearer);
    count += page.items.length;
    cursor = page.next_cursor ?? '';
  } while (cursor);
  return count;
}

/** Starts both processes and waits until the mirror holds every guest. */
export async function startStack({ nodes, guests }) {
  const stops = [];
  const stop = () => stops.reverse().forEach((fn) => fn());
  try {
    const sim = await startPveSim({ nodes, guests, tokenId: TOKEN_ID, secret: TOKEN_SECRET });
    stops.push(sim.stop);
    const server = await startServer();
    stops.push(server.stop);
    const { access_token: bearer } = await api(server.url, 'POST', '/api/v1/auth/login', null, {
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
    await api(server.url, 'POST', '/api/v1/clusters', bearer, {
      name: 'bench',
      addresses: [sim.url],
      auth: { type: 'token', token_id: TOKEN_ID, secret: TOKEN_SECRET },
      tls_fingerprint: sim.fingerprint,
    });
    const started = Date.now();
    while ((await countInstances(server.url, bearer)) < guests) {
      if (Date.now() - started > 300_000) throw new Error(`the mirror did not reach ${guests} guests in 5 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return { url: server.url, mirroredMs: Date.now() - started, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
