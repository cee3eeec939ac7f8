// Starts the real `proxicloud serve --demo` on a free loopback port for one test file.
//
// Until the console router is wired into `serve`, the binary answers `/` with the
// API's 404: then a small same-origin front (ui/dist + a proxy of /api to the binary)
// stands in, so the tests still drive the real API through the real UI bundle.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';

export const ADMIN_PASSWORD = 'e2e-admin-password-0123';
const repo = new URL('../../../', import.meta.url).pathname;

function binary() {
  if (process.env.PROXICLOUD_BIN) return process.env.PROXICLOUD_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(repo, 'target');
  return join(target, 'debug', 'proxicloud');
}

// The server's log goes next to the screenshots, for a reviewer to read after a failure.
const OUTPUT = new URL('../screenshots/', import.meta.url).pathname;

function startBinary() {
  const dataDir = mkdtempSync(join(tmpdir(), 'proxicloud-e2e-'));
  mkdirSync(OUTPUT, { recursive: true });
  const log = createWriteStream(join(OUTPUT, 'proxicloud.log'));
  const child = spawn(binary(), ['serve', '--demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
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

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** ui/dist plus /api proxied to `apiUrl`, on one origin (cookies are SameSite=Strict). */
function startFront(apiUrl) {
  const dist = join(repo, 'ui', 'dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error('ui/dist is missing: run npm run build in ui/');
  const api = new URL(apiUrl);
  const server = createServer((req, res) => {
    if (req.url.startsWith('/api')) {
      const upstream = httpRequest(
        { host: api.hostname, port: api.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dist, path);
    const served = existsSync(file) && extname(file) ? file : join(dist, 'index.html');
    res.writeHead(200, { 'Content-Type': TYPES[extname(served)] ?? 'application/octet-stream' });
    res.end(readFileSync(served));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, stop: () => server.close() });
    });
  });
}

/** @returns {Promise<{ url: string, servesConsole: boolean, stop: () => void }>} */
export async function startProxicloud() {
  const backend = await startBinary();
  const root = await fetch(backend.url + '/');
  const servesConsole = (root.headers.get('content-type') ?? '').startsWith('text/html');
  if (servesConsole) return { ...backend, servesConsole };
  const front = await startFront(backend.url);
  return {
    url: front.url,
    servesConsole,
    stop: () => {
      front.stop();
      backend.stop();
    },
  };
}
