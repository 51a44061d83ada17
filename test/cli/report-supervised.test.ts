/**
 * `kvmuf report` runs under the same supervisor as `kvmuf check`: a handler step that
 * never returns is a handler fault (exit 1) and --timeout ends a stuck run (exit 3), within
 * bounded time, instead of hanging the report. The real binary, in a folder outside the
 * repository, on a handler file that lives there.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLEAR, exitStepsHandler, hasStackTrace, userDir } from './user-dir.ts';

const GMEM = ['report', '--design', 'kvm-userfault', '--backing', 'guest_memfd'];

describe('kvmuf report on a handler step that loops forever', () => {
  const u = userDir();
  u.write('loops.ts', exitStepsHandler('loops', `    { label: 'populate', run(c) { if (c.reg(REG_GFN) === 1) for (;;) {} c.populate(c.reg(REG_GFN), { wake: false }); } },\n${CLEAR}`));

  it('reports the handler fault with its trace and exits 1, writing no report', async () => {
    const r = await u.runAsync([...GMEM, '--handler', 'loops.ts', '--step-timeout', '800', '--out', 'loops.html'], 0, () => undefined);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL kvm-userfault x86 guest_memfd 2v×2p (handler loops)');
    expect(r.stdout).toMatch(/handler fault: vcpu\d, step 'populate' did not return within 800 ms/);
    expect(r.stdout).toMatch(/^ {2}path [\d/]+$/m);
    expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
    expect(existsSync(join(u.dir, 'loops.html'))).toBe(false);
    expect(r.ms).toBeLessThan(20_000);
  }, 30_000);

  it('--timeout ends it while the step is stuck (exit 3)', async () => {
    const r = await u.runAsync([...GMEM, '--handler', 'loops.ts', '--step-timeout', '600000', '--timeout', '1', '--out', 'loops.html'], 0, () => undefined);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^INCOMPLETE: stopped at the time limit of 1 s; a handler step did not return/m);
    expect(r.ms).toBeLessThan(1000 + 5000);
  }, 15_000);

  it('a handler that returns gets its report, written by the worker (exit 0)', () => {
    u.write('fixed.ts', exitStepsHandler('fixed', `    { label: 'populate', run(c) { const err = c.populate(c.reg(REG_GFN), { wake: false }); if (err !== 0 && err !== Errno.EEXIST) c.panic('errno ' + err); } },\n${CLEAR}`));
    const r = u.run([...GMEM, '--handler', 'fixed.ts', '--out', 'out/fixed.html']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('wrote out/fixed.html\n');
    expect(r.status).toBe(0);
    expect(existsSync(join(u.dir, 'out', 'fixed.html'))).toBe(true);
  });
});
