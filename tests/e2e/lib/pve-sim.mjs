// Starts `proxicloud pve-sim` (the Proxmox VE simulator) on a free loopback port with
// one API token whose secret the caller knows, for tests that register a cluster
// themselves (and for bench/console).
import { spawn } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { binary } from './server.mjs';

/**
 * @param {{ nodes?: number, guests?: number, tokenId: string, secret: string }} options
 * @returns {Promise<{ url: string, fingerprint: string, stop: () => void }>}
 */
export function startPveSim({ nodes = 2, guests = 2, tokenId, secret }) {
  const child = spawn(
    binary(),
    ['pve-sim', '--listen', '127.0.0.1:0', '--time-scale', '0', '--nodes', String(nodes), '--guests', String(guests), '--token', `${tokenId}=${secret}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const stop = () => child.kill('SIGTERM');
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => (stop(), reject(new Error('pve-sim printed no fingerprint in 120 s'))), 120_000);
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`pve-sim exited with ${code}`))));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = /pve-sim listening on (\S+)/.exec(out);
      const fingerprint = /pve-sim certificate fingerprint \(SHA-256\) (\S+)/.exec(out);
      if (url && fingerprint) {
        clearTimeout(timer);
        resolve({ url: url[1], fingerprint: fingerprint[1], stop });
      }
    });
  });
}

/** A `/sim/…` control or fault-injection call on a running simulator (self-signed certificate). */
export function simControl(simUrl, path) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${simUrl}/sim/${path}`, { method: 'POST', rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(`/sim/${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}
