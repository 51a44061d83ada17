/**
 * Stage-2 page tables (x86 TDP / arm64 stage 2), one mapping level per gfn, and the rules
 * for how large a mapping may be (reference §5).
 */
import { hostMappingPages } from '../mm/host-fault.ts';
import type { KernelState, Memslot, VmState } from './state.ts';
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_USERFAULT, PAGE_SIZE } from './uapi.ts';
import { hasUserfaultCap, pagesAtLevel, type KernelVariant } from './variant.ts';

export type MappingLevel = 1 | 2 | 3;

/** The memslot flags that force PAGE_SIZE mappings: dirty logging, and USERFAULT where bit 3 means it. */
export function forced4kFlags(variant: KernelVariant): number {
  const userfaultForces4k = hasUserfaultCap(variant) && variant.mutation !== 'huge-while-userfault';
  return KVM_MEM_LOG_DIRTY_PAGES | (userfaultForces4k ? KVM_MEM_USERFAULT : 0);
}

export function slotIndexForGfn(vm: VmState, gfn: number): number {
  return vm.slots.findIndex((s) => gfn >= s.baseGfn && gfn < s.baseGfn + s.npages);
}

export function slotHva(slot: Memslot, gfn: number): number {
  return slot.userspaceAddr + (gfn - slot.baseGfn) * PAGE_SIZE;
}

export function isPrivateGfn(vm: VmState, gfn: number): boolean {
  return vm.privateGfns.includes(gfn);
}

/**
 * Whether a stage-2 fault on `gfn` takes its page from the guest_memfd: a private gfn, or
 * any gfn of a gmem-only memslot. A memslot is gmem-only when its guest_memfd is mappable
 * (guest_memfd mmap support, 6.18: kvm_memslot_is_gmem_only → kvm_mmu_faultin_pfn_gmem for
 * shared faults too); userspace_addr then serves only KVM's own and the VMM's accesses.
 * The KVM Userfault v3 base (kvm-x86/next, June 2025) predates it: there a shared fault on
 * a guest_memfd slot goes through userspace_addr, as kvmuf's kvm-userfault design has it.
 * The vm_uffd_ops series is based on v7.0-rc1 (Message-ID 20260306171815.3160826-1-rppt,
 * base-commit line), which has gmem-only slots: so gmem-only routing goes with that
 * variant (an inference about which bases are paired, not a kernel rule of its own).
 */
export function faultsFromGmem(k: KernelState, slot: Memslot, gfn: number): boolean {
  return isPrivateGfn(k.vm, gfn) || (slot.gmemFile >= 0 && k.config.variant.gmemUffd === 'vm-uffd-ops');
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/**
 * Whether a mapping of `level` around `gfn` is allowed, per reference §5. With
 * `clampFlags` false this is kvm_mmu_max_mapping_level() alone (lpage_info and the host
 * page-table level), which huge-page recovery uses: the flags that force 4K are applied
 * only at fault time (kvm_mmu_hugepage_adjust: `kvm_slot_dirty_track_enabled(slot) ||
 * kvm_is_userfault_memslot(slot)`, v3 05/15, Message-ID 20250618042424.330664-6-jthoughton).
 */
function levelAllowed(k: KernelState, slot: Memslot, gfn: number, level: 2 | 3, isPrivate: boolean, clampFlags = true): boolean {
  const pages = pagesAtLevel(k.config.variant, level);
  const first = gfn - mod(gfn, pages);
  // The whole aligned range lies in this slot...
  if (first < slot.baseGfn || first + pages > slot.baseGfn + slot.npages) return false;
  // ...gfn and hva agree modulo the huge size (x86 disallow_lpage; arm64 fault_supports_stage2_huge_mapping)...
  if (mod(slot.baseGfn - slot.userspaceAddr / PAGE_SIZE, pages) !== 0) return false;
  // ...nothing forces 4K...
  if (clampFlags && (slot.flags & forced4kFlags(k.config.variant)) !== 0) return false;
  // ...every gfn of the range is present (KVM Demand Paging policy (e))...
  if (slot.present.length > 0) for (let g = first; g < first + pages; g++) if (slot.present[g - slot.baseGfn] !== true) return false;
  // ...the memory attributes are uniform over the range...
  for (let g = first; g < first + pages; g++) if ((k.vm.privateGfns.includes(g)) !== isPrivate) return false;
  // ...and the host maps it at least that large (guest_memfd: base pages only).
  if (isPrivate) return false;
  return hostMappingPages(k.mm, slotHva(slot, gfn), pagesAtLevel(k.config.variant, 2)) >= pages;
}

export function maxMappingLevel(k: KernelState, slot: Memslot, gfn: number, isPrivate: boolean): MappingLevel {
  if (levelAllowed(k, slot, gfn, 3, isPrivate)) return 3;
  if (levelAllowed(k, slot, gfn, 2, isPrivate)) return 2;
  return 1;
}

/** kvm_mmu_max_mapping_level(): the level the host and lpage_info allow, whatever the slot's flags. */
export function hostMaxMappingLevel(k: KernelState, slot: Memslot, gfn: number, isPrivate: boolean): MappingLevel {
  if (levelAllowed(k, slot, gfn, 3, isPrivate, false)) return 3;
  if (levelAllowed(k, slot, gfn, 2, isPrivate, false)) return 2;
  return 1;
}

function pagesOf(variant: KernelVariant, level: number): number {
  return level === 0 ? 1 : pagesAtLevel(variant, level as MappingLevel);
}

/**
 * Install a mapping of `level` covering `gfn` (its aligned range). `writeFault`, when
 * given, sets its write permission under dirty logging (setWritePermission).
 */
export function installMapping(variant: KernelVariant, slot: Memslot, gfn: number, level: MappingLevel, writeFault?: boolean): Memslot {
  const pages = pagesOf(variant, level);
  const first = gfn - mod(gfn, pages);
  const spte = slot.spte.slice();
  for (let g = first; g < first + pages; g++) spte[g - slot.baseGfn] = level;
  const mapped = { ...slot, spte };
  return writeFault === undefined ? mapped : setWritePermission(mapped, first, pages, writeFault);
}

/** Zap every mapping that covers any gfn in [gfn, gfn + count): a huge mapping goes whole. */
export function zapGfns(variant: KernelVariant, slot: Memslot, gfn: number, count: number): Memslot {
  let spte: number[] | undefined;
  for (let g = Math.max(gfn, slot.baseGfn); g < Math.min(gfn + count, slot.baseGfn + slot.npages); g++) {
    const level = (spte ?? slot.spte)[g - slot.baseGfn] ?? 0;
    if (level === 0) continue;
    spte ??= slot.spte.slice();
    const pages = pagesOf(variant, level);
    const first = g - mod(g, pages);
    for (let h = first; h < first + pages; h++) spte[h - slot.baseGfn] = 0;
  }
  return spte ? { ...slot, spte } : slot;
}

/** kvm_arch_flush_shadow_memslot: zap the whole slot. */
export function zapSlot(slot: Memslot): Memslot {
  return slot.spte.some((l) => l !== 0) ? { ...slot, spte: slot.spte.map(() => 0) } : slot;
}

/** Dirty logging enable: huge mappings are split into PAGE_SIZE mappings of the same pages. */
export function splitHugeMappings(slot: Memslot): Memslot {
  return slot.spte.some((l) => l > 1) ? { ...slot, spte: slot.spte.map((l) => (l > 1 ? 1 : l)) } : slot;
}

/**
 * Enabling dirty logging write-protects every mapped gfn of the slot
 * (kvm_mmu_slot_apply_flags → kvm_mmu_slot_remove_write_access on x86;
 * kvm_mmu_wp_memory_region on arm64): the next write to each takes a fault (review M4).
 */
export function writeProtectMapped(slot: Memslot): Memslot {
  return { ...slot, writeProtected: slot.spte.map((l) => l > 0) };
}

/** Whether a write to mapped `gfn` hits dirty logging's write protection. */
export function isWriteProtected(slot: Memslot, gfn: number): boolean {
  return slot.writeProtected?.[gfn - slot.baseGfn] === true;
}

/**
 * The write permission of a mapping just installed over [first, first + pages): with dirty
 * logging on, a read fault maps read-only so that the first write is caught and logged,
 * a write fault maps writable (inference for both arches, from arm64's user_mem_abort and
 * x86's make_spte handling of dirty-tracked slots). Without dirty logging, writable.
 */
export function setWritePermission(slot: Memslot, first: number, pages: number, writeFault: boolean): Memslot {
  const logging = (slot.flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0;
  if (!slot.writeProtected && !logging) return slot;
  const wp = (slot.writeProtected ?? slot.spte.map(() => false)).slice();
  for (let g = first; g < first + pages; g++) wp[g - slot.baseGfn] = logging && !writeFault;
  return { ...slot, writeProtected: wp };
}

/** An MMU invalidation bumps mmu_invalidate_seq: every fault in flight must retry. */
export function invalidateInFlightFaults(vm: VmState): VmState {
  if (!vm.vcpus.some((v) => v.fault && !v.fault.retry)) return vm;
  return { ...vm, vcpus: vm.vcpus.map((v) => (v.fault && !v.fault.retry ? { ...v, fault: { ...v.fault, retry: true } } : v)) };
}
