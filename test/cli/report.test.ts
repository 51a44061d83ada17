/**
 * kvmuf report: a self-contained HTML file, opened in headless Chromium to check that its
 * diagrams and traces really render (non-empty boxes), that the sequence diagrams have a
 * lane for each thread and each kernel object with the messages between them, that the
 * violating step, a deadlock's stuck threads and a lasso's cycle are marked, and that the
 * spec machines are coloured by coverage. Screenshotted.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, requireChromium } from '../helpers/chromium.ts';
import { kvmuf } from './run-cli.ts';

const OUT = join(tmpdir(), `kvmuf-report-${process.pid}`);
const FILE = join(OUT, 'kvmuf-report.html');
const ARGS = ['report', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', 'test/handlers/clear-first.ts', '--out', FILE];
const DEADLOCK = join(OUT, 'deadlock.html');
const LASSO = join(OUT, 'lasso.html');
const UFFD = join(OUT, 'uffd.html');
const browserTest = it.skipIf(!haveChromium && !requireChromium);

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
    // Spec coverage of a failing run counts the steps past the spec violation too.
    // 42: the stage-2 spec's in-place recovery (x86 TDP MMU) and the fault loop's SIGNAL_EXIT.
    expect(html).toMatch(/<td>[6-9]\/42 spec transitions<\/td>/);
  });

  describe('in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      kvmuf(ARGS);
      kvmuf(['report', '--design', 'kvm-userfault', '--arch', 'arm64', '--its', '1', '--handler', 'no-uffd-reader', '--out', DEADLOCK]);
      kvmuf(['report', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '1', '--handler', 'forgets-to-clear', '--out', LASSO]);
      kvmuf(['report', '--design', 'uffd', '--handler', 'test/handlers/exits-after-one-fault.ts', '--out', UFFD]);
      if (haveChromium || requireChromium) browser = await launchChromium();
    }, 120_000);
    afterAll(async () => browser?.close());
    const open = async (file: string) => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(pathToFileURL(file).href);
      return page;
    };

    browserTest('renders the table, every diagram and every trace', async () => {
      const page = await open(FILE);
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
    }, 60_000);

    browserTest('a sequence diagram has a lane per thread and per kernel object, and the messages between them', async () => {
      const page = await open(FILE);
      const first = (await page.$$('svg.sequence'))[0]!;
      expect(await first.$$eval('g.lane', (ls) => ls.map((l) => `${l.getAttribute('class')}:${l.getAttribute('data-lane')}`))).toEqual([
        'lane thread:vcpu0',
        'lane thread:vcpu1',
        'lane object:KVM',
        'lane object:bitmap',
        'lane object:memory',
      ]);
      const messages = await first.$$eval('g.message', (ms) => ms.map((m) => `${m.getAttribute('class')} ${m.getAttribute('data-from')}→${m.getAttribute('data-to')} ${m.textContent}`));
      expect(messages).toContain('message call vcpu0→KVM KVM_RUN');
      expect(messages).toContain('message return KVM→vcpu0 exit MEMORY_FAULT gpa 0x0');
      expect(messages).toContain('message store vcpu0→bitmap clear bit 0');
      expect(messages).toContain('message call KVM→memory zero page at gfn 1');
      // The violating step (12: vCPU 1 reads the zero page) is highlighted, and only it.
      expect(await first.$$eval('rect.violating', (r) => r.map((x) => x.getAttribute('data-step')))).toEqual(['12']);
      expect(await first.$eval('g.violating-step', (g) => g.getAttribute('data-thread'))).toBe('vcpu1');
      const box = await first.boundingBox();
      expect(box?.width).toBeGreaterThan(700);
      await first.screenshot({ path: join(OUT, 'sequence.png') });
    }, 60_000);

    browserTest('a userfaultfd trace: the fault that sleeps, the read and its message, the install and the wake-up', async () => {
      const page = await open(UFFD);
      const first = (await page.$$('svg.sequence'))[0]!;
      const messages = await first.$$eval('g.message', (ms) => ms.map((m) => `${m.getAttribute('class')} ${m.getAttribute('data-from')}→${m.getAttribute('data-to')} ${m.textContent}`));
      expect(messages).toEqual(
        expect.arrayContaining([
          'message sleep KVM→userfaultfd GUP: vcpu0 sleeps',
          'message call reader→userfaultfd read()',
          'message return userfaultfd→reader fault at gfn 0',
          'message call userfaultfd→memory install gfn 0 = 1',
          'message wake userfaultfd→vcpu0 wake (gfn 0)',
        ]),
      );
      // The wake-up comes after the install, in the same step.
      expect(messages.indexOf('message wake userfaultfd→vcpu0 wake (gfn 0)')).toBe(messages.indexOf('message call userfaultfd→memory install gfn 0 = 1') + 1);
      await first.screenshot({ path: join(OUT, 'uffd.png') });
    }, 60_000);

    browserTest('the interleaving table has one column per thread, each step in its thread’s column', async () => {
      const page = await open(FILE);
      const table = (await page.$$('table.columns'))[0]!;
      expect(await table.$$eval('thead th', (th) => th.map((x) => x.textContent))).toEqual(['#', 'vcpu0', 'vcpu1']);
      const cells = await table.$$eval('tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      expect(cells.length).toBe(12);
      expect(cells[0]).toEqual(['1', 'KVM_RUN', '']);
      expect(cells[11]).toEqual(['12', '', 'run: guest reads gfn 1 = 0']);
      expect(await table.$$eval('tr.violating', (r) => r.map((x) => x.getAttribute('data-step')))).toEqual(['12']);
    }, 60_000);

    browserTest('the spec machines are coloured: taken, never taken, and the transition the counterexample broke', async () => {
      const page = await open(FILE);
      const count = (cls: string) => page.$$eval(`.diagram svg g.edge.${cls}`, (n) => n.length);
      expect(await count('covered')).toBeGreaterThanOrEqual(4);
      expect(await count('uncovered')).toBeGreaterThan(10);
      expect(await page.$$eval('.diagram svg g.edge.violated', (es) => es.map((e) => e.querySelector('title')?.textContent))).toEqual(['guest->populated']);
      const fault = (await page.$$('.diagram svg'))[2]!;
      await fault.screenshot({ path: join(OUT, 'spec-vcpu-fault-loop.png') });
    }, 60_000);

    browserTest('a deadlock marks each thread that cannot move, where it is stuck', async () => {
      const page = await open(DEADLOCK);
      const seq = (await page.$$('svg.sequence'))[0]!;
      expect(await seq.$$eval('g.stuck', (g) => g.map((x) => `${x.getAttribute('data-thread')}: ${x.textContent}`))).toEqual(['vcpu0: STUCK at KVM_RUNcannot move', 'vcpu1: STUCK at KVM_RUNcannot move', 'control: STUCK at its-restore-tablesasleep in userfaultfd']);
      expect(await seq.$$eval('g.message.sleep', (m) => m.map((x) => `${x.getAttribute('data-from')}→${x.getAttribute('data-to')} ${x.textContent}`))).toContain('KVM→userfaultfd read gfn 1: control sleeps');
      expect(await seq.$$eval('g.lane.object', (l) => l.map((x) => x.getAttribute('data-lane')))).toEqual(['KVM', 'userfaultfd', 'bitmap', 'memory']);
      expect(await page.$$eval('table.columns td.stuck', (td) => td.map((x) => x.textContent))).toEqual(
        // The deadlock and the liveness lasso (a stuck cycle) end in the same state: the
        // restore sleeps holding every vCPU mutex, so the vCPUs are stuck at KVM_RUN too.
        Array.from({ length: 2 }, () => ['STUCK at KVM_RUN', 'STUCK at KVM_RUN', 'STUCK at its-restore-tables (asleep in userfaultfd)']).flat(),
      );
      await seq.screenshot({ path: join(OUT, 'deadlock.png') });
    }, 60_000);

    browserTest('a liveness lasso boxes its cycle', async () => {
      const page = await open(LASSO);
      const seq = (await page.$$('svg.sequence'))[0]!;
      expect(await seq.$$eval('g.cycle', (g) => g.map((x) => x.textContent))).toEqual(['the cycle: these steps repeat forever']);
      const cycle = await seq.$eval('g.cycle rect', (r) => ({ y: Number(r.getAttribute('y')), h: Number(r.getAttribute('height')) }));
      const stepY = await seq.$$eval('g.step circle', (cs) => cs.map((c) => Number(c.getAttribute('cy'))));
      // Steps 4–6 (the cycle) are inside the box, steps 1–3 above it.
      expect(stepY.slice(3).every((y) => y > cycle.y && y < cycle.y + cycle.h)).toBe(true);
      expect(stepY.slice(0, 3).every((y) => y < cycle.y)).toBe(true);
      await seq.screenshot({ path: join(OUT, 'lasso.png') });
    }, 60_000);
  });
});
