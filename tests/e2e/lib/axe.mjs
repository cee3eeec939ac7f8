// axe-core's WCAG 2.1 A/AA check of a page as it is now, shared by the spec files.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Evaluated through the DevTools protocol rather than added as a <script>: the console's
// Content-Security-Policy (rightly) refuses inline scripts.
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** The WCAG A/AA violations on the page as it is now: one line per rule, with the
 *  first offending element and how many there are. */
export async function violations(page) {
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
