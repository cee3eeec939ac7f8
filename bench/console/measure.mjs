// The three console measurements, each run in Chromium through the Performance API.

/** Signs in through the login page; the context keeps the session cookies. */
export async function signIn(context, url, password) {
  const page = await context.newPage();
  await page.goto(url + '/');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.close();
}

/**
 * JS and CSS of a first load in a fresh context (empty cache): bytes on the wire,
 * from Resource Timing. `encodedBodySize` is the gzip body the server sent;
 * `transferSize` adds the response headers.
 */
export async function firstLoadBytes(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url + '/', { waitUntil: 'load' });
  const assets = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((entry) => /\.(js|css)(\?|$)/.test(entry.name))
      .map((entry) => ({ name: new URL(entry.name).pathname, body: entry.encodedBodySize, decoded: entry.decodedBodySize, wire: entry.transferSize })),
  );
  await context.close();
  return assets;
}

/**
 * Dashboard time to interactive, defined as: navigation start (time origin) → the
 * first frame painted with the dashboard's data (all four instance tiles counted
 * over every instance, recent jobs and clusters loaded, no "Loading…" left). A
 * MutationObserver installed before any script spots the DOM state; the time is
 * taken after the next animation frame's paint (rAF, then a message task), so it
 * includes rendering that frame. Also reports the main thread's long tasks (> 50 ms)
 * up to that point: zero means the page also answers input by then.
 */
export async function dashboardReady(context, url, expected) {
  const page = await context.newPage();
  await page.addInitScript((total) => {
    const longTasks = [];
    new PerformanceObserver((list) => longTasks.push(...list.getEntries())).observe({ type: 'longtask', buffered: true });
    // Where the time goes: the API calls, and the instance list's pages among them.
    const apiTimes = () => {
      const calls = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/'));
      const pages = calls.filter((e) => e.name.includes('/api/v1/instances'));
      return {
        apiCalls: calls.length,
        firstApiAt: Math.min(...calls.map((e) => e.startTime)),
        instancePages: pages.length,
        instancePagesMs: pages.length ? Math.max(...pages.map((e) => e.responseEnd)) - Math.min(...pages.map((e) => e.startTime)) : 0,
      };
    };
    new Promise((resolve) => {
      const done = () => {
        const tiles = document.querySelectorAll('[aria-label="Instances by state"] .value');
        const main = document.querySelector('main');
        return (
          tiles.length === 4 &&
          tiles[3].textContent.trim() === String(total) &&
          main !== null &&
          !main.textContent.includes('Loading') &&
          main.textContent.includes('Allocated resources per cluster')
        );
      };
      const observer = new MutationObserver(() => {
        if (!done()) return;
        observer.disconnect();
        const dataAt = performance.now();
        requestAnimationFrame(() => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => {
            const paintedAt = performance.now();
            const blocking = longTasks.filter((task) => task.startTime < paintedAt);
            resolve({
              dataAt,
              paintedAt,
              longTasks: blocking.length,
              longestTask: Math.max(0, ...blocking.map((task) => task.duration)),
              ...apiTimes(),
            });
          };
          channel.port2.postMessage(null);
        });
      });
      observer.observe(document, { subtree: true, childList: true, characterData: true });
    }).then((result) => (window.__dashboardResult = result));
  }, expected);
  await page.goto(url + '/');
  // Bounded: a dashboard that never shows its data fails the run instead of hanging it.
  const result = await page.waitForFunction(() => window.__dashboardResult, null, { timeout: 60_000 });
  const value = await result.jsonValue();
  await page.close();
  return value;
}

/**
 * Filtering the instance table: per keystroke, the time from the input event
 * (`event.timeStamp`) to the next painted frame (rAF, then a message task after
 * the paint), with the row count the table then showed.
 */
export async function filterKeystrokes(context, url, expected, query) {
  const page = await context.newPage();
  await page.goto(url + '/instances');
  await page.getByText(`${expected} of ${expected}`).waitFor({ timeout: 60_000 });
  const search = page.getByLabel('Filter instances');
  await search.evaluate((input) => {
    window.__keystrokes = [];
    input.addEventListener(
      'input',
      (event) => {
        requestAnimationFrame(() => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => {
            const shown = document.querySelector('.heading [aria-live]')?.textContent ?? '';
            window.__keystrokes.push({ ms: performance.now() - event.timeStamp, value: input.value, shown });
          };
          channel.port2.postMessage(null);
        });
      },
      { capture: true },
    );
  });
  await search.focus();
  // A pause between keys, as a person types: each keystroke gets its own frame.
  await page.keyboard.type(query, { delay: 150 });
  for (let i = 0; i < query.length; i += 1) {
    await page.keyboard.press('Backspace');
    await page.waitForTimeout(150);
  }
  await page.waitForFunction((n) => window.__keystrokes.length >= n, query.length * 2);
  const samples = await page.evaluate(() => window.__keystrokes);
  await page.close();
  return samples;
}
