#!/usr/bin/env node
// Console benchmark: prints figures, does not pass or fail.
//
// Starts the release binary's Proxmox VE simulator with 10 nodes × 10,000 guests and
// `proxicloud serve` managing it, waits until every guest is mirrored, then measures
// in Debian's Chromium (playwright-core from tests/e2e):
//   1. JS + CSS of a first load, gzip bytes on the wire   (target ≤ 200 KB)
//   2. dashboard time to interactive on loopback          (target ≤ 500 ms)
//   3. filtering 10,000 instances, per keystroke          (target ≤ 50 ms)
//
//   cargo build --release -p proxicloud && (cd tests/e2e && npm ci)
//   node bench/console/run.mjs [--nodes 10] [--guests 10000] [--runs 5]
//
// PROXICLOUD_BIN picks another binary (e.g. a debug build, which is slower).
import { parseArgs } from 'node:util';
import { launchBrowser } from '../../tests/e2e/lib/browser.mjs';
import { dashboardReady, filterKeystrokes, firstLoadBytes, signIn } from './measure.mjs';
import { ADMIN_PASSWORD, startStack } from './stack.mjs';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10' },
    guests: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '5' },
    query: { type: 'string', default: 'web-12' },
  },
});
const guests = Number(values.guests);
const runs = Number(values.runs);

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value) => `${value.toFixed(1)} ms`;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const median = (numbers) => percentile([...numbers].sort((a, b) => a - b), 0.5);
const row = (label, value, target = '') => console.log(`  ${label.padEnd(44)} ${value.padStart(12)}  ${target}`);

const started = Date.now();
console.error(`starting pve-sim (${values.nodes} nodes × ${guests} guests) and proxicloud serve…`);
const stack = await startStack({ nodes: Number(values.nodes), guests });
const browser = await launchBrowser();
try {
  const assets = await firstLoadBytes(browser, stack.url);

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await signIn(context, stack.url, ADMIN_PASSWORD);
  // The first visit in this context fills the HTTP cache; later ones are return visits.
  const cold = await dashboardReady(context, stack.url, guests);
  const warm = [];
  for (let i = 0; i < runs; i += 1) warm.push(await dashboardReady(context, stack.url, guests));
  const keystrokes = await filterKeystrokes(context, stack.url, guests, values.query);
  await context.close();

  console.log(`\nconsole benchmark: ${values.nodes} nodes × ${guests} instances, loopback, Chromium headless`);
  console.log(`  (server ready with every guest mirrored after ${(stack.mirroredMs / 1000).toFixed(1)} s; whole run ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  console.log('first load (fresh browser context, Resource Timing):');
  for (const asset of assets) row(asset.name, kb(asset.body), `(${kb(asset.decoded)} uncompressed)`);
  const body = assets.reduce((sum, a) => sum + a.body, 0);
  row('JS + CSS, gzip bodies', kb(body), 'target ≤ 200 KB');
  row('JS + CSS, incl. response headers', kb(assets.reduce((sum, a) => sum + a.wire, 0)));

  console.log('\ndashboard: navigation start → first frame painted with all its data:');
  row('first visit (empty HTTP cache)', ms(cold.paintedAt), `data in DOM at ${ms(cold.dataAt)}`);
  const painted = warm.map((r) => r.paintedAt).sort((a, b) => a - b);
  row(`return visits, median of ${runs}`, ms(median(painted)), 'target ≤ 500 ms');
  row(`return visits, worst of ${runs}`, ms(painted.at(-1)));
  row('  of which: first API call starts at (median)', ms(median(warm.map((r) => r.firstApiAt))));
  row('  API calls before ready (median)', String(median(warm.map((r) => r.apiCalls))));
  row(
    `  instance list: ${median(warm.map((r) => r.instancePages))} sequential pages took (median)`,
    ms(median(warm.map((r) => r.instancePagesMs))),
  );
  const longest = Math.max(cold.longestTask, ...warm.map((r) => r.longestTask));
  row('main-thread long tasks before ready (all visits)', String(cold.longTasks + warm.reduce((s, r) => s + r.longTasks, 0)), `longest ${ms(longest)}`);

  console.log(`\nfiltering ${guests} instances: input event → next painted frame, per keystroke:`);
  const times = keystrokes.map((k) => k.ms).sort((a, b) => a - b);
  row(`keystrokes (typing "${values.query}", then deleting it)`, String(times.length));
  row('p50', ms(percentile(times, 0.5)), 'target ≤ 50 ms');
  row('p95', ms(percentile(times, 0.95)));
  row('max', ms(times.at(-1)));
  for (const k of keystrokes) console.log(`    ${JSON.stringify(k.value).padEnd(10)} ${ms(k.ms).padStart(9)}  ${k.shown}`);
} finally {
  await browser.close();
  stack.stop();
}
