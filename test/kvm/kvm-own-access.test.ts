/**
 * KVM's own accesses (kvm_read_guest / kvm_write_guest) bypass the userfault bitmap and
 * go through the host mapping; the arm64 VGIC/ITS restore reads its tables that way
 * (reference §3, §6). These are the seeds' warnings at the level of single operations.
 */
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import { Errno, KVM_EXIT_HLT, PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING } from '../../src/kvm/uapi.ts';
import { SMALL_GEOMETRY, anonVm, exitOf, read } from './fixtures.ts';

const VMM = 1000;

describe('kvm_read_guest / kvm_write_guest', () => {
  it('bypass the userfault bitmap: a set bit does not stop a read', () => {
    const { sim, hva } = anonVm(4, { userfault: true });
    sim.userAccess(VMM, hva + PAGE_SIZE, 31);
    const r = sim.kvmReadGuest(VMM, PAGE_SIZE);
    expect(r).toMatchObject({ kind: 'done', result: { ret: 0 }, value: 31 });
  });

  it('with no userfaultfd, a page that never arrived reads as zeros', () => {
    const { sim } = anonVm(4, { userfault: true });
    expect(sim.kvmReadGuest(VMM, 2 * PAGE_SIZE)).toMatchObject({ kind: 'done', value: 0 });
  });

  it('with a userfaultfd registered, the calling thread sleeps until the page is installed', () => {
    const { sim, hva } = anonVm(4, { userfault: true });
    const uffd = sim.userfaultfd();
    sim.uffdRegister(uffd, hva, 4 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    expect(sim.kvmReadGuest(VMM, 3 * PAGE_SIZE).kind).toBe('blocked');
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    expect(sim.uffdRead(uffd).msg).toMatchObject({ address: hva + 3 * PAGE_SIZE, flags: 0 });
    sim.uffdCopy(uffd, hva + 3 * PAGE_SIZE, PAGE_SIZE, 12);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(sim.kvmReadGuest(VMM, 3 * PAGE_SIZE)).toMatchObject({ kind: 'done', value: 12 });
  });

  it('a write (e.g. the kvm-clock page on MSR restore) lands in host memory and the guest sees it', () => {
    const { sim, bitmap } = anonVm(4, { userfault: true, programs: [[read(1)]] });
    expect(sim.kvmWriteGuest(VMM, PAGE_SIZE, 8)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    sim.setUserfaultBit(bitmap, 1, false); // as Firecracker does for pages KVM populates itself
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess?.value).toBe(8);
  });

  it('outside every memslot is -EFAULT', () => {
    const { sim } = anonVm(4);
    expect(sim.kvmReadGuest(VMM, 64 * PAGE_SIZE)).toMatchObject({ kind: 'done', result: { ret: -1, errno: Errno.EFAULT } });
  });
});

describe('arm64 VGIC/ITS restore reads guest memory through kvm_read_guest', () => {
  function armVm() {
    const sim = new KvmSim({ variant: { arch: 'arm64', geometry: SMALL_GEOMETRY } });
    const hva = sim.mmapAnonymous(8);
    const bitmap = sim.mmapData(8);
    for (let i = 0; i < 8; i++) sim.setUserfaultBit(bitmap, i, true);
    sim.setUserMemoryRegion2({ slot: 0, flags: 8, guest_phys_addr: 0, memory_size: 8 * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: bitmap });
    sim.itsSetBaser([5 * PAGE_SIZE, 6 * PAGE_SIZE]);
    return { sim, hva };
  }

  function restoreAll(sim: KvmSim) {
    for (let i = 0; i < 10; i++) {
      const r = sim.itsRestoreTables(VMM);
      if (r.kind !== 'progress') return r;
    }
    throw new Error('restore did not finish');
  }

  it('with the tables present, restore reads what the source wrote', () => {
    const { sim, hva } = armVm();
    sim.userAccess(VMM, hva + 5 * PAGE_SIZE, 1);
    sim.userAccess(VMM, hva + 6 * PAGE_SIZE, 1);
    expect(restoreAll(sim)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(sim.state.vm.vgic.itsTablesRead).toEqual([1, 1]);
  });

  it('with no userfaultfd, restore silently reads zeros for tables that never arrived (the bitmap does not catch it)', () => {
    const { sim } = armVm();
    expect(restoreAll(sim)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(sim.state.vm.vgic.itsTablesRead).toEqual([0, 0]);
  });

  it('with a uffd that nobody serves yet, the restoring thread sleeps (a hang unless another thread serves it)', () => {
    const { sim, hva } = armVm();
    const uffd = sim.userfaultfd();
    sim.uffdRegister(uffd, hva, 8 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    expect(restoreAll(sim).kind).toBe('blocked');
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    // Another thread serves it: the restore goes on, one table at a time.
    sim.uffdRead(uffd);
    sim.uffdCopy(uffd, hva + 5 * PAGE_SIZE, PAGE_SIZE, 1);
    expect(sim.itsRestoreTables(VMM).kind).toBe('progress');
    expect(sim.itsRestoreTables(VMM).kind).toBe('blocked');
    sim.uffdRead(uffd);
    sim.uffdCopy(uffd, hva + 6 * PAGE_SIZE, PAGE_SIZE, 1);
    expect(restoreAll(sim)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(sim.state.vm.vgic.itsTablesRead).toEqual([1, 1]);
  });

  it('with no valid GITS_BASER there is nothing to read', () => {
    const sim = new KvmSim({ variant: { arch: 'arm64' } });
    expect(sim.itsRestoreTables(VMM)).toMatchObject({ kind: 'done', result: { ret: 0 } });
  });

  it('enabling LPIs reads the redistributor pending table the same way', () => {
    const { sim, hva } = armVm();
    sim.gicrSetPendbaser(7 * PAGE_SIZE);
    sim.userAccess(VMM, hva + 7 * PAGE_SIZE, 4);
    expect(sim.gicrEnableLpis(VMM)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(sim.state.vm.vgic.pendingTableRead).toBe(4);
  });

  it('the ITS exists only on arm64', () => {
    expect(() => new KvmSim().itsSetBaser([0])).toThrow(/arm64/);
  });
});
