/**
 * KVM_SET_USER_MEMORY_REGION and KVM_SET_USER_MEMORY_REGION2: validation in the kernel's
 * order with its errno (virt/kvm/kvm_main.c __kvm_set_memory_region, plus the v3 KVM
 * Userfault checks), then create / delete / move / flags-only with the per-arch hooks.
 */
import { gmemByFd } from '../mm/guest-memfd.ts';
import { wakeDemandPagingWaiters } from './demand-paging-wait.ts';
import { applyFlagChanges } from './memslot-flags.ts';
import { invalidateInFlightFaults } from './stage2.ts';
import type { KernelState, Memslot } from './state.ts';
import {
  BITS_PER_LONG,
  BYTES_PER_LONG,
  Errno,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_MAX_NR_PAGES,
  KVM_MEM_READONLY,
  KVM_MEM_SLOTS_NUM,
  KVM_MEM_USERFAULT,
  KVM_MEM_EXIT_ON_MISSING,
  KVM_SET_USER_MEMORY_REGION_V1_FLAGS,
  PAGE_SHIFT,
  PAGE_SIZE,
  fail,
  ok,
  type SysResult,
} from './uapi.ts';
import { hasUserfaultCap, SimulationUsageError, type Arch } from './variant.ts';

type U64 = number | bigint;

/** struct kvm_userspace_memory_region2 (the legacy struct is its prefix). */
export interface UserspaceMemoryRegion2 {
  readonly slot: number;
  readonly flags: number;
  readonly guest_phys_addr: U64;
  readonly memory_size: U64;
  readonly userspace_addr: U64;
  readonly guest_memfd_offset?: U64;
  readonly guest_memfd?: number;
  /** v3: taken from the struct's padding. */
  readonly userfault_bitmap?: U64;
}

const U64_MAX = (1n << 64n) - 1n;

function u64(x: U64 | undefined): bigint {
  const v = BigInt(x ?? 0);
  if (v < 0n || v > U64_MAX) throw new SimulationUsageError(`${x} is not a __u64`);
  return v;
}

/** TASK_SIZE_MAX: x86-64 with 4-level paging; arm64 with 48-bit VAs. */
function taskSize(arch: Arch): bigint {
  return arch === 'x86' ? (1n << 47n) - BigInt(PAGE_SIZE) : 1n << 48n;
}

/** arm64 untagged_addr() strips the top byte; x86 without LAM leaves the address alone. */
function untagged(arch: Arch, addr: bigint): bigint {
  if (arch !== 'arm64') return addr;
  const stripped = addr & ((1n << 56n) - 1n);
  return (stripped & (1n << 55n)) !== 0n ? stripped | (0xffn << 56n) : stripped;
}

function accessOk(arch: Arch, addr: bigint, size: bigint): boolean {
  return addr + size <= taskSize(arch) && addr + size >= addr;
}

/** KVM_USER_MEM_SLOTS: x86 keeps 3 slots for itself. */
function userMemSlots(arch: Arch): number {
  return arch === 'x86' ? KVM_MEM_SLOTS_NUM - 3 : KVM_MEM_SLOTS_NUM;
}

function validFlags(k: KernelState, flags: number): number {
  let valid = KVM_MEM_LOG_DIRTY_PAGES;
  if (k.config.privateMem) valid |= KVM_MEM_GUEST_MEMFD;
  if ((flags & KVM_MEM_GUEST_MEMFD) !== 0) valid &= ~KVM_MEM_LOG_DIRTY_PAGES;
  else valid |= KVM_MEM_READONLY;
  if (hasUserfaultCap(k.config.variant)) valid |= KVM_MEM_USERFAULT;
  if (k.config.variant.exitOnMissing) valid |= KVM_MEM_EXIT_ON_MISSING;
  return valid;
}

export interface SetRegionOutcome {
  readonly state: KernelState;
  readonly result: SysResult;
  /**
   * The change would publish a new memslot array while a vCPU sleeps in userfaultfd inside
   * a fault (an SRCU reader): synchronize_srcu() waits. Nothing changed; re-issue the
   * ioctl once srcuReadersAsleep() is false.
   */
  readonly blocked?: true;
}

/** A vCPU holds kvm->srcu while its fault sleeps in userfaultfd. */
export function srcuReadersAsleep(k: KernelState): boolean {
  return k.vm.vcpus.some((v) => v.mode === 'uffd-wait');
}

/** The legacy KVM_SET_USER_MEMORY_REGION: only LOG_DIRTY_PAGES and READONLY are accepted. */
export function setUserMemoryRegion(k: KernelState, region: UserspaceMemoryRegion2): SetRegionOutcome {
  if ((region.flags & ~KVM_SET_USER_MEMORY_REGION_V1_FLAGS) !== 0) return { state: k, result: fail(Errno.EINVAL) };
  return setUserMemoryRegion2(k, { ...region, guest_memfd: undefined, guest_memfd_offset: 0, userfault_bitmap: 0 });
}

export function setUserMemoryRegion2(k: KernelState, region: UserspaceMemoryRegion2): SetRegionOutcome {
  const reject = (errno: (typeof Errno)[keyof typeof Errno]): SetRegionOutcome => ({ state: k, result: fail(errno) });
  const { arch } = k.config.variant;
  const flags = region.flags >>> 0;
  const gpa = u64(region.guest_phys_addr);
  const size = u64(region.memory_size);
  const ua = u64(region.userspace_addr);
  const gmemOffset = u64(region.guest_memfd_offset);
  const bitmap = u64(region.userfault_bitmap);
  const page = BigInt(PAGE_SIZE);

  if ((flags & ~validFlags(k, flags)) !== 0) return reject(Errno.EINVAL);
  if (size % page !== 0n) return reject(Errno.EINVAL);
  if (gpa % page !== 0n) return reject(Errno.EINVAL);
  if (ua % page !== 0n || ua !== untagged(arch, ua) || !accessOk(arch, ua, size)) return reject(Errno.EINVAL);
  if ((flags & KVM_MEM_GUEST_MEMFD) !== 0 && (gmemOffset % page !== 0n || gmemOffset + size > U64_MAX)) {
    return reject(Errno.EINVAL);
  }
  const asId = region.slot >>> 16;
  const id = region.slot & 0xffff;
  if (asId >= (arch === 'x86' ? 2 : 1) || id >= userMemSlots(arch)) return reject(Errno.EINVAL);
  if (asId !== 0) throw new SimulationUsageError('the x86 SMM address space (as_id 1) is not modelled');
  if (gpa + size > U64_MAX) return reject(Errno.EINVAL);
  if (size >> BigInt(PAGE_SHIFT) > BigInt(KVM_MEM_MAX_NR_PAGES)) return reject(Errno.EINVAL);
  const userfault = hasUserfaultCap(k.config.variant) && (flags & KVM_MEM_USERFAULT) !== 0;
  if (userfault) {
    const npagesBig = size >> BigInt(PAGE_SHIFT);
    const bytes = ((npagesBig + BigInt(BITS_PER_LONG) - 1n) / BigInt(BITS_PER_LONG)) * BigInt(BYTES_PER_LONG);
    // No alignment and no readability check: a bogus pointer fails only at fault time.
    if (bitmap !== untagged(arch, bitmap) || !accessOk(arch, bitmap, bytes)) return reject(Errno.EINVAL);
  }

  const oldIndex = k.vm.slots.findIndex((s) => s.id === region.slot);
  const old = oldIndex >= 0 ? k.vm.slots[oldIndex] : undefined;
  const blocked: SetRegionOutcome = { state: k, result: ok(), blocked: true };
  if (size === 0n) {
    if (!old) return reject(Errno.EINVAL);
    if (srcuReadersAsleep(k)) return blocked;
    return { state: deleteSlot(k, oldIndex), result: ok() };
  }
  const baseGfn = Number(gpa >> BigInt(PAGE_SHIFT));
  const npages = Number(size >> BigInt(PAGE_SHIFT));
  let change: 'create' | 'move' | 'flags';
  if (!old) {
    change = 'create';
  } else {
    const gmem = (flags & KVM_MEM_GUEST_MEMFD) !== 0;
    if (k.config.variant.userfault === 'none') {
      // Mainline: private memslots are immutable, they can only be deleted.
      if (gmem) return reject(Errno.EINVAL);
    } else if (gmem && baseGfn !== old.baseGfn) {
      // v3: moving a guest_memfd memslot isn't supported (flags-only changes are).
      return reject(Errno.EINVAL);
    }
    if (Number(ua) !== old.userspaceAddr || npages !== old.npages) return reject(Errno.EINVAL);
    // Only READONLY may not toggle (review C5). A KVM_MEM_GUEST_MEMFD toggle passes every
    // check on an existing slot: mainline tests `mem->flags & KVM_MEM_GUEST_MEMFD` (the new
    // flags), so turning it off is accepted there too; v3 (04/15, the diff Sean Christopherson
    // proposed in reply to v2: "drop the blanket immutable restriction, and simply say
    // guest_memfd slots can't be MOVED") has no test at all. Binding happens only on
    // KVM_MR_CREATE (`mem->flags & KVM_MEM_GUEST_MEMFD && change == KVM_MR_CREATE`), so a
    // slot that gains the flag has no guest_memfd (private faults exit) and one that loses it
    // has none either. A slot that keeps the flag keeps its binding here: an inference (the
    // series' selftests toggle USERFAULT on guest_memfd slots and expect them to work), not
    // settled from the patches (how new->gmem is carried over is not in the diff).
    if (((flags ^ old.flags) & KVM_MEM_READONLY) !== 0) return reject(Errno.EINVAL);
    if (baseGfn !== old.baseGfn) change = 'move';
    else if (flags !== old.flags) change = 'flags';
    else return { state: k, result: ok() };
  }
  if (change !== 'flags') {
    const overlap = k.vm.slots.some((s) => s.id !== region.slot && s.baseGfn < baseGfn + npages && baseGfn < s.baseGfn + s.npages);
    if (overlap) return reject(Errno.EEXIST);
  }

  const keepsGmem = old !== undefined && ((old.flags & flags) & KVM_MEM_GUEST_MEMFD) !== 0;
  let gmemFile = keepsGmem ? old.gmemFile : -1;
  let gmemPage = keepsGmem ? old.gmemOffset : 0;
  if (change === 'create' && (flags & KVM_MEM_GUEST_MEMFD) !== 0) {
    const bound = bindGuestMemfd(k, region.guest_memfd ?? -1, Number(gmemOffset) / PAGE_SIZE, npages);
    if (typeof bound !== 'number') return reject(bound.errno);
    gmemFile = bound;
    gmemPage = Number(gmemOffset) / PAGE_SIZE;
  }
  // kvm_arch_prepare_memory_region: the slot must fit the guest physical address space.
  const limitGfns = 2 ** (k.config.variant.physAddrBits - PAGE_SHIFT);
  if (baseGfn + npages > limitGfns) return reject(arch === 'arm64' ? Errno.EFAULT : Errno.EINVAL);

  const next: Memslot = {
    id: region.slot,
    baseGfn,
    npages,
    userspaceAddr: Number(ua),
    flags,
    userfaultBitmap: userfault ? Number(bitmap) : 0,
    gmemFile,
    gmemOffset: gmemPage,
    spte: change === 'flags' && old ? old.spte : new Array<number>(npages).fill(0),
    // The present bitmap lives with the slot: a flags-only change keeps it; a new or moved slot starts without.
    present: change === 'flags' && old ? old.present : [],
  };
  if (srcuReadersAsleep(k)) return blocked;
  if (change === 'move') k = deleteSlot(k, oldIndex);
  if (change === 'flags' && old) return { state: applyFlagChanges(k, oldIndex, old, next), result: ok() };
  const slots = [...k.vm.slots, next].sort((a, b) => a.id - b.id);
  return { state: { ...k, vm: { ...k.vm, slots } }, result: ok() };
}

function deleteSlot(k: KernelState, index: number): KernelState {
  // Deleting (or moving) drops every mapping of the slot: in-flight faults retry.
  // Tasks waiting for a gfn of the slot to become present are woken (their access retries).
  const slots = k.vm.slots.filter((_, i) => i !== index);
  return { ...k, vm: wakeDemandPagingWaiters(invalidateInFlightFaults({ ...k.vm, slots })) };
}

/** kvm_gmem_bind: the fd must be a guest_memfd, the range inside it and not bound yet. */
function bindGuestMemfd(k: KernelState, fd: number, offsetPages: number, npages: number): number | { errno: (typeof Errno)[keyof typeof Errno] } {
  if (fd < 0) return { errno: Errno.EBADF };
  const g = gmemByFd(k.mm, fd);
  if (!g) return { errno: k.mm.uffds.some((u) => u.fd === fd) ? Errno.EINVAL : Errno.EBADF };
  const filePages = k.mm.files[g.file]?.pages.length ?? 0;
  if (offsetPages + npages > filePages) return { errno: Errno.EINVAL };
  const taken = k.vm.slots.some((s) => s.gmemFile === g.file && s.gmemOffset < offsetPages + npages && offsetPages < s.gmemOffset + s.npages);
  if (taken) return { errno: Errno.EEXIST };
  return g.file;
}
