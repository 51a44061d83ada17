/**
 * guest_memfd write() on a page already present is a kernel variant (review V2): ENOSPC
 * in v1–v5 of the write() series (default), an overwrite in v6. No version answers
 * EEXIST. Two vCPUs race on gfn 1; vCPU0 then writes 150 to it.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { Errno } from '../../src/kvm/uapi.ts';
import type { GmemWriteSemantics } from '../../src/kvm/variant.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { VIOLATION } from '../../src/system/state.ts';
import { clearBitStep } from '../../src/vmm/exit-steps.ts';
import { kvmUserfaultHandler } from '../../src/vmm/kvm-userfault.ts';
import { defineHandler, REG_GFN } from '../../src/vmm/strategy.ts';
import { PROPERTY } from '../../properties/core.ts';

function race(gmemWrite: GmemWriteSemantics): SystemConfig {
  return {
    design: 'kvm-userfault',
    arch: 'x86',
    backing: 'guest_memfd',
    vcpus: 2,
    pages: 2,
    programs: [
      [{ kind: 'write', gfn: 1, value: 150 }, { kind: 'read', gfn: 1 }],
      [{ kind: 'read', gfn: 1 }],
    ],
    gmemWrite,
  };
}

/** Firecracker's expectation: write() answers EEXIST when someone else populated the page. */
const expectsEexist = defineHandler({
  name: 'gmem-expects-eexist',
  description: 'write() into the guest_memfd; EEXIST means someone else did it',
  designs: ['kvm-userfault'],
  vcpuExit: [
    {
      label: 'populate',
      run(c) {
        const err = c.gmemWrite(c.reg(REG_GFN));
        if (err !== 0 && err !== Errno.EEXIST) c.violate(VIOLATION.populateFailed, c.reg(REG_GFN), err, 0);
      },
    },
    clearBitStep(),
  ],
});

/** Trusts the kernel to refuse a second write (populate reports ENOSPC as EEXIST): no VMM-side bookkeeping. */
const noDedupe = defineHandler({
  name: 'gmem-no-dedupe',
  description: 'write() into the guest_memfd every time; "already there" is fine',
  designs: ['kvm-userfault'],
  vcpuExit: [
    {
      label: 'populate',
      run(c) {
        const err = c.populate(c.reg(REG_GFN), { wake: false });
        if (err !== 0 && err !== Errno.EEXIST) c.violate(VIOLATION.populateFailed, c.reg(REG_GFN), err, 0);
      },
    },
    clearBitStep(),
  ],
});

function labels(r: ReturnType<typeof check>): string[] {
  const f = r.failures[0];
  return f && 'trace' in f ? [...f.trace.labels] : [];
}

describe('guest_memfd write() on a populated page', () => {
  it('v1–v5 (default): the loser of the race gets ENOSPC, so a handler expecting EEXIST reports a failed populate', () => {
    const r = check(systemModel(composeSystem(race('enospc'), expectsEexist)));
    expect(r.failures[0]).toMatchObject({ kind: 'invariant', property: PROPERTY.kvmRunNeverFails });
    expect(labels(r).at(-1)).toMatch(/write\(guest_memfd\) gfn 1 → ENOSPC/);
  });

  it('v1–v5: treating ENOSPC as "already there" is enough (the kernel never repopulates)', () => {
    expect(check(systemModel(composeSystem(race('enospc'), noDedupe))).status).toBe('pass');
  });

  it('v6: a late write() overwrites what the guest wrote, so a handler must deduplicate itself', () => {
    const r = check(systemModel(composeSystem(race('overwrite'), noDedupe)));
    expect(r.failures[0]).toMatchObject({ kind: 'invariant', property: PROPERTY.memoryHoldsContent });
    expect(labels(r).at(-1)).toMatch(/write\(guest_memfd\) gfn 1 → ok \(overwrote the page\)/);
  });

  it.each(['enospc', 'overwrite'] as const)('the reference handler (VMM-side bookkeeping) passes under %s', (variant) => {
    const r = check(systemModel(composeSystem(race(variant), kvmUserfaultHandler)));
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });
});
