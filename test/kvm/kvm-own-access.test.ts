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

  /** armVm with tables on gfns 5 and 6 holding `tables`, PROPBASER at gfn 3, PENDBASER at gfn 7 (holding 4 and 9). */
  function lpiVm(tables: number) {
    const { sim, hva } = armVm();
    sim.userAccess(VMM, hva + 5 * PAGE_SIZE, tables);
    sim.userAccess(VMM, hva + 6 * PAGE_SIZE, tables);
    sim.userAccess(VMM, hva + 3 * PAGE_SIZE, 4);
    sim.userAccess(VMM, hva + 7 * PAGE_SIZE, 9);
    sim.gicrSetPropbaser(3 * PAGE_SIZE);
    return { sim, hva };
  }

  it('RESTORE_TABLES then reads the LPI property and pending tables for the ITEs it restored (update_lpi_config, vgic_v3_lpi_sync_pending_status)', () => {
    const { sim } = lpiVm(1);
    sim.gicrSetPendbaser(7 * PAGE_SIZE);
    expect(restoreAll(sim)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(sim.state.vm.vgic.itsTablesRead).toEqual([1, 1, 4, 9]);
  });

  it('zero-filled ITS tables map no LPI: the restore "succeeds" having read neither LPI table', () => {
    const { sim } = lpiVm(0);
    sim.gicrSetPendbaser(7 * PAGE_SIZE);
    expect(restoreAll(sim)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(sim.state.vm.vgic.itsTablesRead).toEqual([0, 0]);
  });

  it('an LPI table read sleeps in userfaultfd like the ITS tables do', () => {
    const { sim, hva } = lpiVm(1);
    const uffd = sim.userfaultfd();
    sim.uffdRegister(uffd, hva, 8 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    sim.gicrSetPropbaser(2 * PAGE_SIZE);
    expect(restoreAll(sim).kind).toBe('blocked');
    expect(sim.uffdRead(uffd).msg).toMatchObject({ address: hva + 2 * PAGE_SIZE });
  });

  it('enabling LPIs reads the pending table only with LPIs mapped and PENDBASER.PTZ clear (vgic_enable_lpis, its_sync_lpi_pending_table)', () => {
    // No LPI mapped yet: nothing to sync, nothing read.
    const none = lpiVm(1);
    none.sim.gicrSetPendbaser(7 * PAGE_SIZE);
    expect(none.sim.gicrEnableLpis(VMM)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(none.sim.state.vm.vgic.pendingTableRead).toBe(-1);
    // LPIs mapped by the restore: the pending table is read.
    restoreAll(none.sim);
    expect(none.sim.gicrEnableLpis(VMM)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(none.sim.state.vm.vgic.pendingTableRead).toBe(9);
    // PTZ set: the guest said the table is zeros, KVM does not read it.
    const ptz = lpiVm(1);
    ptz.sim.gicrSetPendbaser(7 * PAGE_SIZE, true);
    restoreAll(ptz.sim);
    expect(ptz.sim.gicrEnableLpis(VMM)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(ptz.sim.state.vm.vgic.pendingTableRead).toBe(-1);
  });

  it('enabling GITS_CTLR reads the command queue when CWRITER is ahead of CREADR (vgic_its_process_commands), and may sleep in userfaultfd', () => {
    const { sim, hva } = armVm();
    const uffd = sim.userfaultfd();
    sim.uffdRegister(uffd, hva, 8 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    expect(sim.itsSetCmdQueue(4 * PAGE_SIZE, true).ret).toBe(0);
    expect(sim.itsSetCtlr(true, VMM)).toMatchObject({ blocked: true });
    expect(sim.state.vm.vgic.gitsCtlrEnabled).toBe(false);
    sim.uffdRead(uffd);
    sim.uffdCopy(uffd, hva + 4 * PAGE_SIZE, PAGE_SIZE, 21);
    expect(sim.itsSetCtlr(true, VMM)).toEqual({ ret: 0, errno: 0 });
    expect(sim.state.vm.vgic).toMatchObject({ gitsCtlrEnabled: true, cmdQueueRead: 21, cmdQueuePending: false });
  });

  it('with CREADR == CWRITER enabling GITS_CTLR reads nothing', () => {
    const { sim } = armVm();
    sim.itsSetCmdQueue(4 * PAGE_SIZE, false);
    expect(sim.itsSetCtlr(true, VMM)).toEqual({ ret: 0, errno: 0 });
    expect(sim.state.vm.vgic.cmdQueueRead).toBe(-1);
  });

  it('the ITS exists only on arm64', () => {
    expect(() => new KvmSim().itsSetBaser([0])).toThrow(/arm64/);
  });
});
