/**
 * The reference kvm-userfault handler plus a "migration" thread that starts dirty logging
 * and then turns KVM_MEM_USERFAULT off (optionally turning dirty logging off first): with
 * dirty logging still on, x86 v3 hits recover_huge_pages_range's WARN_ON_ONCE (review M2).
 */
import type { StepContext } from '../../src/system/step-context.ts';
import { kvmUserfaultHandler } from '../../src/vmm/kvm-userfault.ts';
import { defineHandler, type HandlerStrategy } from '../../src/vmm/strategy.ts';

export function withUserfaultOffThread(dirtyLogOffFirst: boolean): HandlerStrategy {
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
