/**
 * KVM_MEM_EXIT_ON_MISSING (Anish Moorthy's series, reference §7): a stage-2 fault that
 * would have to fault in the host mapping exits with KVM_EXIT_MEMORY_FAULT instead of
 * queueing on the userfaultfd; KVM's own accesses still go to the userfaultfd.
 */
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import { Errno, KVM_EXIT_HLT, KVM_EXIT_MEMORY_FAULT, KVM_MEM_EXIT_ON_MISSING, MADV_POPULATE_WRITE, PAGE_SIZE, UFFDIO_COPY_MODE_DONTWAKE, UFFDIO_REGISTER_MODE_MISSING } from '../../src/kvm/uapi.ts';
import { SMALL_GEOMETRY, exitOf, hugetlbVm, levels, read, write } from './fixtures.ts';

function eomVm(programs = [[read(1)]]) {
  const sim = new KvmSim({ variant: { exitOnMissing: true, geometry: SMALL_GEOMETRY }, programs });
  const hva = sim.mmapAnonymous(4);
  const uffd = sim.userfaultfd();
  sim.uffdRegister(uffd, hva, 4 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
  const r = sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_EXIT_ON_MISSING, guest_phys_addr: 0, memory_size: 4 * PAGE_SIZE, userspace_addr: hva });
  return { sim, hva, uffd, r };
}

describe('exit-on-missing', () => {
  it('bit 3 is accepted as EXIT_ON_MISSING without any bitmap', () => {
    expect(eomVm().r).toEqual({ ret: 0, errno: 0 });
  });

  it('a fault on a missing host page exits (flags 0, page-aligned gpa) instead of sleeping in the uffd', () => {
    const { sim, uffd } = eomVm();
    expect(exitOf(sim)).toEqual({ ret: -1, errno: Errno.EFAULT, exitReason: KVM_EXIT_MEMORY_FAULT, memoryFault: { flags: 0, gpa: PAGE_SIZE, size: PAGE_SIZE } });
    expect(sim.uffdPoll(uffd)).toBe(false);
  });

  it('the vCPU thread installs with UFFDIO_COPY (no wake needed) and re-enters', () => {
    const { sim, hva, uffd } = eomVm();
    exitOf(sim);
    expect(sim.uffdCopy(uffd, hva + PAGE_SIZE, PAGE_SIZE, 5, UFFDIO_COPY_MODE_DONTWAKE).result.ret).toBe(0);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess?.value).toBe(5);
  });

  it('a write through a read-only PTE (the zero page after UFFDIO_ZEROPAGE) exits too: fast GUP fails, and COPY cannot help (review V4)', () => {
    const { sim, hva, uffd } = eomVm([[read(1), write(1, 7)]]);
    expect(exitOf(sim).memoryFault?.gpa).toBe(PAGE_SIZE);
    expect(sim.uffdZeropage(uffd, hva + PAGE_SIZE, PAGE_SIZE, UFFDIO_COPY_MODE_DONTWAKE).result.ret).toBe(0);
    // The read maps the zero page (fast GUP for reading succeeds)...
    const again = exitOf(sim);
    expect(again.exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
    expect(sim.vcpu(0).lastAccess).toEqual({ gfn: 1, write: false, value: 0 });
    // ...the write exits on the same page, and does so again after an EEXIST install.
    expect(again.memoryFault?.gpa).toBe(PAGE_SIZE);
    expect(sim.uffdCopy(uffd, hva + PAGE_SIZE, PAGE_SIZE, 5, UFFDIO_COPY_MODE_DONTWAKE).result.errno).toBe(Errno.EEXIST);
    expect(exitOf(sim).memoryFault?.gpa).toBe(PAGE_SIZE);
    // MADV_POPULATE_WRITE breaks the COW; the write then goes through, over zeros.
    const p = sim.madvise(1000, hva + PAGE_SIZE, PAGE_SIZE, MADV_POPULATE_WRITE);
    expect(p.kind === 'done' && p.result.ret).toBe(0);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess).toEqual({ gfn: 1, write: true, value: 7 });
  });

  it('a read of a zero-page PTE does not exit (fast GUP for reading succeeds)', () => {
    const { sim, hva, uffd } = eomVm([[read(1)]]);
    expect(sim.uffdZeropage(uffd, hva + PAGE_SIZE, PAGE_SIZE).result.ret).toBe(0);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
  });

  it("KVM's own accesses still sleep in the userfaultfd", () => {
    const { sim } = eomVm();
    expect(sim.kvmReadGuest(1000, 2 * PAGE_SIZE).kind).toBe('blocked');
  });

  it('does not force 4K mappings, and does not zap when enabled', () => {
    const vm = hugetlbVm(8, 4, { variant: { exitOnMissing: true }, programs: [[read(0)]] });
    vm.sim.userAccess(1000, vm.hva, 3);
    exitOf(vm.sim);
    expect(levels(vm.sim).slice(0, 4)).toEqual([2, 2, 2, 2]);
    const s = vm.sim.slot(0);
    vm.sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_EXIT_ON_MISSING, guest_phys_addr: 0, memory_size: (s?.npages ?? 0) * PAGE_SIZE, userspace_addr: vm.hva });
    expect(levels(vm.sim).slice(0, 4)).toEqual([2, 2, 2, 2]);
  });

  it('cannot be combined with a KVM Userfault kernel: both claim bit 3', () => {
    expect(() => new KvmSim({ variant: { exitOnMissing: true, userfault: 'v3' } })).toThrow(/bit 3/);
  });
});
