/** Small VMs for the kernel-simulation tests. */
import { KvmSim, type SimOptions } from '../../src/kvm/sim.ts';
import type { GuestOp } from '../../src/kvm/state.ts';
import { KVM_MEM_USERFAULT, PAGE_SIZE } from '../../src/kvm/uapi.ts';

/** A scaled geometry: a "2M" mapping covers 4 base pages, a "1G" one 16. */
export const SMALL_GEOMETRY = [1, 4, 16] as const;

export const read = (gfn: number): GuestOp => ({ kind: 'read', gfn });
export const write = (gfn: number, value: number): GuestOp => ({ kind: 'write', gfn, value });

export interface AnonVm {
  readonly sim: KvmSim;
  readonly hva: number;
  /** Address of a userfault bitmap with every page's bit set (0 if none). */
  readonly bitmap: number;
}

/**
 * A VM with slot 0 over `npages` of anonymous memory at gpa 0. With `userfault`, the slot
 * has KVM_MEM_USERFAULT and a bitmap with every bit set (all pages still remote).
 */
export function anonVm(npages: number, options: SimOptions & { userfault?: boolean; thp?: boolean; flags?: number } = {}): AnonVm {
  const sim = new KvmSim({ ...options, variant: { geometry: SMALL_GEOMETRY, ...options.variant } });
  const hva = sim.mmapAnonymous(npages, { thp: options.thp ?? false });
  let bitmap = 0;
  let flags = options.flags ?? 0;
  if (options.userfault) {
    bitmap = sim.mmapData(Math.ceil(npages / 64) * 8);
    for (let i = 0; i < npages; i++) sim.setUserfaultBit(bitmap, i, true);
    flags |= KVM_MEM_USERFAULT;
  }
  const r = sim.setUserMemoryRegion2({
    slot: 0,
    flags,
    guest_phys_addr: 0,
    memory_size: npages * PAGE_SIZE,
    userspace_addr: hva,
    userfault_bitmap: bitmap,
  });
  if (r.ret !== 0) throw new Error(`fixture memslot failed: errno ${r.errno}`);
  return { sim, hva, bitmap };
}

/** Run vCPU `id` to its next exit, failing the test if it sleeps instead. */
export function exitOf(sim: KvmSim, id = 0) {
  const r = sim.runUntilExit(id);
  if (r.kind !== 'exit') throw new Error(`vCPU ${id} is asleep in userfaultfd`);
  return r.run;
}

/**
 * A VM whose slot 0 (gpa `baseGfn`·4K, `slotPages` pages) is backed by hugetlbfs pages of
 * `hugePages` base pages each, mapped from the start of an `npages`-page file.
 */
export function hugetlbVm(
  npages: number,
  hugePages: number,
  options: SimOptions & { slotPages?: number; baseGfn?: number; hvaOffsetPages?: number; flags?: number; bitmap?: boolean } = {},
): AnonVm {
  const sim = new KvmSim({ ...options, variant: { geometry: SMALL_GEOMETRY, ...options.variant } });
  const file = sim.createFile('hugetlb', npages, hugePages);
  const hva = sim.mmapFile(file, npages);
  const slotPages = options.slotPages ?? npages - (options.hvaOffsetPages ?? 0);
  const bitmap = options.bitmap ? sim.mmapData(8) : 0;
  const r = sim.setUserMemoryRegion2({
    slot: 0,
    flags: options.flags ?? 0,
    guest_phys_addr: (options.baseGfn ?? 0) * PAGE_SIZE,
    memory_size: slotPages * PAGE_SIZE,
    userspace_addr: hva + (options.hvaOffsetPages ?? 0) * PAGE_SIZE,
    userfault_bitmap: bitmap,
  });
  if (r.ret !== 0) throw new Error(`fixture memslot failed: errno ${r.errno}`);
  return { sim, hva, bitmap };
}

/** Stage-2 mapping levels of slot 0, one per gfn. */
export function levels(sim: KvmSim, slot = 0): readonly number[] {
  const s = sim.slot(slot);
  if (!s) throw new Error(`no slot ${slot}`);
  return s.spte;
}

/** Flags-only change of slot 0, keeping everything else. */
export function setFlags(sim: KvmSim, flags: number, bitmap = 0) {
  const s = sim.slot(0);
  if (!s) throw new Error('no slot 0');
  return sim.setUserMemoryRegion2({
    slot: 0,
    flags,
    guest_phys_addr: s.baseGfn * PAGE_SIZE,
    memory_size: s.npages * PAGE_SIZE,
    userspace_addr: s.userspaceAddr,
    userfault_bitmap: bitmap,
  });
}
