/**
 * Kernel warnings (WARN_ON_ONCE) that a simulated operation hits. A WARN is a kernel bug
 * report: the operation goes on (usually by returning early), but with panic_on_warn the
 * host dies, so the core properties treat any warning as a violation. Each warning is
 * recorded once, as WARN_ON_ONCE prints once per boot.
 */
import type { KernelState } from './state.ts';

export const KERNEL_WARNING = {
  /**
   * x86 TDP MMU recover_huge_pages_range(): `WARN_ON_ONCE(kvm_slot_dirty_track_enabled(slot))`,
   * reached when KVM_MEM_USERFAULT is disabled while LOG_DIRTY_PAGES stays on (v3 05/15,
   * Message-ID 20250618042424.330664-6-jthoughton; acknowledged by the author in
   * 20250730211120.4163536-1-jthoughton). Review M2.
   */
  recoverHugePagesWhileDirtyTracked: 1,
} as const;
export type KernelWarning = (typeof KERNEL_WARNING)[keyof typeof KERNEL_WARNING];

export function describeWarning(w: KernelWarning): string {
  switch (w) {
    case KERNEL_WARNING.recoverHugePagesWhileDirtyTracked:
      return 'WARN_ON_ONCE in recover_huge_pages_range: huge-page recovery on a dirty-tracked slot';
  }
}

/** Record `w` (once). */
export function warnOnce(k: KernelState, w: KernelWarning): KernelState {
  if (k.vm.warnings.includes(w)) return k;
  return { ...k, vm: { ...k.vm, warnings: [...k.vm.warnings, w] } };
}
