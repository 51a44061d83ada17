/**
 * KVM Demand Paging composed with its reference handler: the rules that matter to a VMM,
 * each shown by exhaustive exploration (the pinned matrix runs are in matrix.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { always, check, sometimes, type CheckResult, type Failure } from '../../src/checker/index.ts';
import { ConfigError } from '../../src/system/config-error.ts';
import { resolveConfig, type SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import type { SystemState } from '../../src/system/state.ts';
import { demandPagingHandler } from '../../src/vmm/demand-paging.ts';
import { presentBeforeInstallHandler } from '../../src/vmm/flawed-demand-paging.ts';
import { defineHandler, REG_GFN, type HandlerStrategy } from '../../src/vmm/strategy.ts';
import { PROPERTY } from '../../properties/core.ts';
import { matrixConfig } from './matrix.ts';

function run(cfg: SystemConfig, handler: HandlerStrategy): CheckResult {
  return check(systemModel(composeSystem(cfg, handler), { consistency: true }));
}

function labels(f: Failure | undefined): string[] {
  if (!f) return [];
  if (f.kind === 'liveness') return [...f.lasso.prefix.labels, '-- cycle --', ...f.lasso.cycleLabels];
  return 'trace' in f ? [...f.trace.labels] : [];
}

describe('demand-paging: install first, mark present second', () => {
  it('marking present before the page is installed lets a vCPU map the empty page', () => {
    const r = run(matrixConfig({ design: 'demand-paging', backing: 'anon', arch: 'x86' }), presentBeforeInstallHandler);
    expect(r.status).toBe('fail');
    const f = r.failures[0];
    expect(f?.kind).toBe('invariant');
    expect(labels(f).some((l) => /mark-present: KVM_MARK_GFNS_PRESENT gfn \d → 0/.test(l))).toBe(true);
  });

  it('with no userfaultfd nothing says EEXIST: a VMM that copies a page twice overwrites what the guest wrote', () => {
    // The reference handler minus its per-page "installed" bookkeeping.
    const copiesTwice = defineHandler({
      ...demandPagingHandler,
      name: 'copies-twice',
      vcpuExit: [
        { label: 'install', run: (c) => void c.populate(c.reg(REG_GFN), { wake: false }) },
        { label: 'mark-present', run: (c) => void c.markPresent(c.reg(REG_GFN)) },
      ],
    });
    const r = run(matrixConfig({ design: 'demand-paging', backing: 'anon', arch: 'x86' }), copiesTwice);
    const f = r.failures.find((x) => x.kind === 'invariant' && x.property === PROPERTY.memoryHoldsContent);
    expect(f).toBeDefined();
    expect(labels(f).at(-1)).toMatch(/install: memcpy gfn 1/);
    expect(labels(f).some((l) => /guest writes gfn 1 = 9/.test(l))).toBe(true);
  });
});

describe("demand-paging: KVM's own accesses wait for the page instead of reading zeros", () => {
  const its = { design: 'demand-paging', arch: 'arm64', backing: 'anon', vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 0 }]], control: { itsTables: [1] } } as const;

  it('the ITS restore is served by the notification reader under every interleaving', () => {
    const r = run(its, demandPagingHandler);
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
    expect(r.liveness).toBe('checked');
    expect(r.coverage.fired['notification-reader.read'] ?? 0).toBeGreaterThan(0);
  });

  it('with no thread reading the notification fd, the restoring thread waits forever (never a wrong read)', () => {
    const r = run(its, defineHandler({ ...demandPagingHandler, name: 'no-reader', threads: () => [] }));
    const f = r.failures.find((x) => x.kind === 'deadlock' || x.kind === 'liveness');
    expect(f).toBeDefined();
    expect(r.failures.some((x) => x.kind === 'invariant')).toBe(false);
    expect(labels(f).some((l) => /its-restore-tables: ITS restore reads gfn 1: waits for KVM_MARK_GFNS_PRESENT/.test(l))).toBe(true);
  });

  it('the x86 kvm-clock write on MSR restore waits and lands on the installed page', () => {
    const r = run({ design: 'demand-paging', arch: 'x86', backing: 'shmem', vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 1 }]], control: { kvmClockGfn: 1 } }, demandPagingHandler);
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });

  it('on hugetlbfs the notification reader installs and marks the whole huge page', () => {
    const r = run({ ...its, backing: 'hugetlb' }, demandPagingHandler);
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });
});

describe('demand-paging: marking a mapped page non-present takes effect (unlike setting a userfault bit)', () => {
  // The counterpart of seed-warnings.test.ts's "setting a bit for a page that is already
  // mapped": a VMM thread marks page 0 non-present once the guest has it mapped.
  const reprotect = defineHandler({
    ...demandPagingHandler,
    name: 'mark-mapped-page-non-present',
    threads: (env) => [
      {
        name: 'reprotect',
        regs: 1,
        steps: [
          {
            label: 'mark-non-present',
            run(c) {
              c.guard(c.reg(0) === 0 && (c.kernel.vm.slots[0]?.spte[0] ?? 0) > 0 && c.kernel.vm.vcpus[0]?.pc === 1);
              c.markPresent(0, false);
              c.setReg(0, 1);
            },
          },
        ],
      },
      ...(demandPagingHandler.threads?.(env) ?? []),
    ],
  });
  const cfg = { design: 'demand-paging', arch: 'x86', backing: 'anon', vcpus: 1, pages: 1, programs: [[{ kind: 'read', gfn: 0 }, { kind: 'read', gfn: 0 }]] } as const;

  it('the next access exits again; no access completes on a non-present page', () => {
    const nonPresentAccess = 'no access completes on a non-present page';
    const property = always<SystemState>(nonPresentAccess, (s) => {
      const v = s.kernel.vm.vcpus[0];
      return !(v && v.pc === 2 && s.kernel.vm.slots[0]?.present[0] === false);
    });
    const exitedAgain = sometimes<SystemState>('the second read exits', (s) => s.threads[1]?.regs[0] === 1 && s.kernel.vm.vcpus[0]?.pc === 1 && s.kernel.vm.vcpus[0]?.run.memoryFault !== undefined && s.kernel.vm.vcpus[0]?.mode === 'user');
    const r = check(systemModel(composeSystem(cfg, reprotect), { consistency: true, properties: [property, exitedAgain] }));
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });
});

describe('demand-paging configurations', () => {
  it('refuse a userfaultfd registration: the design replaces it', () => {
    expect(() => resolveConfig({ design: 'demand-paging', arch: 'x86', backing: 'anon', vcpus: 1, pages: 1, uffdMode: 'missing' })).toThrow(ConfigError);
    expect(resolveConfig({ design: 'demand-paging', arch: 'x86', backing: 'anon', vcpus: 1, pages: 1 }).uffdMode).toBe('none');
  });
});
