/**
 * The stage-2 fault path and KVM_RUN's results (reference §3): memory-fault exits, the
 * order of the userfault check and the pfn lookup, the bare -EFAULT of a bad bitmap, and
 * the races the kernel's structure allows.
 */
import { describe, expect, it } from 'vitest';
import {
  Errno,
  KVM_EXIT_HLT,
  KVM_EXIT_MEMORY_FAULT,
  KVM_EXIT_MMIO,
  KVM_MEMORY_ATTRIBUTE_PRIVATE,
  KVM_MEMORY_EXIT_FLAG_PRIVATE,
  KVM_MEMORY_EXIT_FLAG_USERFAULT,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEM_READONLY,
  KVM_MEM_USERFAULT,
  PAGE_SIZE,
  UFFDIO_REGISTER_MODE_MISSING,
} from '../../src/kvm/uapi.ts';
import { KvmSim } from '../../src/kvm/sim.ts';
import type { UserfaultSeries } from '../../src/kvm/variant.ts';
import { SMALL_GEOMETRY, anonVm, exitOf, levels, read, setFlags, write } from './fixtures.ts';

describe('a userfault exit', () => {
  it('is KVM_RUN = -1/EFAULT with KVM_EXIT_MEMORY_FAULT, the page-aligned gpa, PAGE_SIZE and the USERFAULT flag', () => {
    const { sim } = anonVm(8, { userfault: true, programs: [[read(5)]] });
    const run = exitOf(sim);
    expect(run).toEqual({
      ret: -1,
      errno: Errno.EFAULT,
      exitReason: KVM_EXIT_MEMORY_FAULT,
      memoryFault: { flags: KVM_MEMORY_EXIT_FLAG_USERFAULT, gpa: 5 * PAGE_SIZE, size: PAGE_SIZE },
    });
    // The instruction did not complete: re-entering faults again on the same page.
    expect(sim.vcpu(0).pc).toBe(0);
    expect(exitOf(sim).memoryFault?.gpa).toBe(5 * PAGE_SIZE);
  });

  it('is resolved by populating, clearing the bit and re-entering', () => {
    const { sim, hva, bitmap } = anonVm(4, { userfault: true, programs: [[read(2)]] });
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
    sim.userAccess(1000, hva + 2 * PAGE_SIZE, 42); // memcpy of the fetched page into the HVA
    sim.setUserfaultBit(bitmap, 2, false);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess).toEqual({ gfn: 2, write: false, value: 42 });
  });

  it('happens only for gfns whose bit is set', () => {
    const { sim, bitmap } = anonVm(4, { userfault: true, programs: [[read(1), read(3)]] });
    sim.setUserfaultBit(bitmap, 1, false);
    const run = exitOf(sim);
    expect(run.memoryFault?.gpa).toBe(3 * PAGE_SIZE);
    expect(levels(sim)).toEqual([0, 1, 0, 0]);
  });

  it('carries PRIVATE as well for a private gfn of a guest_memfd slot (x86)', () => {
    const sim = new KvmSim({ variant: { geometry: SMALL_GEOMETRY }, privateMem: true, programs: [[read(1)]] });
    const fd = sim.createGuestMemfd(4 * PAGE_SIZE).ret;
    const hva = sim.mmapAnonymous(4);
    const bitmap = sim.mmapData(8);
    sim.setUserfaultBit(bitmap, 1, true);
    expect(sim.setMemoryAttributes({ address: 0, size: 4 * PAGE_SIZE, attributes: KVM_MEMORY_ATTRIBUTE_PRIVATE }).ret).toBe(0);
    const flags = KVM_MEM_GUEST_MEMFD | KVM_MEM_USERFAULT;
    sim.setUserMemoryRegion2({ slot: 0, flags, guest_phys_addr: 0, memory_size: 4 * PAGE_SIZE, userspace_addr: hva, guest_memfd: fd, userfault_bitmap: bitmap });
    expect(exitOf(sim).memoryFault?.flags).toBe(KVM_MEMORY_EXIT_FLAG_USERFAULT | KVM_MEMORY_EXIT_FLAG_PRIVATE);
    // Resolve by write() into the guest_memfd.
    expect(sim.gmemWrite(fd, PAGE_SIZE, 9).ret).toBe(PAGE_SIZE);
    sim.setUserfaultBit(bitmap, 1, false);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess?.value).toBe(9);
  });
});

describe('the bitmap is read at fault time', () => {
  it('an unmapped bitmap pointer gives a bare -EFAULT: exit_reason and memory_fault stay stale', () => {
    const { sim, bitmap } = anonVm(4, { userfault: true, programs: [[read(0), read(1)]] });
    const first = exitOf(sim); // a genuine userfault exit on gfn 0
    expect(first.exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
    sim.setUserfaultBit(bitmap, 0, false);
    // Point the slot at an unmapped bitmap (off, then on with the new pointer): accepted at set time...
    expect(setFlags(sim, 0).ret).toBe(0);
    expect(setFlags(sim, KVM_MEM_USERFAULT, 0x5000_0000).ret).toBe(0);
    // ...and fails at fault time with nothing new in struct kvm_run.
    const run = exitOf(sim);
    expect(run.ret).toBe(-1);
    expect(run.errno).toBe(Errno.EFAULT);
    expect(run.exitReason).toBe(first.exitReason);
    expect(run.memoryFault).toEqual(first.memoryFault);
  });

  it('re-setting the slot with only a new bitmap pointer is a silent no-op (inference: the "nothing to change" return)', () => {
    const { sim, bitmap } = anonVm(4, { userfault: true, programs: [[read(0)]] });
    expect(setFlags(sim, KVM_MEM_USERFAULT, 0x5000_0000)).toEqual({ ret: 0, errno: 0 });
    expect(sim.slot(0)?.userfaultBitmap).toBe(bitmap);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_MEMORY_FAULT); // still the old, valid bitmap
  });

  it('a NULL bitmap is accepted at set time and fails at the first fault', () => {
    const { sim } = anonVm(4, { programs: [[read(0)]] });
    expect(setFlags(sim, KVM_MEM_USERFAULT, 0).ret).toBe(0);
    const run = exitOf(sim);
    expect([run.ret, run.errno, run.exitReason]).toEqual([-1, Errno.EFAULT, 0]);
  });

  it('an unaligned bitmap works: bit i lives at byte i/8 of the pointer, little-endian', () => {
    const sim = new KvmSim({ variant: { geometry: SMALL_GEOMETRY }, programs: [[read(9), read(10)]] });
    const hva = sim.mmapAnonymous(16);
    const data = sim.mmapData(64);
    const bitmap = data + 3;
    sim.setUserfaultBit(bitmap, 10, true);
    sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_USERFAULT, guest_phys_addr: 0, memory_size: 16 * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: bitmap });
    expect(exitOf(sim).memoryFault?.gpa).toBe(10 * PAGE_SIZE);
  });

  it('a bitmap whose long runs off the end of its mapping faults even for an in-range bit', () => {
    const sim = new KvmSim({ variant: { geometry: SMALL_GEOMETRY }, programs: [[read(0)]] });
    const hva = sim.mmapAnonymous(4);
    const data = sim.mmapData(PAGE_SIZE);
    const bitmap = data + PAGE_SIZE - 4; // the 8-byte long straddles the unmapped guard page
    sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_USERFAULT, guest_phys_addr: 0, memory_size: 4 * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: bitmap });
    expect(exitOf(sim)).toMatchObject({ ret: -1, errno: Errno.EFAULT, exitReason: 0 });
  });

  it('setting a bit for a gfn that is already mapped has no effect until USERFAULT is re-enabled', () => {
    const { sim, bitmap } = anonVm(4, { userfault: true, programs: [[read(1), read(1)]] });
    sim.setUserfaultBit(bitmap, 1, false);
    sim.kvmRun(0);
    sim.step(0);
    sim.step(0); // gfn 1 mapped
    sim.setUserfaultBit(bitmap, 1, true);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT); // the second read hit the mapping
    // Disabling and re-enabling zaps the mapping, so the bit takes effect from then on.
    setFlags(sim, 0);
    setFlags(sim, KVM_MEM_USERFAULT, bitmap);
    expect(levels(sim)[1]).toBe(0);
  });

  it('a bit set after the check but before the install is missed (the bitmap is outside mmu_invalidate_seq)', () => {
    const { sim, bitmap } = anonVm(4, { userfault: true, programs: [[read(2)]] });
    sim.setUserfaultBit(bitmap, 2, false);
    sim.kvmRun(0);
    sim.step(0); // check passed, pfn found
    sim.setUserfaultBit(bitmap, 2, true);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(levels(sim)[2]).toBe(1);
  });
});

describe('fault ordering: the userfault check comes before the pfn lookup', () => {
  it('with a uffd registered and the page missing, a set bit exits and raises no uffd fault', () => {
    const { sim, hva } = anonVm(4, { userfault: true, programs: [[read(0)]] });
    const uffd = sim.userfaultfd();
    sim.uffdRegister(uffd, hva, 4 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
    expect(sim.uffdRead(uffd).result.errno).toBe(Errno.EAGAIN);
  });

  it('with the bit clear, the pfn lookup sleeps in userfaultfd until the page is installed', () => {
    const { sim, hva } = anonVm(4, { programs: [[read(3)]] });
    const uffd = sim.userfaultfd();
    sim.uffdRegister(uffd, hva, 4 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    expect(sim.runUntilExit(0)).toEqual({ kind: 'blocked' });
    expect(sim.vcpu(0).mode).toBe('uffd-wait');
    const msg = sim.uffdRead(uffd).msg;
    expect(msg).toMatchObject({ address: hva + 3 * PAGE_SIZE });
    expect(sim.uffdCopy(uffd, hva + 3 * PAGE_SIZE, PAGE_SIZE, 77).result.ret).toBe(0);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess?.value).toBe(77);
  });

  it('an MMU invalidation between the pfn lookup and the install makes the fault retry', () => {
    const { sim, hva } = anonVm(4, { programs: [[read(0)]] });
    sim.userAccess(1000, hva, 5);
    sim.kvmRun(0);
    sim.step(0);
    expect(sim.vcpu(0).fault).toMatchObject({ gfn: 0, retry: false });
    sim.madvise(1000, hva, PAGE_SIZE, 4);
    expect(sim.vcpu(0).fault?.retry).toBe(true);
    sim.step(0);
    expect(sim.vcpu(0).mode).toBe('guest');
    expect(levels(sim)[0]).toBe(0);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess?.value).toBe(0); // the page was dropped: zeros now
  });
});

describe('other exits', () => {
  it('an access outside every memslot exits with KVM_EXIT_MMIO and completes', () => {
    const { sim } = anonVm(4, { programs: [[read(100)]] });
    expect(exitOf(sim)).toMatchObject({ ret: 0, exitReason: KVM_EXIT_MMIO, mmioGpa: 100 * PAGE_SIZE });
    expect(sim.vcpu(0).pc).toBe(1);
  });

  it('a write to a READONLY slot exits with KVM_EXIT_MMIO; a read maps it', () => {
    const { sim } = anonVm(4, { flags: KVM_MEM_READONLY, programs: [[write(1, 3), read(1)]] });
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_MMIO);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess).toEqual({ gfn: 1, write: false, value: 0 });
  });

  it('a private gfn in a slot without guest_memfd exits with only the PRIVATE flag', () => {
    const { sim } = anonVm(4, { privateMem: true, programs: [[read(0)]] });
    sim.setMemoryAttributes({ address: 0, size: PAGE_SIZE, attributes: KVM_MEMORY_ATTRIBUTE_PRIVATE });
    expect(exitOf(sim).memoryFault).toEqual({ flags: KVM_MEMORY_EXIT_FLAG_PRIVATE, gpa: 0, size: PAGE_SIZE });
  });
});

describe('arm64 guest_memfd slots and the gmem_abort hook', () => {
  function armGmem(userfault: UserfaultSeries) {
    const sim = new KvmSim({ variant: { arch: 'arm64', userfault, geometry: SMALL_GEOMETRY }, privateMem: true, programs: [[read(0)]] });
    const fd = sim.createGuestMemfd(4 * PAGE_SIZE).ret;
    const hva = sim.mmapAnonymous(4);
    const bitmap = sim.mmapData(8);
    sim.setUserfaultBit(bitmap, 0, true);
    sim.setMemoryAttributes({ address: 0, size: 4 * PAGE_SIZE, attributes: KVM_MEMORY_ATTRIBUTE_PRIVATE });
    sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_GUEST_MEMFD | KVM_MEM_USERFAULT, guest_phys_addr: 0, memory_size: 4 * PAGE_SIZE, userspace_addr: hva, guest_memfd: fd, userfault_bitmap: bitmap });
    return sim;
  }

  it('v3 does not hook gmem_abort: the fault allocates a zero page and the guest reads it', () => {
    const sim = armGmem('v3');
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess?.value).toBe(0);
  });

  it("Firecracker's v2 copy hooks it: the fault exits", () => {
    expect(exitOf(armGmem('v2-firecracker')).exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
  });
});

describe('memslot changes wait for faults asleep in userfaultfd (SRCU)', () => {
  it('a flags-only change blocks while a vCPU sleeps in uffd, and goes through once it is woken', () => {
    const { sim, hva } = anonVm(4, { programs: [[read(0)]] });
    const uffd = sim.userfaultfd();
    sim.uffdRegister(uffd, hva, 4 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    sim.runUntilExit(0);
    const bitmap = sim.mmapData(8);
    expect(setFlags(sim, KVM_MEM_USERFAULT, bitmap)).toMatchObject({ blocked: true });
    expect(sim.slot(0)?.flags).toBe(0);
    sim.uffdZeropage(uffd, hva, PAGE_SIZE);
    sim.step(0); // woken: GUP finds the page
    expect(setFlags(sim, KVM_MEM_USERFAULT, bitmap)).toEqual({ ret: 0, errno: 0 });
  });
});

describe('closing a guest_memfd', () => {
  function boundGmem(mapped: boolean) {
    const sim = new KvmSim({ variant: { geometry: SMALL_GEOMETRY }, privateMem: true, programs: [[read(0)]] });
    const fd = sim.createGuestMemfd(4 * PAGE_SIZE, mapped ? 1 : 0).ret;
    if (mapped) sim.mmapGuestMemfd(fd, 4);
    const hva = sim.mmapAnonymous(4);
    sim.setMemoryAttributes({ address: 0, size: 4 * PAGE_SIZE, attributes: KVM_MEMORY_ATTRIBUTE_PRIVATE });
    sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_GUEST_MEMFD, guest_phys_addr: 0, memory_size: 4 * PAGE_SIZE, userspace_addr: hva, guest_memfd: fd });
    expect(sim.close(fd).ret).toBe(0);
    return { sim, fd };
  }

  it('releases it when nothing maps it: private faults then exit with -EFAULT and PRIVATE', () => {
    const { sim, fd } = boundGmem(false);
    expect(exitOf(sim).memoryFault).toEqual({ flags: KVM_MEMORY_EXIT_FLAG_PRIVATE, gpa: 0, size: PAGE_SIZE });
    expect(sim.close(fd).errno).toBe(Errno.EBADF);
  });

  it('keeps it alive while an mmap of it exists', () => {
    const { sim } = boundGmem(true);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
  });
});
