/**
 * Guest memory as several memslots with GPA holes between them (x86 guests above 3 GiB
 * have a low slot below the PCI hole and a high slot above 4 GiB). Each slot has its own
 * userspace_addr range and its own userfault bitmap, indexed by `gfn - base_gfn` (the v3
 * KVM Userfault series: kvm_memslot_userfault() tests bit `gfn - slot->base_gfn` of
 * `slot->userfault_bitmap`, Message-ID 20250618042424.330664-4-jthoughton). The slots sit
 * back to back in one host mapping (and, for file backings, one file), in gfn order, as
 * QEMU splits one RAM block into "ram-below-4g" and "ram-above-4g" aliases
 * (hw/i386/pc.c pc_memory_init): a slot's host offset is the number of guest pages in the
 * slots before it, not its gfn. So GPA, HVA offset and bitmap index differ as soon as
 * there is a hole, which is where VMMs that mix them up go wrong.
 */
import type { UserspaceMemoryRegion2 } from '../kvm/memslot.ts';
import { PAGE_SIZE as PAGE } from '../kvm/uapi.ts';

/** A memslot as a configuration names it: its first gfn and its size in pages. */
export interface MemslotShape {
  readonly baseGfn: number;
  readonly npages: number;
}

/** A memslot as the setup created it. */
export interface SlotLayout extends MemslotShape {
  /** The memslot id (slot i of the configuration is KVM memslot i). */
  readonly id: number;
  /** userspace_addr: the host virtual address of the slot's first page. */
  readonly hva: number;
  /** Pages into the backing mapping (and file) where the slot starts. */
  readonly hostOffset: number;
  /** The slot's userfault bitmap (0 when the design has none); bit i is gfn baseGfn + i. */
  readonly bitmap: number;
}

/** What the helpers need: the slots of the environment. */
export interface GuestLayout {
  readonly slots: readonly SlotLayout[];
}


/** One slot covering gfns 0..pages-1: the default layout. */
export function singleSlot(pages: number): readonly MemslotShape[] {
  return [{ baseGfn: 0, npages: pages }];
}

/** Every guest gfn of these slots, in order. */
export function slotGfns(slots: readonly MemslotShape[]): number[] {
  return slots.flatMap((s) => Array.from({ length: s.npages }, (_, i) => s.baseGfn + i));
}

/** The slot holding `gfn`, or undefined (a hole, or past guest memory). */
export function slotOf(layout: GuestLayout, gfn: number): SlotLayout | undefined {
  return layout.slots.find((s) => gfn >= s.baseGfn && gfn < s.baseGfn + s.npages);
}

/** The host virtual address of guest page `gfn` (NaN in a hole). */
export function hvaOf(layout: GuestLayout, gfn: number): number {
  const s = slotOf(layout, gfn);
  return s ? s.hva + (gfn - s.baseGfn) * PAGE : Number.NaN;
}

/** The gfn a host virtual address of guest memory belongs to (a fault address), or -1. */
export function gfnOf(layout: GuestLayout, hva: number): number {
  const s = layout.slots.find((x) => hva >= x.hva && hva < x.hva + x.npages * PAGE);
  return s ? s.baseGfn + Math.floor((hva - s.hva) / PAGE) : -1;
}

/** Where `gfn`'s userfault bit lives: its slot's bitmap and the bit index in it, or undefined. */
export function userfaultBitOf(layout: GuestLayout, gfn: number): { readonly bitmap: number; readonly index: number } | undefined {
  const s = slotOf(layout, gfn);
  return s && s.bitmap !== 0 ? { bitmap: s.bitmap, index: gfn - s.baseGfn } : undefined;
}

/** The KVM_SET_USER_MEMORY_REGION2 argument that creates `slot` (or changes its flags). */
export function slotRegion(slot: SlotLayout, flags: number, gmemFd: number): UserspaceMemoryRegion2 {
  return {
    slot: slot.id,
    flags,
    guest_phys_addr: slot.baseGfn * PAGE,
    memory_size: slot.npages * PAGE,
    userspace_addr: slot.hva,
    userfault_bitmap: slot.bitmap,
    ...(gmemFd >= 0 ? { guest_memfd: gmemFd, guest_memfd_offset: slot.hostOffset * PAGE } : {}),
  };
}

/** `0:2,8:2`: each slot as base gfn:npages. */
export function formatMemslots(slots: readonly MemslotShape[]): string {
  return slots.map((s) => `${s.baseGfn}:${s.npages}`).join(',');
}

/** Whether these slots are the default single slot over `pages` pages. */
export function isSingleSlot(slots: readonly MemslotShape[], pages: number): boolean {
  return slots.length === 1 && slots[0]?.baseGfn === 0 && slots[0]?.npages === pages;
}
