// Every page of the console checked with axe-core against WCAG 2.1 A and AA
// (contrast, names of controls, landmarks, ARIA use), in the dark theme and the light
// one, and the keyboard path through the sign-in form.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { ADMIN_PASSWORD } from '../lib/server.mjs';
import { signIn, useServerAndBrowser } from '../lib/session.mjs';

// Evaluated through the DevTools protocol rather than added as a <script>: the console's
// Content-Security-Policy (rightly) refuses inline scripts.
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const env = useServerAndBrowser();

/** The WCAG A/AA violations on the page as it is now: one line per rule, with the
 *  first offending element and how many there are. */
async function violations(page) {
  await page.evaluate(AXE);
  const found = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }).then((r) => r.violations),
    WCAG_AA,
  );
  return found.map((v) => {
    const first = v.nodes[0];
    const why = first.failureSummary.split('\n').slice(1).join(' ').trim();
    return `${v.id} (${v.impact}) on ${v.nodes.length} element(s), e.g. ${first.target.join(' ')}: ${why}`;
  });
}

async function settled(page, heading) {
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  await page.waitForFunction(() => !document.body.textContent.includes('Loading…'));
}

const PAGES = [
  ['/', 'Dashboard'],
  ['/instances', 'Instances'],
  ['/launch', 'Launch instance'],
  ['/clusters', 'Clusters'],
  ['/settings', 'Global settings'],
  ['/users', 'Users'],
  ['/tokens', 'API tokens'],
  ['/account', 'Your account'],
  ['/audit', 'Audit log'],
];

describe('accessibility', () => {
  test('the sign-in form is usable with the keyboard alone and passes WCAG AA', async () => {
    const page = await env.browser.newPage();
    await page.goto(env.server.url + '/');
    await page.getByLabel('Username').waitFor();
    assert.deepEqual(await violations(page), []);
    await page.getByLabel('Username').focus();
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await settled(page, 'Dashboard');
    await page.close();
  });

  for (const theme of ['dark', 'light']) {
    test(`every page passes WCAG AA in the ${theme} theme`, async () => {
      const page = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.addInitScript((chosen) => localStorage.setItem('proxicloud.theme', chosen), theme);
      await signIn(page, env.server);
      await settled(page, 'Dashboard');
      const problems = [];
      const instance = await page.evaluate(async () => {
        const answer = await fetch('/api/v1/instances?limit=1');
        return (await answer.json()).items[0];
      });
      const pages = [...PAGES, [`/instances/${instance.id}`, instance.name]];
      for (const [path, heading] of pages) {
        await page.goto(env.server.url + path);
        await settled(page, heading);
        for (const line of await violations(page)) problems.push(`${path}: ${line}`);
      }
      assert.deepEqual(problems, [], `WCAG AA violations:\n${problems.join('\n')}`);
      await page.close();
    });
  }
});
