/**
 * kvmuf report: a self-contained HTML file, opened in headless Chromium to check that its
 * diagrams and traces really render (non-empty boxes), and screenshotted.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, requireChromium } from '../helpers/chromium.ts';
import { kvmuf } from './run-cli.ts';

const OUT = join(tmpdir(), `kvmuf-report-${process.pid}`);
const FILE = join(OUT, 'kvmuf-report.html');
const ARGS = ['report', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', 'test/handlers/clear-first.ts', '--out', FILE];

describe('kvmuf report', () => {
  it('writes one self-contained HTML file (exit 1: the run found counterexamples)', () => {
    const r = kvmuf(ARGS);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`wrote ${FILE}\n`);
    const html = readFileSync(FILE, 'utf8');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    expect(html.match(/<svg/g)?.length).toBe(3 + 6); // three counterexamples, six spec machines
    expect(html).toContain('clear-first');
    expect(html).toContain('guest reads gfn 1 = 0');
  });

  it.skipIf(!haveChromium && !requireChromium)('renders in headless Chromium: the table, every diagram and every trace', async () => {
    kvmuf(ARGS);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(pathToFileURL(FILE).href);
      expect(await page.title()).toBe('kvmuf report');
      const boxes = await page.$$eval('svg', (svgs) => svgs.map((s) => s.getBoundingClientRect()).map((b) => ({ w: b.width, h: b.height })));
      expect(boxes.length).toBe(9);
      for (const b of boxes) expect(b.w * b.h).toBeGreaterThan(2000);
      // The spec diagrams drew their nodes and edges; the sequence diagrams their steps.
      expect(await page.$$eval('.diagram svg g.node', (n) => n.length)).toBeGreaterThan(15);
      expect(await page.$$eval('.diagram svg g.edge', (n) => n.length)).toBeGreaterThan(30);
      expect(await page.$$eval('svg.sequence circle', (n) => n.length)).toBe(12 + 11 + 2);
      expect(await page.$$eval('ol.trace li', (n) => n.length)).toBeGreaterThanOrEqual(25);
      expect(await page.$eval('td.fail', (td) => td.textContent)).toBe('FAIL');
      await page.screenshot({ path: join(OUT, 'report.png'), fullPage: false });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
