/**
 * A kernel WARN is a property violation of the composed system, with the warning shown in
 * the trace (review M2): a VMM that disables KVM_MEM_USERFAULT while dirty logging is on
 * (x86, v3) hits recover_huge_pages_range's WARN_ON_ONCE.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { withUserfaultOffThread } from '../helpers/userfault-off-while-logging.ts';
import { PROPERTY } from '../../properties/core.ts';

const cfg = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 0 }]] } as const;

describe('kernel warnings in composed systems', () => {
  it('x86 v3: USERFAULT off while dirty logging is on violates "the kernel hits no WARN", and the trace says which', () => {
    const r = check(systemModel(composeSystem(cfg, withUserfaultOffThread(false))));
    const f = r.failures.find((x) => x.kind === 'invariant' && x.property === PROPERTY.noKernelWarning);
    expect(f).toBeDefined();
    const labels = f && f.kind === 'invariant' ? f.trace.labels : [];
    expect(labels.at(-1)).toMatch(/KVM_MEM_USERFAULT off → 0; kernel: WARN_ON_ONCE in recover_huge_pages_range/);
  });

  it('dirty logging off first: no warning', () => {
    const r = check(systemModel(composeSystem(cfg, withUserfaultOffThread(true))));
    expect(r.failures.find((x) => x.kind === 'invariant' && x.property === PROPERTY.noKernelWarning)).toBeUndefined();
  });
});
