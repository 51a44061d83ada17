/**
 * Exit-on-missing exits whenever fast GUP fails, including a write to a page mapped from
 * the zero page (review V4). Page 1 is ballooned out, refilled with UFFDIO_ZEROPAGE when
 * the guest reads it, then written: only a handler that makes the page writable
 * (MADV_POPULATE_WRITE on EEXIST, seed 001) lets the vCPU finish.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { exitOnMissingHandler } from '../../src/vmm/exit-on-missing.ts';
import { noPopulateWriteHandler } from '../../src/vmm/flawed.ts';
import { PROPERTY } from '../../properties/core.ts';
import { bruteForceCount } from '../helpers/brute-force.ts';

const cfg: SystemConfig = {
  design: 'exit-on-missing',
  arch: 'x86',
  backing: 'anon',
  vcpus: 1,
  pages: 2,
  remote: [0],
  programs: [[{ kind: 'read', gfn: 0 }, { kind: 'read', gfn: 1 }, { kind: 'write', gfn: 1, value: 7 }]],
  control: { balloon: [1] },
};

describe('exit-on-missing and the zero page', () => {
  it('a handler that re-enters on EEXIST livelocks: the write exits again and again', () => {
    const r = check(systemModel(composeSystem(cfg, noPopulateWriteHandler)));
    expect(r.status).toBe('fail');
    const f = r.failures.find((x) => x.kind === 'liveness');
    expect(f).toMatchObject({ kind: 'liveness', property: PROPERTY.vcpusFinish });
    const cycle = f && f.kind === 'liveness' ? f.lasso.cycleLabels : [];
    expect(cycle.some((l) => /UFFDIO_ZEROPAGE\(DONTWAKE\) gfn 1 → EEXIST/.test(l))).toBe(true);
    expect(cycle.some((l) => /KVM_EXIT_MEMORY_FAULT gpa 0x1000/.test(l))).toBe(true);
  });

  it.each(['x86', 'arm64'] as const)('the reference handler (MADV_POPULATE_WRITE on EEXIST) passes on %s', (arch) => {
    const system = composeSystem({ ...cfg, arch }, exitOnMissingHandler);
    const r = check(systemModel(system, { consistency: true }));
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
    expect(r.coverage.fired['vcpu.populate-write']).toBeGreaterThan(0);
    expect(bruteForceCount(systemModel(system)).distinct).toBe(r.stats.distinct);
  });
});
