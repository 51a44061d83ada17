/**
 * Host-side changes that KVM must hear about: the MMU notifier (a host unmap zaps the
 * stage-2 mappings of that range, and faults in flight retry), and the memory-attribute
 * changes that unmap the affected gfns.
 */
import { madviseDontneed } from '../mm/madvise.ts';
import { madvisePopulateWrite } from '../mm/populate-write.ts';
import { invalidateInFlightFaults, zapGfns } from './stage2.ts';
import type { KernelState, Memslot } from './state.ts';
import { Errno, KVM_MEMORY_ATTRIBUTE_PRIVATE, MADV_DONTNEED, MADV_POPULATE_WRITE, PAGE_SIZE, fail, ok, type SysResult } from './uapi.ts';

/** kvm_mmu_notifier_invalidate_range_start for the host range [start, start+len). */
export function invalidateHvaRange(k: KernelState, start: number, len: number): KernelState {
  let touched = false;
  const slots = k.vm.slots.map((s): Memslot => {
    const first = Math.max(start, s.userspaceAddr);
    const end = Math.min(start + len, s.userspaceAddr + s.npages * PAGE_SIZE);
    if (first >= end) return s;
    touched = true;
    const gfn = s.baseGfn + Math.floor((first - s.userspaceAddr) / PAGE_SIZE);
    return zapGfns(k.config.variant, s, gfn, Math.ceil((end - first) / PAGE_SIZE));
  });
  if (!touched) return k;
  return { ...k, vm: invalidateInFlightFaults({ ...k.vm, slots }) };
}

export type MadviseResult =
  | { readonly kind: 'blocked'; readonly state: KernelState }
  /** Woken after its REMOVE event was read, the caller dropped mmap_changing; re-issue to zap. */
  | { readonly kind: 'resumed'; readonly state: KernelState }
  | { readonly kind: 'done'; readonly state: KernelState; readonly result: SysResult };

/**
 * madvise(2); MADV_DONTNEED and MADV_POPULATE_WRITE are modelled. Re-issue after a
 * 'blocked' once woken (and after 'resumed'). A COW that MADV_POPULATE_WRITE does replaces
 * the PTE, so the MMU notifier zaps stage 2 there (wp_page_copy invalidates the range).
 */
export function madvise(k: KernelState, task: number, start: number, len: number, advice: number): MadviseResult {
  if (advice === MADV_POPULATE_WRITE) {
    const p = madvisePopulateWrite(k.mm, task, start, len);
    if (p.kind === 'blocked') return { kind: 'blocked', state: { ...k, mm: p.mm } };
    let state: KernelState = { ...k, mm: p.mm };
    for (const hva of p.cowed) state = invalidateHvaRange(state, hva, PAGE_SIZE);
    return { kind: 'done', state, result: p.result };
  }
  if (advice !== MADV_DONTNEED) return { kind: 'done', state: k, result: fail(Errno.EINVAL) };
  const r = madviseDontneed(k.mm, task, start, len);
  if (r.kind === 'blocked' || r.kind === 'resumed') return { kind: r.kind, state: { ...k, mm: r.mm } };
  const state = { ...k, mm: r.mm };
  return { kind: 'done', state: r.zapped ? invalidateHvaRange(state, r.zapped.start, r.zapped.len) : state, result: r.result };
}

export interface MemoryAttributes {
  readonly address: number;
  readonly size: number;
  readonly attributes: number;
  readonly flags?: number;
}

/** KVM_SET_MEMORY_ATTRIBUTES: set or clear PRIVATE on a gfn range; changed gfns are unmapped. */
export function setMemoryAttributes(k: KernelState, a: MemoryAttributes): { state: KernelState; result: SysResult } {
  const supported = k.config.privateMem ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
  if ((a.flags ?? 0) !== 0 || (a.attributes & ~supported) !== 0) return { state: k, result: fail(Errno.EINVAL) };
  if (a.size <= 0 || a.address % PAGE_SIZE !== 0 || a.size % PAGE_SIZE !== 0) return { state: k, result: fail(Errno.EINVAL) };
  const first = a.address / PAGE_SIZE;
  const count = a.size / PAGE_SIZE;
  const makePrivate = (a.attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE) !== 0;
  const set = new Set(k.vm.privateGfns);
  const changed: number[] = [];
  for (let g = first; g < first + count; g++) {
    if (set.has(g) === makePrivate) continue;
    changed.push(g);
    if (makePrivate) set.add(g);
    else set.delete(g);
  }
  if (changed.length === 0) return { state: k, result: ok() };
  let slots = k.vm.slots;
  for (const g of changed) slots = slots.map((s) => zapGfns(k.config.variant, s, g, 1));
  const vm = invalidateInFlightFaults({ ...k.vm, slots, privateGfns: [...set].sort((x, y) => x - y) });
  return { state: { ...k, vm }, result: ok() };
}
