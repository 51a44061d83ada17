/**
 * A kernel WARN is a property violation of the composed system, with the warning shown in
 * the trace (review M2): a VMM that disables KVM_MEM_USERFAULT while dirty logging is on
 * (x86, v3) hits recover_huge_pages_range's WARN_ON_ONCE.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import type { StepContext } from '../../src/system/step-context.ts';
import { kvmUserfaultHandler } from '../../src/vmm/kvm-userfault.ts';
import { defineHandler, type HandlerStrategy } from '../../src/vmm/strategy.ts';
import { PROPERTY } from '../../properties/core.ts';

/** The reference handler plus a thread that starts dirty logging, then disables USERFAULT. */
function withFlagThread(dirtyLogOffFirst: boolean): HandlerStrategy {
  return defineHandler({
    ...kvmUserfaultHandler,
    name: 'userfault-off-while-dirty-logging',
    threads: (env) => [
      ...(kvmUserfaultHandler.threads?.(env) ?? []),
      {
        name: 'migration',
        regs: 1,
        steps: [
          { label: 'dirty-log-on', run: (c) => void c.setDirtyLogFlag(true) },
          ...(dirtyLogOffFirst ? [{ label: 'dirty-log-off', run: (c: StepContext) => void c.setDirtyLogFlag(false) }] : []),
          { label: 'userfault-off', run: (c) => void c.setUserfaultFlag(false) },
          { label: 'idle', run: (c) => c.guard(false) },
        ],
      },
    ],
  });
}

const cfg = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 0 }]] } as const;

describe('kernel warnings in composed systems', () => {
  it('x86 v3: USERFAULT off while dirty logging is on violates "the kernel hits no WARN", and the trace says which', () => {
    const r = check(systemModel(composeSystem(cfg, withFlagThread(false))));
    const f = r.failures.find((x) => x.kind === 'invariant' && x.property === PROPERTY.noKernelWarning);
    expect(f).toBeDefined();
    const labels = f && f.kind === 'invariant' ? f.trace.labels : [];
    expect(labels.at(-1)).toMatch(/KVM_MEM_USERFAULT off → 0; kernel: WARN_ON_ONCE in recover_huge_pages_range/);
  });

  it('dirty logging off first: no warning', () => {
    const r = check(systemModel(composeSystem(cfg, withFlagThread(true))));
    expect(r.failures.find((x) => x.kind === 'invariant' && x.property === PROPERTY.noKernelWarning)).toBeUndefined();
  });
});
