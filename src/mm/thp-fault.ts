/**
 * An anonymous write fault that allocates a whole transparent huge page (mm/memory.c
 * __handle_mm_fault: `if (pmd_none(*vmf.pmd) && thp_vma_allowable_order(...PMD_ORDER))
 * create_huge_pmd()` → mm/huge_memory.c do_huge_pmd_anonymous_page →
 * __do_huge_pmd_anonymous_page: the folio is zeroed (folio_zero_user) and mapped by one
 * PMD; `userfaultfd_missing(vma)` hands the fault to userfaultfd first, which the caller
 * has already done here).
 *
 * This is how a huge host mapping gets only partly fetched without userfaultfd (review
 * §1, V3): with KVM Userfault and no uffd, the VMM's first memcpy into a 2M region faults
 * in a zero-filled THP; the one page it copies holds data, the other base pages hold zeros
 * that never arrived, and the host maps the whole range huge.
 *
 * Conditions modelled: an anonymous VMA with THP enabled (`enabled=always`, or
 * MADV_HUGEPAGE), the aligned PMD range inside the VMA (thp_vma_suitable_order), nothing
 * mapped in that range yet (pmd_none), a write fault. Not modelled (a simplification): a
 * read fault mapping the huge zero page (transparent_hugepage_use_zero_page); here a read
 * fault maps the base zero page, as without THP. Shmem THP (page cache) is not modelled.
 */
import { PAGE_SIZE } from '../kvm/uapi.ts';
import type { MemFile, Vma } from './host-memory.ts';

/** The VMA page range a THP fault at VMA page `index` fills, or undefined (a base-page fault). */
export function thpFaultRange(vma: Vma, file: MemFile, index: number, write: boolean): { first: number; count: number } | undefined {
  if (!write || !vma.thp || vma.thpPages < 2 || file.kind !== 'anon') return undefined;
  const pages = vma.thpPages;
  const startPage = vma.start / PAGE_SIZE;
  const first = index - ((startPage + index) % pages);
  if (first < 0 || first + pages > vma.npages) return undefined;
  for (let i = first; i < first + pages; i++) if (vma.mapped[i]) return undefined;
  return { first, count: pages };
}
