// Starts the real `proxicloud serve --demo` (the release binary scripts/e2e.sh
// builds, or PROXICLOUD_BIN) on a free loopback port for one test file.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ADMIN_PASSWORD = 'e2e-admin-password-0123';
const repo = new URL('../../../', import.meta.url).pathname;

export function binary() {
  if (process.env.PROXICLOUD_BIN) return process.env.PROXICLOUD_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(repo, 'target');
  return join(target, process.env.PROXICLOUD_E2E_PROFILE ?? 'release', 'proxicloud');
}

// The server's log goes next to the screenshots, for a reviewer to read after a failure.
const OUTPUT = new URL('../screenshots/', import.meta.url).pathname;

function startBinary() {
  const dataDir = mkdtempSync(join(tmpdir(), 'proxicloud-e2e-'));
  mkdirSync(OUTPUT, { recursive: true });
  const log = createWriteStream(join(OUTPUT, 'proxicloud.log'));
  const child = spawn(binary(), ['serve', '--demo', '--listen', '127.0.0.1:0', '--s3-listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env: { ...process.env, PROXICLOUD_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.pipe(log);
  // Graceful shutdown waits for open connections (event streams): give it 5 s.
  const stop = () => {
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      rmSync(dataDir, { recursive: true, force: true });
    });
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => (stop(), reject(new Error('proxicloud printed no URL in 90 s'))), 90_000);
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`proxicloud exited with ${code}`))));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /ProxiCloud listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], stop });
      }
    });
  });
}

/** @returns {Promise<{ url: string, stop: () => void }>} */
export async function startProxicloud() {
  return startBinary();
}
