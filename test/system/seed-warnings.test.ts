/**
 * The seeds' warnings, each shown as a counterexample found by exhaustive exploration of
 * a composed system (and, where there is one, the fix that passes).
 */
import { describe, expect, it } from 'vitest';
import { always, check, type CheckResult, type Failure } from '../../src/checker/index.ts';
import { readBitmapBit } from '../../src/mm/data-memory.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import type { SystemState } from '../../src/system/state.ts';
import { eexistIsFatalHandler, noUffdReaderHandler } from '../../src/vmm/flawed.ts';
import { kvmUserfaultHandler } from '../../src/vmm/kvm-userfault.ts';
import { defineHandler, type HandlerStrategy } from '../../src/vmm/strategy.ts';
import { PROPERTY } from '../../properties/core.ts';

function run(cfg: SystemConfig, handler: HandlerStrategy, extra: Parameters<typeof systemModel>[1] = {}): CheckResult {
  return check(systemModel(composeSystem(cfg, handler), extra));
}

function labels(f: Failure | undefined): string[] {
  if (!f) return [];
  if (f.kind === 'liveness') return [...f.lasso.prefix.labels, '-- cycle --', ...f.lasso.cycleLabels];
  return 'trace' in f ? [...f.trace.labels] : [];
}

describe("KVM's own reads (VGIC/ITS restore) are not caught by the userfault bitmap", () => {
  // ITS tables on page 1, which is still on the source; the guest touches only page 0.
  const base = { design: 'kvm-userfault', arch: 'arm64', vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 0 }]], control: { itsTables: [1] } } as const;

  it('with no userfaultfd coverage, the restore reads a page that never arrived', () => {
    const r = run({ ...base, backing: 'anon', uffdMode: 'none' }, kvmUserfaultHandler);
    expect(r.status).toBe('fail');
    const f = r.failures[0];
    expect(f).toMatchObject({ kind: 'invariant', property: PROPERTY.noWrongRead });
    expect(labels(f).at(-1)).toMatch(/its-restore-tables.*KVM read gfn 1 = 0/);
  });

  it('the same on guest_memfd, which has no userfaultfd at all (Firecracker v2 hooks, so vCPU faults are caught)', () => {
    const r = run({ ...base, backing: 'guest_memfd', series: 'v2-firecracker' }, kvmUserfaultHandler);
    expect(r.failures[0]).toMatchObject({ kind: 'invariant', property: PROPERTY.noWrongRead });
  });

  it('with a userfaultfd that nobody serves, the restoring thread hangs', () => {
    const r = run({ ...base, backing: 'anon' }, noUffdReaderHandler);
    const f = r.failures.find((x) => x.kind === 'deadlock');
    expect(f).toBeDefined();
    expect(labels(f).some((l) => /its-restore-tables: ITS restore reads gfn 1: sleeps in userfaultfd/.test(l))).toBe(true);
  });

  it('with a reader thread serving the userfaultfd, restore is safe under every interleaving', () => {
    const r = run({ ...base, backing: 'anon' }, kvmUserfaultHandler);
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });
});

describe('setting a bit for a page that is already mapped does not make the next access exit', () => {
  // A VMM thread that re-marks page 0 as remote once the guest has it mapped, expecting
  // the guest's next access to exit; the property says no access may complete on a page
  // whose bit is set (the VMM's intent).
  const reprotect: HandlerStrategy = defineHandler({
    ...kvmUserfaultHandler,
    name: 'reprotect-mapped-page',
    threads: (env) => [
      {
        name: 'reprotect',
        regs: 1,
        steps: [
          {
            label: 'set-bit',
            run(c) {
              const slot = c.kernel.vm.slots[0];
              c.guard(c.reg(0) === 0 && (slot?.spte[0] ?? 0) > 0 && c.kernel.vm.vcpus[0]?.pc === 1);
              c.setUserfaultBit(0, true);
              c.setReg(0, 1);
            },
          },
        ],
      },
      ...(kvmUserfaultHandler.threads?.(env) ?? []),
    ],
  });
  const bitSetAccessDone = 'no access completes on a page whose userfault bit is set';
  const property = always<SystemState>(bitSetAccessDone, (s) => {
    const v = s.kernel.vm.vcpus[0];
    const bitmap = s.kernel.vm.slots[0]?.userfaultBitmap ?? 0;
    // The second read of page 0 completed (pc 2) while the bit was set before it (reg 0 of the reprotect thread).
    return !(v && v.pc === 2 && s.threads[1]?.regs[0] === 1 && readBitmapBit(s.kernel.mm, bitmap, 0) === true);
  });

  it('the guest reads the page through the old mapping', () => {
    const cfg = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 1, pages: 1, programs: [[{ kind: 'read', gfn: 0 }, { kind: 'read', gfn: 0 }]] } as const;
    const r = run(cfg, reprotect, { properties: [property] });
    const f = r.failures.find((x) => x.kind === 'invariant' && x.property === bitSetAccessDone);
    expect(f).toBeDefined();
    const trace = labels(f);
    expect(trace.some((l) => l.includes('reprotect.set-bit: set bit 0'))).toBe(true);
    expect(trace.at(-1)).toMatch(/guest reads gfn 0/);
  });
});

describe('two vCPUs racing to fetch the same page must both make progress', () => {
  const cfg = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 2, pages: 1, programs: [[{ kind: 'read', gfn: 0 }], [{ kind: 'read', gfn: 0 }]] } as const;

  it('the reference handler takes EEXIST as "already present": both finish, under every fair schedule', () => {
    const r = run(cfg, kvmUserfaultHandler);
    expect(r.status).toBe('pass');
    expect(r.liveness).toBe('checked');
  });

  it('a handler that treats EEXIST as failure strands the losing vCPU', () => {
    const r = run(cfg, eexistIsFatalHandler);
    const f = r.failures[0];
    expect(f?.kind === 'deadlock' || f?.kind === 'liveness').toBe(true);
    expect(labels(f).some((l) => /populate: UFFDIO_COPY\(DONTWAKE\) gfn 0 → EEXIST/.test(l))).toBe(true);
  });
});
