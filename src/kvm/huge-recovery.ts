/**
 * x86 kvm_mmu_recover_huge_pages(): what disabling dirty logging (or, with the v3 series,
 * USERFAULT) does to the 4K mappings of a slot, per MMU (variant.mmu).
 *
 * - TDP MMU (default): kvm_tdp_mmu_recover_huge_pages → recover_huge_pages_range (David
 *   Matlack, "KVM: x86/mmu: Recover TDP MMU huge page mappings in-place instead of
 *   zapping", merged for 6.13; patch text read_file id 20282153982). For every non-leaf
 *   SPTE at 2M and above whose range kvm_mmu_max_mapping_level() allows at that level,
 *   tdp_mmu_make_huge_spte() takes the first present leaf of the range and
 *   make_huge_spte() masks its pfn down to the huge boundary: the whole range is mapped
 *   at once, in place. kvm_mmu_max_mapping_level() reads lpage_info and the host page
 *   table level only: neither USERFAULT nor the bitmap is consulted (v3 clamps only in
 *   kvm_mmu_hugepage_adjust, v3 05/15, Message-ID 20250618042424.330664-6-jthoughton).
 *   So a gfn whose bit is still set, inside a huge host mapping, is mapped without an
 *   exit (review §1 case A, V3).
 * - Shadow MMU (tdp_mmu=0): kvm_rmap_zap_collapsible_sptes zaps every 4K SPTE with
 *   `sp->role.level < kvm_mmu_max_mapping_level(...)`; the next fault goes through
 *   kvm_mmu_faultin_pfn, the userfault check and the 4K clamp (review §1).
 *
 * The dirty-tracked case (USERFAULT 1→0 with dirty logging on) WARNs before any of this
 * (memslot-flags.ts, review M2).
 */
import { hostMaxMappingLevel, isPrivateGfn, zapGfns, type MappingLevel } from './stage2.ts';
import type { KernelState, Memslot } from './state.ts';
import { pagesAtLevel } from './variant.ts';

/** The shadow MMU: zap the 4K mappings that could be mapped huge, so that the next fault does. */
function zapCollapsible(k: KernelState, slot: Memslot): Memslot {
  let result = slot;
  for (let i = 0; i < slot.npages; i++) {
    if (result.spte[i] !== 1) continue;
    const gfn = slot.baseGfn + i;
    if (hostMaxMappingLevel(k, slot, gfn, isPrivateGfn(k.vm, gfn)) > 1) result = zapGfns(k.config.variant, result, gfn, 1);
  }
  return result;
}

/**
 * The TDP MMU: every aligned range (largest level first) that holds a present 4K leaf
 * and no huge mapping, and that kvm_mmu_max_mapping_level allows at that level, becomes
 * one huge mapping of the whole range.
 */
function recoverInPlace(k: KernelState, slot: Memslot): Memslot {
  const variant = k.config.variant;
  let spte = slot.spte;
  for (const level of [3, 2] as const) {
    const pages = pagesAtLevel(variant, level);
    for (let first = slot.baseGfn - (slot.baseGfn % pages); first < slot.baseGfn + slot.npages; first += pages) {
      if (first < slot.baseGfn || first + pages > slot.baseGfn + slot.npages) continue;
      const range = spte.slice(first - slot.baseGfn, first - slot.baseGfn + pages);
      // A page table to replace: some leaf present, none of it mapped huge yet.
      if (!range.some((l) => l === 1) || range.some((l) => l > 1)) continue;
      const leaf = first + range.findIndex((l) => l === 1);
      if (hostMaxMappingLevel(k, slot, leaf, isPrivateGfn(k.vm, leaf)) < level) continue;
      const next = spte.slice();
      for (let g = first; g < first + pages; g++) next[g - slot.baseGfn] = level satisfies MappingLevel;
      spte = next;
    }
  }
  return spte === slot.spte ? slot : { ...slot, spte };
}

/** kvm_mmu_recover_huge_pages on this kernel's MMU. */
export function recoverHugeMappings(k: KernelState, slot: Memslot): Memslot {
  return k.config.variant.mmu === 'shadow' ? zapCollapsible(k, slot) : recoverInPlace(k, slot);
}
