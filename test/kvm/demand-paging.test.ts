/**
 * KVM Demand Paging (Google's design, reference §7 (a)–(e); hypothetical UAPI, see
 * src/kvm/demand-paging.ts): one test per rule.
 */
import { describe, expect, it } from 'vitest';
import { KvmSim, type SimOptions } from '../../src/kvm/sim.ts';
import { consistencyProblems } from '../../src/kvm/consistency.ts';
import {
  Errno,
  KVM_CAP_DEMAND_PAGING,
  KVM_EXIT_HLT,
  KVM_EXIT_MEMORY_FAULT,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEMORY_ATTRIBUTE_PRIVATE,
  KVM_MEMORY_EXIT_FLAG_NOT_PRESENT,
  KVM_MEMORY_EXIT_FLAG_PRIVATE,
  PAGE_SIZE,
} from '../../src/kvm/uapi.ts';
import { SMALL_GEOMETRY, exitOf, hugetlbVm, levels, read, write } from './fixtures.ts';

const VMM = 1000;
const range = (gfn: number, count = 1) => ({ gpa: gfn * PAGE_SIZE, size: count * PAGE_SIZE });

/** Slot 0 over `npages` of anonymous memory with demand paging enabled (every gfn non-present). */
function dpVm(npages: number, options: SimOptions = {}) {
  const sim = new KvmSim({ ...options, variant: { demandPaging: true, geometry: SMALL_GEOMETRY, ...options.variant } });
  const hva = sim.mmapAnonymous(npages);
  sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: npages * PAGE_SIZE, userspace_addr: hva });
  expect(sim.enableDemandPaging(0).ret).toBe(0);
  return { sim, hva };
}

/** The VMM installs a page through its own mapping (no userfaultfd) and marks it present. */
function installAndMark(sim: KvmSim, hva: number, gfn: number, content: number) {
  sim.userAccess(VMM, hva + gfn * PAGE_SIZE, content);
  expect(sim.markGfnsPresent(range(gfn)).ret).toBe(0);
}

describe('(a) enabling the present bitmap', () => {
  it('is advertised only by a kernel that carries it; elsewhere the ioctls are ENOTTY', () => {
    expect(new KvmSim({ variant: { demandPaging: true } }).checkExtension(KVM_CAP_DEMAND_PAGING)).toBe(1);
    const plain = new KvmSim();
    expect(plain.checkExtension(KVM_CAP_DEMAND_PAGING)).toBe(0);
    expect(plain.enableDemandPaging(0)).toEqual({ ret: -1, errno: Errno.ENOTTY });
    expect(plain.markGfnsPresent(range(0))).toEqual({ ret: -1, errno: Errno.ENOTTY });
    expect(plain.createDemandPagingFd()).toEqual({ ret: -1, errno: Errno.ENOTTY });
  });

  it('needs an existing slot, once', () => {
    const { sim } = dpVm(4);
    expect(sim.enableDemandPaging(0)).toEqual({ ret: -1, errno: Errno.EEXIST });
    expect(sim.enableDemandPaging(7)).toEqual({ ret: -1, errno: Errno.EINVAL });
  });

  it('starts with every gfn non-present and zaps the slot’s mappings', () => {
    const sim = new KvmSim({ variant: { demandPaging: true, geometry: SMALL_GEOMETRY }, programs: [[read(1)]] });
    const hva = sim.mmapAnonymous(4);
    sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: 4 * PAGE_SIZE, userspace_addr: hva });
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(levels(sim)).toEqual([0, 1, 0, 0]);
    sim.enableDemandPaging(0);
    expect(sim.slot(0)?.present).toEqual([false, false, false, false]);
    expect(levels(sim)).toEqual([0, 0, 0, 0]);
  });
});

describe('(b) marking present and non-present', () => {
  it('rejects ranges that are unaligned, empty, flagged, or not wholly in demand-paging slots', () => {
    const { sim } = dpVm(4);
    expect(sim.markGfnsPresent({ gpa: 100, size: PAGE_SIZE }).errno).toBe(Errno.EINVAL);
    expect(sim.markGfnsPresent({ gpa: 0, size: 0 }).errno).toBe(Errno.EINVAL);
    expect(sim.markGfnsPresent({ gpa: 0, size: PAGE_SIZE, flags: 1 }).errno).toBe(Errno.EINVAL);
    expect(sim.markGfnsPresent(range(3, 2)).errno).toBe(Errno.EINVAL);
    expect(sim.markGfnsNonPresent(range(9)).errno).toBe(Errno.EINVAL);
    expect(sim.slot(0)?.present).toEqual([false, false, false, false]);
  });

  it('marking non-present zaps the mapping: the next access exits', () => {
    const { sim, hva } = dpVm(4, { programs: [[read(2), read(2)]] });
    installAndMark(sim, hva, 2, 7);
    sim.kvmRun(0);
    sim.step(0); // fault → pfn found
    sim.step(0); // install + first read
    expect(levels(sim)).toEqual([0, 0, 1, 0]);
    expect(sim.markGfnsNonPresent(range(2)).ret).toBe(0);
    expect(levels(sim)).toEqual([0, 0, 0, 0]);
    expect(exitOf(sim).memoryFault).toMatchObject({ flags: KVM_MEMORY_EXIT_FLAG_NOT_PRESENT, gpa: 2 * PAGE_SIZE });
  });

  it('marking non-present makes a fault in flight retry (the bitmap is covered by the invalidation sequence)', () => {
    const { sim, hva } = dpVm(4, { programs: [[read(1)]] });
    installAndMark(sim, hva, 1, 7);
    sim.kvmRun(0);
    sim.step(0); // the present check passed; the pfn is found
    expect(sim.vcpu(0).mode).toBe('install');
    sim.markGfnsNonPresent(range(1));
    sim.step(0); // mmu_invalidate_retry: back to the guest
    expect(levels(sim)).toEqual([0, 0, 0, 0]);
    expect(exitOf(sim).memoryFault?.flags).toBe(KVM_MEMORY_EXIT_FLAG_NOT_PRESENT);
  });

  it('a huge mapping goes whole when one of its gfns is marked non-present', () => {
    const vm = hugetlbVm(8, 4, { variant: { demandPaging: true }, programs: [[read(0)]] });
    vm.sim.enableDemandPaging(0);
    vm.sim.userAccess(VMM, vm.hva, 3);
    vm.sim.markGfnsPresent(range(0, 4));
    expect(exitOf(vm.sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(levels(vm.sim).slice(0, 4)).toEqual([2, 2, 2, 2]);
    vm.sim.markGfnsNonPresent(range(3));
    expect(levels(vm.sim).slice(0, 4)).toEqual([0, 0, 0, 0]);
  });
});

describe('(c) vCPU faults on non-present gfns exit', () => {
  it('with KVM_EXIT_MEMORY_FAULT, flags NOT_PRESENT, the page-aligned gpa and PAGE_SIZE; nothing is mapped', () => {
    const { sim } = dpVm(4, { programs: [[read(3)]] });
    expect(exitOf(sim)).toEqual({
      ret: -1,
      errno: Errno.EFAULT,
      exitReason: KVM_EXIT_MEMORY_FAULT,
      memoryFault: { flags: KVM_MEMORY_EXIT_FLAG_NOT_PRESENT, gpa: 3 * PAGE_SIZE, size: PAGE_SIZE },
    });
    expect(levels(sim)).toEqual([0, 0, 0, 0]);
    expect(sim.vcpu(0).pc).toBe(0);
  });

  it('install through the VMM’s own mapping, mark present, re-enter: the guest sees the content', () => {
    const { sim, hva } = dpVm(4, { programs: [[read(3), write(3, 5)]] });
    exitOf(sim);
    installAndMark(sim, hva, 3, 4);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess).toEqual({ gfn: 3, write: true, value: 5 });
    expect(consistencyProblems(sim.state)).toEqual([]);
  });

  it('marking present without installing maps whatever the backing holds (zeros): the VMM must install first', () => {
    const { sim } = dpVm(4, { programs: [[read(0)]] });
    exitOf(sim);
    sim.markGfnsPresent(range(0));
    exitOf(sim);
    expect(sim.vcpu(0).lastAccess?.value).toBe(0);
  });

  it('on guest_memfd: write() the page, then mark present; a private fault carries PRIVATE too', () => {
    const sim = new KvmSim({ variant: { demandPaging: true, geometry: SMALL_GEOMETRY }, privateMem: true, programs: [[read(1)]] });
    const fd = sim.createGuestMemfd(4 * PAGE_SIZE).ret;
    const hva = sim.mmapAnonymous(4);
    sim.setMemoryAttributes({ address: 0, size: 4 * PAGE_SIZE, attributes: KVM_MEMORY_ATTRIBUTE_PRIVATE });
    sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_GUEST_MEMFD, guest_phys_addr: 0, memory_size: 4 * PAGE_SIZE, userspace_addr: hva, guest_memfd: fd });
    sim.enableDemandPaging(0);
    expect(exitOf(sim).memoryFault?.flags).toBe(KVM_MEMORY_EXIT_FLAG_NOT_PRESENT | KVM_MEMORY_EXIT_FLAG_PRIVATE);
    expect(sim.gmemWrite(fd, PAGE_SIZE, 9).ret).toBe(PAGE_SIZE);
    sim.markGfnsPresent(range(1));
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess?.value).toBe(9);
  });
});

describe('(d) KVM’s own accesses wait for non-present gfns', () => {
  it('kvm_read_guest sleeps on KVM’s wait queue and posts one notification; marking present wakes it', () => {
    const { sim, hva } = dpVm(4);
    const fd = sim.createDemandPagingFd().ret;
    expect(sim.kvmReadGuest(VMM, 2 * PAGE_SIZE).kind).toBe('blocked');
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    expect(sim.demandPagingPoll(fd)).toBe(true);
    expect(sim.demandPagingRead(fd)).toEqual({ result: { ret: 8, errno: 0 }, gpa: 2 * PAGE_SIZE });
    expect(sim.demandPagingRead(fd).result).toEqual({ ret: -1, errno: Errno.EAGAIN });
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    installAndMark(sim, hva, 2, 6);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(sim.kvmReadGuest(VMM, 2 * PAGE_SIZE)).toMatchObject({ kind: 'done', value: 6 });
  });

  it('so does kvm_write_guest (e.g. the kvm-clock page), and a present gfn does not wait', () => {
    const { sim, hva } = dpVm(4);
    installAndMark(sim, hva, 0, 6);
    expect(sim.kvmWriteGuest(VMM, 0, 8).kind).toBe('done');
    expect(sim.kvmWriteGuest(VMM + 1, PAGE_SIZE, 8).kind).toBe('blocked');
    expect(sim.isTaskBlocked(VMM + 1)).toBe(true);
  });

  it('the arm64 ITS restore waits too, instead of reading zeros', () => {
    const { sim, hva } = dpVm(4, { variant: { arch: 'arm64' } });
    sim.itsSetBaser([PAGE_SIZE]);
    expect(sim.itsRestoreTables(VMM).kind).toBe('blocked');
    installAndMark(sim, hva, 1, 4);
    expect(sim.itsRestoreTables(VMM)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(sim.state.vm.vgic.itsTablesRead).toEqual([4]);
  });

  it('the notification fd is one per VM; read() on another fd is EBADF', () => {
    const { sim } = dpVm(4);
    const fd = sim.createDemandPagingFd().ret;
    expect(sim.createDemandPagingFd()).toEqual({ ret: -1, errno: Errno.EEXIST });
    expect(sim.demandPagingRead(fd + 1).result.errno).toBe(Errno.EBADF);
  });

  it('deleting the slot wakes its waiters (the access retries and fails outside any slot)', () => {
    const { sim, hva } = dpVm(4);
    sim.kvmReadGuest(VMM, PAGE_SIZE);
    sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: 0, userspace_addr: hva });
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(sim.kvmReadGuest(VMM, PAGE_SIZE)).toMatchObject({ kind: 'done', result: { errno: Errno.EFAULT } });
  });
});

describe('(e) huge pages as memory becomes present', () => {
  it('while a gfn of the aligned range is non-present only 4K is mapped; completing the range zaps the 4K mappings; the next fault maps huge', () => {
    const vm = hugetlbVm(8, 4, { variant: { demandPaging: true }, programs: [[read(0), read(0)]] });
    vm.sim.enableDemandPaging(0);
    vm.sim.userAccess(VMM, vm.hva, 3); // the hugetlbfs page (gfns 0-3) is in place
    vm.sim.markGfnsPresent(range(0));
    vm.sim.kvmRun(0);
    vm.sim.step(0);
    vm.sim.step(0);
    expect(levels(vm.sim).slice(0, 4)).toEqual([1, 0, 0, 0]);
    vm.sim.markGfnsPresent(range(1, 2));
    expect(levels(vm.sim).slice(0, 4)).toEqual([1, 0, 0, 0]); // gfn 3 still missing
    vm.sim.markGfnsPresent(range(3));
    expect(levels(vm.sim).slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(exitOf(vm.sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(levels(vm.sim).slice(0, 4)).toEqual([2, 2, 2, 2]);
  });

  it('the collapse zap makes a fault in flight retry', () => {
    const vm = hugetlbVm(8, 4, { variant: { demandPaging: true }, programs: [[read(0)], [read(1)]] });
    vm.sim.enableDemandPaging(0);
    vm.sim.userAccess(VMM, vm.hva, 3);
    vm.sim.markGfnsPresent(range(0, 2));
    vm.sim.kvmRun(0);
    vm.sim.step(0);
    vm.sim.step(0); // vCPU 0 maps gfn 0 at 4K
    vm.sim.kvmRun(1);
    vm.sim.step(1); // vCPU 1's fault on gfn 1 is in flight
    vm.sim.markGfnsPresent(range(2, 2));
    expect(vm.sim.vcpu(1).fault?.retry).toBe(true);
  });
});
