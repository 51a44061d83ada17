/**
 * KVM Demand Paging (hypothetical; Google's pitch, reference §7 (d)): KVM's own accesses
 * to a non-present gfn (kvm_read_guest, kvm_write_guest and everything on them) sleep on
 * a KVM wait queue, and each sleeper posts one notification on the notification fd.
 * Marking the gfn present wakes them; the access is then re-issued.
 */
import { slotIndexForGfn } from './stage2.ts';
import type { DemandPagingWaiter, KernelState, Memslot, VmState } from './state.ts';

/** Whether demand paging is enabled on the slot (its present bitmap exists). */
export function demandPagingEnabled(slot: Memslot): boolean {
  return slot.present.length > 0;
}

/** Whether `gfn` lies in a demand-paging slot and is not present. */
export function gfnNonPresent(vm: VmState, gfn: number): boolean {
  const slot = vm.slots[slotIndexForGfn(vm, gfn)];
  return slot !== undefined && demandPagingEnabled(slot) && slot.present[gfn - slot.baseGfn] !== true;
}

/** Put `task` to sleep until `gfn` is present, posting its notification. */
export function sleepUntilPresent(k: KernelState, task: number, gfn: number): KernelState {
  const dp = k.vm.demandPaging;
  const waiter: DemandPagingWaiter = { task, gfn, notified: false };
  return { ...k, vm: { ...k.vm, demandPaging: { ...dp, waiters: [...dp.waiters, waiter] } } };
}

/** Wake every waiter whose gfn no longer needs waiting for (present, or no longer in a demand-paging slot). */
export function wakeDemandPagingWaiters(vm: VmState): VmState {
  const dp = vm.demandPaging;
  const waiters = dp.waiters.filter((w) => gfnNonPresent(vm, w.gfn));
  return waiters.length === dp.waiters.length ? vm : { ...vm, demandPaging: { ...dp, waiters } };
}

export function isTaskWaitingForPresent(k: KernelState, task: number): boolean {
  return k.vm.demandPaging.waiters.some((w) => w.task === task);
}
