/**
 * kvm-clock (x86): MSR_KVM_SYSTEM_TIME_NEW and the pvclock KVM writes into guest memory
 * (review M6). Two separate moments, as in the kernel:
 *
 * 1. KVM_SET_MSRS → kvm_write_system_time() (arch/x86/kvm/x86.c, read_file id
 *    57353172411) stores the gpa, raises KVM_REQ_GLOBAL_CLOCK_UPDATE (KVM_REQ_CLOCK_UPDATE
 *    since David Woodhouse's change, read_file id 62360732318) and, with the enable bit,
 *    kvm_gpc_activate(&vcpu->arch.pv_time, gpa, sizeof(struct pvclock_vcpu_time_info)).
 *    Activation refreshes the gfn_to_pfn cache: hva_to_pfn, a GUP with FOLL_WRITE from
 *    the ioctl's thread, which sleeps in userfaultfd on a missing registered page, or
 *    faults in a zero-filled page without one. Nothing is written to the page.
 * 2. At the vCPU's next guest entry, vcpu_enter_guest handles the request:
 *    kvm_guest_time_update() → kvm_setup_guest_pvclock() writes the 32-byte
 *    pvclock_vcpu_time_info through the cache; `while (!kvm_gpc_check(gpc, ...))
 *    kvm_gpc_refresh(...)` (read_file id 388711572) re-does the GUP first if an MMU
 *    invalidation dropped the cached pfn, and that GUP may sleep in userfaultfd too; a
 *    refresh that fails returns without writing.
 *
 * So the page ends up with KVM's 32 bytes over whatever GUP found: the source's content
 * if the VMM (or a uffd handler) put it there first, else zeros. Steal time and other
 * per-cpu data can share that page (review M6), so its other bytes still need the source.
 *
 * Modelled: one pvclock per vCPU, written once (later updates rewrite the same bytes with
 * a new time, which changes nothing the checks look at). KVM_SET_MSRS is a vCPU ioctl: it
 * takes vcpu->mutex, so it runs only while the vCPU is out of KVM_RUN, and holds it while
 * its GUP sleeps in userfaultfd (Vcpu.mutexHeldBy: KVM_RUN cannot start). The request is
 * taken at the vCPU's next step in guest mode, right after KVM_RUN. With
 * KVM Demand Paging, the refresh does not wait for KVM_MARK_GFNS_PRESENT (not modelled). The cache counts as valid while
 * the host PTE is present and writable (gfn_to_pfn_cache_invalidate_start drops it on an
 * MMU invalidation of its range; an inference that ignores the mmu_notifier_retry window).
 */
import { storeBytes } from '../mm/page-content.ts';
import { entryWrite, type EntryWrite } from './entry-write.ts';
import { kvmGupForWrite, type KvmAccessOutcome } from './kvm-access.ts';
import { withVcpu, type KernelState, type Vcpu } from './state.ts';
import { PAGE_SIZE } from './uapi.ts';

/** sizeof(struct pvclock_vcpu_time_info). */
export const PVCLOCK_BYTES = 32;

/** The value the pvclock bytes hold once KVM wrote them (any value no guest or source writes). */
export const KVM_CLOCK_CONTENT = 50;

/**
 * KVM_SET_MSRS(MSR_KVM_SYSTEM_TIME_NEW = gpa | 1) for vCPU `vcpu`, made by `task`: the
 * activation GUP (which may sleep: re-issue once woken); when it is done, the clock update
 * is pending for the vCPU's next guest entry.
 */
export function setSystemTimeMsr(k: KernelState, task: number, vcpu: number, gpa: number): KvmAccessOutcome {
  const r = kvmGupForWrite(k, task, gpa);
  const v = r.state.vm.vcpus[vcpu];
  if (!v) return r;
  // KVM_SET_MSRS is a vCPU ioctl: kvm_vcpu_ioctl takes vcpu->mutex (mutex_lock_killable,
  // so it waits while KVM_RUN holds it; the caller makes it only with the vCPU out of
  // KVM_RUN) and keeps it while the GUP sleeps in userfaultfd, so KVM_RUN cannot start then.
  const { mutexHeldBy: _released, ...free } = v;
  if (r.kind === 'blocked') return { ...r, state: withVcpu(r.state, { ...v, mutexHeldBy: task }) };
  if (r.kind !== 'done' || r.result.ret !== 0) return { ...r, state: withVcpu(r.state, free) };
  return { ...r, state: withVcpu(r.state, { ...free, pvclockPending: gpa }) };
}

/** A page's content after KVM wrote the pvclock at byte `offset` of it. */
export function withPvclock(content: number, offset: number): number {
  return storeBytes(content, offset, PVCLOCK_BYTES, KVM_CLOCK_CONTENT);
}

/** kvm_guest_time_update at guest entry, for a vCPU with a pending clock update (entry-write.ts). */
export function guestTimeUpdate(k: KernelState, v: Vcpu): EntryWrite {
  const gpa = v.pvclockPending ?? 0;
  const { pvclockPending: _done, ...rest } = v;
  const offset = gpa % PAGE_SIZE;
  return entryWrite(k, v, rest, gpa, { pvclock: true }, (content) => withPvclock(content, offset));
}
