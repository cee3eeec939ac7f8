// Every page of the console checked with axe-core against WCAG 2.1 A and AA
// (contrast, names of controls, landmarks, ARIA use) in the dark theme and the light
// one, on a desktop (1440 px) and a phone (360 px, where no page may scroll sideways),
// with a screenshot of each for review; and the keyboard path through the sign-in form.
// A new page is one line in PAGES.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { violations } from '../lib/axe.mjs';
import { screenshot } from '../lib/browser.mjs';
import { ADMIN_PASSWORD } from '../lib/server.mjs';
import { signIn, useServerAndBrowser } from '../lib/session.mjs';

const env = useServerAndBrowser();

async function settled(page, heading) {
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  await page.waitForFunction(() => !document.body.textContent.includes('Loading…'));
}

const PAGES = [
  ['/', 'Dashboard'],
  ['/instances', 'Instances'],
  ['/launch', 'Launch instance'],
  ['/keypairs', 'Key pairs'],
  ['/alerts', 'Alerts'],
  ['/volumes', 'Volumes'],
  ['/images', 'Images'],
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
    for (const width of [1440, 360]) {
      test(`every page passes WCAG AA in the ${theme} theme at ${width} px`, async () => {
        const page = await env.browser.newPage({ viewport: { width, height: 900 } });
        await page.addInitScript((chosen) => localStorage.setItem('proxicloud.theme', chosen), theme);
        await page.goto(env.server.url + '/');
        await page.getByLabel('Username').waitFor();
        const problems = (await violations(page)).map((line) => `sign-in: ${line}`);
        await screenshot(page, `sign-in-${width}px-${theme}`);
        await signIn(page, env.server);
        await settled(page, 'Dashboard');
        const instance = await page.evaluate(async () => {
          const answer = await fetch('/api/v1/instances?limit=1');
          return (await answer.json()).items[0];
        });
        const pages = [...PAGES, [`/instances/${instance.id}`, instance.name]];
        for (const [path, heading] of pages) {
          await page.goto(env.server.url + path);
          await settled(page, heading);
          for (const line of await violations(page)) problems.push(`${path}: ${line}`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          if (overflow > 0) problems.push(`${path}: the page scrolls sideways by ${overflow} px`);
          const name = path === '/' ? 'dashboard' : path.slice(1).replace(/\/.*/, '-detail');
          await screenshot(page, `${name}-${width}px-${theme}`);
        }
        assert.deepEqual(problems, [], `WCAG AA violations:\n${problems.join('\n')}`);
        await page.close();
      });
    }
  }
});
