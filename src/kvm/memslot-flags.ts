/**
 * A flags-only memslot change and its per-arch work (reference §2):
 * - USERFAULT 0→1: kvm_arch_userfault_enabled() zaps every stage-2 mapping of the slot.
 * - USERFAULT 1→0: x86 recovers huge mappings (as on dirty-log disable); arm64 does
 *   nothing (v1 zapped the slot).
 * - LOG_DIRTY_PAGES 0→1: huge mappings are split to PAGE_SIZE (write protection for
 *   dirty tracking is not modelled). 1→0: same recovery rule as USERFAULT 1→0, which v3
 *   leaves ungated by USERFAULT (huge-recovery.ts: in place on the TDP MMU, zap on the
 *   shadow MMU).
 * - x86, USERFAULT 1→0 while LOG_DIRTY_PAGES stays 1: v3 calls kvm_mmu_recover_huge_pages
 *   anyway, and the TDP MMU's recover_huge_pages_range WARNs and returns without
 *   recovering (review M2). The sim recovers on USERFAULT 1→0 for every series, so the
 *   warning is modelled for every series too (confirmed for v3 only; inference for the others).
 */
import { replaceAt } from '../mm/immutable.ts';
import { invalidateInFlightFaults, splitHugeMappings, writeProtectMapped, zapSlot } from './stage2.ts';
import { recoverHugeMappings } from './huge-recovery.ts';
import type { KernelState, Memslot } from './state.ts';
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_USERFAULT } from './uapi.ts';
import { hasUserfaultCap } from './variant.ts';
import { KERNEL_WARNING, warnOnce } from './kernel-warning.ts';

function turnedOn(old: Memslot, next: Memslot, flag: number): boolean {
  return (old.flags & flag) === 0 && (next.flags & flag) !== 0;
}

function turnedOff(old: Memslot, next: Memslot, flag: number): boolean {
  return (old.flags & flag) !== 0 && (next.flags & flag) === 0;
}

function withSlot(k: KernelState, index: number, slot: Memslot): KernelState {
  return { ...k, vm: { ...k.vm, slots: replaceAt(k.vm.slots, index, slot) } };
}

/**
 * The new slot is published with an SRCU swap that waits for every fault holding the old
 * one: a fault in flight either completes before the change (and is then subject to its
 * zap) or, as modelled here when the change comes first, retries against the new slot.
 *
 * Review C3, kept as a documented shortcut: in the kernel a fault that already holds the
 * old slot is never retried because of the change itself; kvm_swap_active_memslots →
 * synchronize_srcu_expedited waits for it to finish under the old slot, and only then
 * does kvm_commit_memory_region zap (the zap bumps mmu_invalidate_seq, so a fault still
 * before its install retries through mmu_invalidate_retry). Retrying here instead reaches
 * the same end states: a fault that installs under the old slot is zapped right after,
 * and faults again against the new slot, which is where the retry starts. What differs is
 * only the path: the kernel's fault also has its GUP side effects (e.g. a zero page
 * allocated for an absent page), and so does this one, because GUP already ran in the
 * step that put the fault in flight (lookupPfn), before this change.
 */
export function applyFlagChanges(k: KernelState, index: number, old: Memslot, next: Memslot): KernelState {
  const { arch, userfault } = k.config.variant;
  // Bit 3 is KVM_MEM_USERFAULT only in kernels that carry the series.
  const uf = hasUserfaultCap(k.config.variant) ? KVM_MEM_USERFAULT : 0;
  k = withSlot(k, index, next);
  k = { ...k, vm: invalidateInFlightFaults(k.vm) };
  const slot = (): Memslot => k.vm.slots[index] as Memslot;

  if (turnedOn(old, next, uf) && k.config.variant.mutation !== 'no-zap-on-enable') {
    // kvm_arch_userfault_enabled → kvm_arch_flush_shadow_memslot. On x86 a default-type VM
    // with KVM_X86_QUIRK_SLOT_ZAP_ALL (on by default) zaps every slot there
    // (kvm_memslot_flush_zap_all → kvm_mmu_zap_all_fast; read_file id 41660347895);
    // other VM types (here: private memory, KVM_X86_SW_PROTECTED_VM) and arm64 zap this slot only
    // (review C4).
    const zapAll = arch === 'x86' && !k.config.privateMem;
    if (zapAll) k.vm.slots.forEach((s, i) => (k = withSlot(k, i, zapSlot(s))));
    else k = withSlot(k, index, zapSlot(slot()));
  }
  if (turnedOn(old, next, KVM_MEM_LOG_DIRTY_PAGES)) k = withSlot(k, index, writeProtectMapped(splitHugeMappings(slot())));

  const recover = turnedOff(old, next, uf) || turnedOff(old, next, KVM_MEM_LOG_DIRTY_PAGES);
  const dirtyTracked = (next.flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0;
  if (recover && arch === 'x86' && dirtyTracked && k.config.variant.mmu === 'tdp') {
    // Only USERFAULT 1→0 gets here with dirty logging on: WARN_ON_ONCE, nothing recovered.
    // The WARN is in the TDP MMU's recover_huge_pages_range; the shadow MMU's
    // kvm_rmap_zap_collapsible_sptes has no such check and zaps (refaults are then
    // clamped to 4K by dirty tracking: review §1 case B).
    k = warnOnce(k, KERNEL_WARNING.recoverHugePagesWhileDirtyTracked);
  } else if (recover && arch === 'x86') {
    k = withSlot(k, index, recoverHugeMappings(k, slot()));
  }
  if (turnedOff(old, next, uf) && arch === 'arm64' && userfault === 'v1') {
    k = withSlot(k, index, zapSlot(slot()));
  }
  return k;
}
