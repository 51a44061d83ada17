/**
 * KVM Demand Paging (Google, RFC pitch Nov 2023; reference §7). The pitch gives the
 * design, not a UAPI: every name and number here is hypothetical, chosen to read like
 * its neighbours in include/uapi/linux/kvm.h.
 *
 * - KVM_ENABLE_DEMAND_PAGING {slot}: gives the slot a kernel-owned present bitmap with
 *   every gfn non-present (post-copy starts with nothing) and zaps the slot's stage-2
 *   mappings, as enabling KVM_MEM_USERFAULT does. Userspace then marks what it has.
 * - KVM_MARK_GFNS_PRESENT / KVM_MARK_GFNS_NON_PRESENT {gpa, size, flags}: the range must
 *   lie in demand-paging slots. Non-present zaps the mappings (a huge one goes whole) and
 *   bumps the invalidation sequence, so a fault in flight retries and then exits: unlike
 *   the userfault bitmap, the present bitmap is covered by mmu_invalidate_seq.
 *   Present wakes the tasks waiting for those gfns and applies the collapse policy below.
 * - A vCPU fault on a non-present gfn exits with KVM_EXIT_MEMORY_FAULT, flags
 *   KVM_MEMORY_EXIT_FLAG_NOT_PRESENT (| PRIVATE for a private fault), page-aligned gpa,
 *   size PAGE_SIZE (see vcpu.ts).
 * - KVM's own accesses to a non-present gfn sleep on a wait queue and post a notification
 *   on the fd from KVM_CREATE_DEMAND_PAGING_FD; read() returns { __u64 gpa } (8 bytes) or
 *   EAGAIN (see kvm-access.ts, demand-paging-wait.ts).
 * - Huge pages (policy (e)): while any gfn of an aligned huge range is non-present, only
 *   4K mappings are made there (stage2.ts levelAllowed). When marking present completes a
 *   range, its 4K mappings are zapped so that the next fault maps it huge, on both arches
 *   (the pitch keeps this arch-neutral; x86's recover-huge-pages is the same idea).
 */
import { demandPagingEnabled, wakeDemandPagingWaiters } from './demand-paging-wait.ts';
import { replaceAt } from '../mm/immutable.ts';
import { invalidateInFlightFaults, isPrivateGfn, maxMappingLevel, slotIndexForGfn, zapGfns, zapSlot } from './stage2.ts';
import type { KernelState, Memslot } from './state.ts';
import { Errno, PAGE_SIZE, fail, ok, type SysResult } from './uapi.ts';
import { pagesAtLevel } from './variant.ts';

/** struct kvm_gfn_range_presence (hypothetical). */
export interface GfnRangePresence {
  readonly gpa: number;
  readonly size: number;
  readonly flags?: number;
}

export interface DemandPagingOutcome {
  readonly state: KernelState;
  readonly result: SysResult;
}

/** The notification read() returns: the page-aligned gpa KVM waits for. */
export interface DemandPagingRead extends DemandPagingOutcome {
  readonly gpa?: number;
}

/** sizeof(struct kvm_demand_paging_msg). */
export const DEMAND_PAGING_MSG_SIZE = 8;

function unsupported(k: KernelState): DemandPagingOutcome | undefined {
  return k.config.variant.demandPaging ? undefined : { state: k, result: fail(Errno.ENOTTY) };
}

/** KVM_ENABLE_DEMAND_PAGING on memslot `slotId`. */
export function enableDemandPaging(k: KernelState, slotId: number): DemandPagingOutcome {
  const no = unsupported(k);
  if (no) return no;
  const index = k.vm.slots.findIndex((s) => s.id === slotId);
  const slot = k.vm.slots[index];
  if (!slot) return { state: k, result: fail(Errno.EINVAL) };
  if (demandPagingEnabled(slot)) return { state: k, result: fail(Errno.EEXIST) };
  const next: Memslot = { ...zapSlot(slot), present: new Array<boolean>(slot.npages).fill(false) };
  const vm = invalidateInFlightFaults({ ...k.vm, slots: replaceAt(k.vm.slots, index, next) });
  return { state: { ...k, vm }, result: ok() };
}

/** KVM_CREATE_DEMAND_PAGING_FD: ret is the notification fd (one per VM). */
export function createDemandPagingFd(k: KernelState): DemandPagingOutcome {
  const no = unsupported(k);
  if (no) return no;
  if (k.vm.demandPaging.notifyFd >= 0) return { state: k, result: fail(Errno.EEXIST) };
  const fd = k.mm.nextFd;
  const state: KernelState = {
    ...k,
    mm: { ...k.mm, nextFd: fd + 1 },
    vm: { ...k.vm, demandPaging: { ...k.vm.demandPaging, notifyFd: fd } },
  };
  return { state, result: ok(fd) };
}

/** The gfns of a valid range, or undefined (EINVAL): aligned, non-empty, inside demand-paging slots. */
function rangeGfns(k: KernelState, r: GfnRangePresence): number[] | undefined {
  if ((r.flags ?? 0) !== 0 || r.size <= 0 || r.gpa % PAGE_SIZE !== 0 || r.size % PAGE_SIZE !== 0) return undefined;
  const gfns = Array.from({ length: r.size / PAGE_SIZE }, (_, i) => r.gpa / PAGE_SIZE + i);
  for (const g of gfns) {
    const slot = k.vm.slots[slotIndexForGfn(k.vm, g)];
    if (!slot || !demandPagingEnabled(slot)) return undefined;
  }
  return gfns;
}

function setPresence(k: KernelState, gfns: readonly number[], present: boolean): KernelState {
  let slots = k.vm.slots;
  for (const g of gfns) {
    const i = slotIndexForGfn(k.vm, g);
    const s = slots[i] as Memslot;
    if (s.present[g - s.baseGfn] === present) continue;
    slots = replaceAt(slots, i, { ...s, present: replaceAt(s.present, g - s.baseGfn, present) });
  }
  return slots === k.vm.slots ? k : { ...k, vm: { ...k.vm, slots } };
}

/** KVM_MARK_GFNS_NON_PRESENT: clear the bits, zap the mappings, make faults in flight retry. */
export function markGfnsNonPresent(k: KernelState, r: GfnRangePresence): DemandPagingOutcome {
  const no = unsupported(k);
  if (no) return no;
  const gfns = rangeGfns(k, r);
  if (!gfns) return { state: k, result: fail(Errno.EINVAL) };
  let next = setPresence(k, gfns, false);
  const slots = next.vm.slots.map((s) => zapGfns(k.config.variant, s, r.gpa / PAGE_SIZE, gfns.length));
  next = { ...next, vm: invalidateInFlightFaults({ ...next.vm, slots }) };
  return { state: next, result: ok() };
}

/**
 * Policy (e): zap the 4K mappings of the aligned huge ranges around [first, first+count)
 * that may now be mapped huge. Returns the state unchanged when nothing was zapped.
 */
function collapseCompletedRanges(k: KernelState, first: number, count: number): KernelState {
  const big = pagesAtLevel(k.config.variant, 3);
  const from = first - (((first % big) + big) % big);
  const to = first + count + ((big - ((first + count) % big)) % big);
  let zapped = false;
  const slots = k.vm.slots.map((s) => {
    if (!demandPagingEnabled(s)) return s;
    let result = s;
    for (let g = Math.max(from, s.baseGfn); g < Math.min(to, s.baseGfn + s.npages); g++) {
      if (result.spte[g - s.baseGfn] !== 1) continue;
      if (maxMappingLevel(k, s, g, isPrivateGfn(k.vm, g)) > 1) result = zapGfns(k.config.variant, result, g, 1);
    }
    if (result !== s) zapped = true;
    return result;
  });
  return zapped ? { ...k, vm: invalidateInFlightFaults({ ...k.vm, slots }) } : k;
}

/** KVM_MARK_GFNS_PRESENT: set the bits, wake the waiters, collapse completed huge ranges. */
export function markGfnsPresent(k: KernelState, r: GfnRangePresence): DemandPagingOutcome {
  const no = unsupported(k);
  if (no) return no;
  const gfns = rangeGfns(k, r);
  if (!gfns) return { state: k, result: fail(Errno.EINVAL) };
  let next = setPresence(k, gfns, true);
  if (next === k) return { state: k, result: ok() };
  next = { ...next, vm: wakeDemandPagingWaiters(next.vm) };
  return { state: collapseCompletedRanges(next, r.gpa / PAGE_SIZE, gfns.length), result: ok() };
}

/** Whether read() on the notification fd would return a notification. */
export function demandPagingReadable(k: KernelState, fd: number): boolean {
  return fd >= 0 && fd === k.vm.demandPaging.notifyFd && k.vm.demandPaging.waiters.some((w) => !w.notified);
}

/** read() on the notification fd (non-blocking): the oldest unread notification, or EAGAIN. */
export function demandPagingRead(k: KernelState, fd: number): DemandPagingRead {
  const dp = k.vm.demandPaging;
  if (fd < 0 || fd !== dp.notifyFd) return { state: k, result: fail(Errno.EBADF) };
  const i = dp.waiters.findIndex((w) => !w.notified);
  const w = dp.waiters[i];
  if (!w) return { state: k, result: fail(Errno.EAGAIN) };
  const waiters = replaceAt(dp.waiters, i, { ...w, notified: true });
  return { state: { ...k, vm: { ...k.vm, demandPaging: { ...dp, waiters } } }, result: ok(DEMAND_PAGING_MSG_SIZE), gpa: w.gfn * PAGE_SIZE };
}
