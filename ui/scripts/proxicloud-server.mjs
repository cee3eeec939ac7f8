// Starts a throwaway `proxicloud serve` on a free loopback port and resolves with its URL
// (read from the "ProxiCloud listening on http://…" line it prints). Shared by the API
// type generator; the binary comes from PROXICLOUD_BIN or the shared cargo target dir.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function proxicloudBinary() {
  if (process.env.PROXICLOUD_BIN) return process.env.PROXICLOUD_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? new URL('../../target', import.meta.url).pathname;
  return join(target, 'debug', 'proxicloud');
}

/** @returns {Promise<{ url: string, stop: () => void }>} */
export function startServer({ demo = false, env = {} } = {}) {
  if (!existsSync(proxicloudBinary())) {
    throw new Error(
      `no proxicloud binary at ${proxicloudBinary()}: run \`cargo build -p proxicloud\`, ` +
        'or set PROXICLOUD_BIN, CARGO_TARGET_DIR or PROXICLOUD_URL (a running server)',
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'proxicloud-ui-'));
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir];
  if (demo) args.push('--demo');
  const child = spawn(proxicloudBinary(), args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => {
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error('proxicloud did not print its URL within 60 s'));
    }, 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`proxicloud exited early with code ${code}`));
    });
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const match = /ProxiCloud listening on (http:\/\/\S+)/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], stop });
      }
    });
  });
}
