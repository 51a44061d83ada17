/**
 * KVM's own sub-page writes at a vCPU's guest entry, made by the vCPU thread before it
 * enters the guest: the pvclock (kvm_guest_time_update, pvclock.ts) and steal time
 * (record_steal_time, steal-time.ts). Both reach the page through the host virtual
 * address of its memslot, never through the userfault bitmap, and both fault it in first
 * unless it is mapped writable (the pvclock's gfn_to_pfn cache counts as valid exactly
 * then; steal time's user access faults otherwise): a missing page in a registered range
 * puts the vCPU thread to sleep in userfaultfd (the vCPU retries the whole update at its
 * next entry), and an unfixable fault (no slot, no VMA) skips the write silently, as both
 * kernel functions return without an error.
 */
import { hostAccess, hostPteReadOnly, peekHostPage } from '../mm/host-fault.ts';
import { updateMappedPage } from '../mm/host-bytes.ts';
import { ABSENT } from '../mm/host-memory.ts';
import { accessOutcome } from './kvm-access.ts';
import { slotHva, slotIndexForGfn } from './stage2.ts';
import { withVcpu, type InFlightFault, type KernelState, type Vcpu } from './state.ts';
import { PAGE_SIZE } from './uapi.ts';

export type EntryWrite =
  | { readonly kind: 'written'; readonly state: KernelState }
  /** The fault sleeps in userfaultfd; the vCPU retries at its next entry. */
  | { readonly kind: 'blocked'; readonly state: KernelState }
  /** No memslot, or a fault that could not be fixed: nothing written. */
  | { readonly kind: 'dropped'; readonly state: KernelState };

/**
 * Write `update` into the page at `gpa` for vCPU `v` at guest entry; `done` is the vCPU
 * once the update is over (its request cleared), `marker` tags the in-flight fault.
 */
export function entryWrite(k: KernelState, v: Vcpu, done: Vcpu, gpa: number, marker: Pick<InFlightFault, 'pvclock' | 'stealTime'>, update: (content: number) => number): EntryWrite {
  const gfn = Math.floor(gpa / PAGE_SIZE);
  const slot = k.vm.slots[slotIndexForGfn(k.vm, gfn)];
  if (!slot) return { kind: 'dropped', state: withVcpu(k, done) };
  const hva = slotHva(slot, gfn) + (gpa % PAGE_SIZE);
  let mm = k.mm;
  if (peekHostPage(mm, hva) === ABSENT || hostPteReadOnly(mm, hva)) {
    const r = accessOutcome(k, hostAccess(mm, v.id, hva, true));
    if (r.kind === 'blocked') {
      const fault: InFlightFault = { gfn, write: true, private: false, retry: false, opPc: v.pc, ...marker };
      return { kind: 'blocked', state: withVcpu(r.state, { ...v, mode: 'uffd-wait', fault }) };
    }
    if (r.result.ret !== 0) return { kind: 'dropped', state: withVcpu(r.state, done) };
    mm = r.state.mm;
  }
  return { kind: 'written', state: withVcpu({ ...k, mm: updateMappedPage(mm, hva, update) }, done) };
}
