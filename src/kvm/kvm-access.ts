/**
 * KVM's own accesses to guest memory: kvm_read_guest / kvm_write_guest (and everything
 * built on them: the instruction emulator, PV clock, the arm64 VGIC/ITS). They go through
 * the host virtual address and never consult the userfault bitmap (reference §3): a
 * missing page sleeps in userfaultfd if the range is registered, else reads what the host
 * mapping holds (zeros for never-touched anonymous memory). With KVM Demand Paging, a
 * non-present gfn puts the caller on KVM's wait queue instead (demand-paging-wait.ts).
 */
import { hostAccess, type HostAccess } from '../mm/host-fault.ts';
import { gfnNonPresent, sleepUntilPresent } from './demand-paging-wait.ts';
import { slotHva, slotIndexForGfn } from './stage2.ts';
import type { KernelState } from './state.ts';
import { Errno, KVM_MEM_READONLY, PAGE_SIZE, fail, ok, type SysResult } from './uapi.ts';

export type KvmAccessOutcome =
  | { readonly kind: 'done'; readonly state: KernelState; readonly result: SysResult; readonly value: number }
  /** The calling task sleeps in userfaultfd; re-issue the access once it is woken. */
  | { readonly kind: 'blocked'; readonly state: KernelState };

function access(k: KernelState, task: number, gpa: number, write: boolean, value: number | undefined): KvmAccessOutcome {
  const gfn = Math.floor(gpa / PAGE_SIZE);
  const slot = k.vm.slots[slotIndexForGfn(k.vm, gfn)];
  if (!slot || (write && (slot.flags & KVM_MEM_READONLY) !== 0)) {
    return { kind: 'done', state: k, result: fail(Errno.EFAULT), value: 0 };
  }
  // KVM Demand Paging: wait until userspace marks the gfn present (and post a notification).
  if (gfnNonPresent(k.vm, gfn)) return { kind: 'blocked', state: sleepUntilPresent(k, task, gfn) };
  return accessOutcome(k, hostAccess(k.mm, task, slotHva(slot, gfn) + (gpa % PAGE_SIZE), write, write ? value : undefined));
}

/** A host access as a syscall-style outcome: done (value or -EFAULT), or asleep in userfaultfd. */
export function accessOutcome(k: KernelState, r: HostAccess): KvmAccessOutcome {
  switch (r.kind) {
    case 'efault':
      return { kind: 'done', state: k, result: fail(Errno.EFAULT), value: 0 };
    case 'userfault':
      return { kind: 'blocked', state: { ...k, mm: r.mm } };
    case 'ok':
      return { kind: 'done', state: { ...k, mm: r.mm }, result: ok(), value: r.content };
  }
}

/** kvm_read_guest of the page at `gpa`, from `task` (the thread making the ioctl). */
export function kvmReadGuest(k: KernelState, task: number, gpa: number): KvmAccessOutcome {
  return access(k, task, gpa, false, 0);
}

/** kvm_write_guest of `value` to the page at `gpa` (e.g. the kvm-clock page on MSR restore). */
export function kvmWriteGuest(k: KernelState, task: number, gpa: number, value: number): KvmAccessOutcome {
  return access(k, task, gpa, true, value);
}

/**
 * A GUP with FOLL_WRITE of the page at `gpa` that stores nothing: how a gfn_to_pfn cache
 * is activated or refreshed (kvm_gpc_activate → hva_to_pfn; pvclock.ts). It may sleep in
 * userfaultfd, or fault in a zero-filled page.
 */
export function kvmGupForWrite(k: KernelState, task: number, gpa: number): KvmAccessOutcome {
  return access(k, task, gpa, true, undefined);
}
