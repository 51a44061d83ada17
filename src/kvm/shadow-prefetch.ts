/**
 * The x86 shadow MMU's PTE prefetch (review M7): after a 4K fault is mapped,
 * direct_map() calls direct_pte_prefetch(), which maps the not-present SPTEs around it
 * (__direct_pte_prefetch: the aligned block of PTE_PREFETCH_NUM = 8 SPTEs) through
 * direct_pte_prefetch_many → kvm_mmu_prefetch_sptes → kvm_prefetch_pages
 * (get_user_pages_fast_only(addr, nr, FOLL_WRITE): host pages already present and
 * writable, stopping at the first that is not) → mmu_set_spte(). It never calls
 * kvm_mmu_faultin_pfn(), where v3 puts the userfault check (v3's mmu.c diff has two
 * hunks, neither in prefetch: read_file id 25188936963 for the prefetch path), so a
 * neighbour whose host page is present but whose content never arrived (a partly
 * fetched THP, thp-fault.ts) is mapped with its bit still set.
 *
 * Conditions: only for 4K SPTEs (`sp->role.level > PG_LEVEL_4K` returns); not when the
 * slot is dirty-logged and the access allows writes (gfn_to_memslot_dirty_bitmap returns
 * NULL; a direct SP's access is ACC_ALL); not with A/D bits disabled (sp_ad_disabled:
 * assumed enabled, as on current hardware); not for private gfns (the shadow MMU has no
 * private memory: KVM_X86_SW_PROTECTED_VM needs the TDP MMU). The block is scaled with the
 * geometry: min(8, the PMD size in base pages) (a modelling choice).
 */
import { peekHostPage, hostPteReadOnly } from '../mm/host-fault.ts';
import { ABSENT } from '../mm/host-memory.ts';
import { installMapping, isPrivateGfn, slotHva } from './stage2.ts';
import type { KernelState, Memslot } from './state.ts';
import { KVM_MEM_LOG_DIRTY_PAGES } from './uapi.ts';

export const PTE_PREFETCH_NUM = 8;

/** Whether kvm_prefetch_pages gets this gfn's host page: present, and writable by fast GUP. */
function fastGupWritable(k: KernelState, slot: Memslot, gfn: number): boolean {
  const hva = slotHva(slot, gfn);
  return peekHostPage(k.mm, hva) !== ABSENT && !hostPteReadOnly(k.mm, hva);
}

/** The slot after direct_pte_prefetch around the 4K mapping just installed at `gfn`. */
export function directPtePrefetch(k: KernelState, slot: Memslot, gfn: number): Memslot {
  const { arch, mmu, geometry } = k.config.variant;
  if (arch !== 'x86' || mmu !== 'shadow') return slot;
  if ((slot.flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0) return slot;
  const block = Math.min(PTE_PREFETCH_NUM, geometry[1]);
  const start = gfn - (gfn % block);
  let result = slot;
  // Runs of not-present SPTEs, each fetched by one get_user_pages_fast_only, which pins a
  // prefix of the run; a run that gets no page at all ends the prefetch
  // (kvm_mmu_prefetch_sptes returns false, __direct_pte_prefetch returns).
  let run: 'none' | 'mapping' | 'stopped' = 'none';
  for (let g = start; g < start + block; g++) {
    const inSlot = g >= slot.baseGfn && g < slot.baseGfn + slot.npages;
    if (g === gfn || !inSlot || (result.spte[g - slot.baseGfn] ?? 0) !== 0) {
      run = 'none';
      continue;
    }
    if (run === 'stopped') continue;
    if (isPrivateGfn(k.vm, g) || !fastGupWritable(k, slot, g)) {
      if (run === 'none') return result;
      run = 'stopped';
      continue;
    }
    run = 'mapping';
    result = installMapping(k.config.variant, result, g, 1);
  }
  return result;
}
