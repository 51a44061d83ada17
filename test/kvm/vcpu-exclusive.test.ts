/**
 * Kicks and vCPU-exclusive device ioctls (review M1; src/kvm/kick.ts, vgic.ts): a signal
 * ends KVM_RUN with -EINTR (x86 also out of a userfaultfd wait, arm64 only at the next
 * guest entry); the ITS ioctls fail with -EBUSY while a vCPU is in KVM_RUN, and
 * RESTORE_TABLES holds every vCPU mutex while it sleeps in userfaultfd.
 */
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import { Errno, KVM_EXIT_INTR, PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING } from '../../src/kvm/uapi.ts';
import { vcpuMutexFree } from '../../src/kvm/vcpu.ts';
import { isTaskInUffd } from '../../src/mm/userfaultfd.ts';
import { read } from './fixtures.ts';

const VMM = 1000;

/** vCPU 0 reads gfn 0, which is missing in a MISSING-registered range: it sleeps in userfaultfd. */
function asleepInUffd(arch: 'x86' | 'arm64') {
  const sim = new KvmSim({ variant: { arch }, programs: [[read(0), read(1)], [read(1)]] });
  const hva = sim.mmapAnonymous(2);
  sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: 2 * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: 0 });
  const uffd = sim.userfaultfd();
  expect(sim.uffdRegister(uffd, hva, 2 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING).ret).toBe(0);
  sim.kvmRun(0);
  sim.step(0);
  expect(sim.vcpu(0).mode).toBe('uffd-wait');
  return { sim, hva, uffd };
}

describe('a kick (signal to the vCPU thread)', () => {
  it('in the guest: KVM_RUN returns -EINTR, KVM_EXIT_INTR, before the next access', () => {
    const { sim } = asleepInUffd('x86');
    sim.kvmRun(1);
    sim.kick(1);
    sim.step(1);
    expect(sim.vcpu(1).mode).toBe('user');
    expect(sim.vcpu(1).run).toMatchObject({ ret: -1, errno: Errno.EINTR, exitReason: KVM_EXIT_INTR });
    expect(sim.vcpu(1).pc).toBe(0);
  });

  it('x86, asleep in userfaultfd: the wait ends (FOLL_INTERRUPTIBLE), the fault is dropped and its message with it', () => {
    const { sim } = asleepInUffd('x86');
    sim.kick(0);
    expect(isTaskInUffd(sim.state.mm, 0)).toBe(false);
    sim.step(0);
    expect(sim.vcpu(0).run).toMatchObject({ ret: -1, errno: Errno.EINTR, exitReason: KVM_EXIT_INTR });
    expect(sim.vcpu(0).fault).toBeUndefined();
  });

  it('arm64, asleep in userfaultfd: GUP sleeps killable only, so the vCPU stays asleep until the page comes', () => {
    const { sim, hva, uffd } = asleepInUffd('arm64');
    sim.kick(0);
    expect(isTaskInUffd(sim.state.mm, 0)).toBe(true);
    expect(sim.uffdCopy(uffd, hva, PAGE_SIZE, 7).result.ret).toBe(0);
    sim.step(0); // woken: GUP retries and finds the page
    sim.step(0); // install, then the guest access completes
    expect(sim.vcpu(0).pc).toBe(1);
    sim.step(0); // the next guest entry sees the signal
    expect(sim.vcpu(0).run).toMatchObject({ ret: -1, errno: Errno.EINTR, exitReason: KVM_EXIT_INTR });
  });

  it('outside KVM_RUN it does nothing KVM can see', () => {
    const { sim } = asleepInUffd('x86');
    sim.kick(1);
    expect(sim.vcpu(1).kicked).toBeUndefined();
  });
});

describe('ITS device ioctls take every vCPU mutex (lock_all_vcpus)', () => {
  it('GITS_BASER, RESTORE_TABLES and GITS_CTLR fail with EBUSY while a vCPU is in KVM_RUN, even asleep in userfaultfd', () => {
    const { sim } = asleepInUffd('arm64');
    expect(sim.itsSetBaser([PAGE_SIZE]).errno).toBe(Errno.EBUSY);
    const r = sim.itsRestoreTables(VMM);
    expect(r.kind === 'done' && r.result.errno).toBe(Errno.EBUSY);
    expect(sim.itsSetCtlr(true).errno).toBe(Errno.EBUSY);
    expect(sim.state.vm.vgic.gitsCtlrEnabled).toBe(false);
  });

  it('RESTORE_TABLES asleep in userfaultfd keeps every vCPU mutex: no KVM_RUN starts until it returns', () => {
    const sim = new KvmSim({ variant: { arch: 'arm64' }, programs: [[read(0)]] });
    const hva = sim.mmapAnonymous(2);
    sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: 2 * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: 0 });
    const uffd = sim.userfaultfd();
    sim.uffdRegister(uffd, hva, 2 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    expect(sim.itsSetBaser([PAGE_SIZE]).ret).toBe(0);
    expect(sim.itsRestoreTables(VMM).kind).toBe('blocked');
    expect(vcpuMutexFree(sim.state, 0)).toBe(false);
    expect(() => sim.kvmRun(0)).toThrow(/vcpu->mutex/);
    expect(sim.uffdCopy(uffd, hva + PAGE_SIZE, PAGE_SIZE, 9).result.ret).toBe(0);
    expect(sim.itsRestoreTables(VMM).kind).toBe('done');
    expect(vcpuMutexFree(sim.state, 0)).toBe(true);
    sim.kvmRun(0);
  });
});
