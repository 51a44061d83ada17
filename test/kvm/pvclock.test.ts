/**
 * kvm-clock (review M6, src/kvm/pvclock.ts): the MSR restore only activates the pvclock
 * cache with a GUP for writing; the 32-byte pvclock is written at the vCPU's next guest
 * entry, over whatever that GUP found.
 */
import { describe, expect, it } from 'vitest';
import { KVM_EXIT_HLT, MADV_DONTNEED, PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING } from '../../src/kvm/uapi.ts';
import { byteAt, isPartial } from '../../src/mm/page-content.ts';
import { KVM_CLOCK_CONTENT, PVCLOCK_BYTES } from '../../src/kvm/pvclock.ts';
import type { GuestOp } from '../../src/kvm/state.ts';
import { vcpuMutexFree } from '../../src/kvm/vcpu.ts';
import { composeSystem } from '../../src/system/model.ts';
import { bundledHandlerFor } from '../../src/vmm/index.ts';
import { anonVm, exitOf } from './fixtures.ts';

const VMM = 1000;
const at = (gfn: number, offset: number): GuestOp => ({ kind: 'read', gfn, offset });

describe('MSR_KVM_SYSTEM_TIME_NEW', () => {
  it('activation writes nothing: with no uffd it faults in a zero page; KVM writes 32 bytes at the next KVM_RUN', () => {
    const { sim, hva } = anonVm(4, { programs: [[at(1, 0), at(1, 0x40)]] });
    expect(sim.setSystemTimeMsr(VMM, 0, PAGE_SIZE)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    // The GUP (FOLL_WRITE) allocated a zeroed page; no pvclock yet.
    const page = () => sim.state.mm.files[0]?.pages[1] ?? -1;
    expect(page()).toBe(0);
    expect(sim.vcpu(0).pvclockPending).toBe(PAGE_SIZE);
    expect(sim.userAccess(VMM, hva + PAGE_SIZE)).toMatchObject({ value: 0 });
    sim.kvmRun(0);
    sim.step(0); // vcpu_enter_guest: KVM_REQ_CLOCK_UPDATE
    expect(sim.vcpu(0).pvclockPending).toBeUndefined();
    expect(isPartial(page())).toBe(true);
    expect(byteAt(page(), 0)).toBe(KVM_CLOCK_CONTENT);
    expect(byteAt(page(), PVCLOCK_BYTES - 1)).toBe(KVM_CLOCK_CONTENT);
    expect(byteAt(page(), PVCLOCK_BYTES)).toBe(0);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess).toMatchObject({ gfn: 1, offset: 0x40 });
  });

  it('with a uffd registered the activation sleeps until the page is installed, and KVM writes over the installed content', () => {
    const { sim, hva } = anonVm(4, { programs: [[at(1, 0)]] });
    const uffd = sim.userfaultfd();
    sim.uffdRegister(uffd, hva, 4 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    expect(sim.setSystemTimeMsr(VMM, 0, PAGE_SIZE).kind).toBe('blocked');
    expect(sim.vcpu(0).pvclockPending).toBeUndefined();
    // Asleep in the uffd, the ioctl keeps vcpu->mutex: vCPU 0 cannot enter KVM_RUN.
    expect(sim.vcpu(0).mutexHeldBy).toBe(VMM);
    expect(vcpuMutexFree(sim.state, 0)).toBe(false);
    expect(() => sim.kvmRun(0)).toThrow(/vcpu->mutex/);
    expect(sim.uffdRead(uffd).msg).toMatchObject({ address: hva + PAGE_SIZE });
    sim.uffdCopy(uffd, hva + PAGE_SIZE, PAGE_SIZE, 1);
    expect(sim.setSystemTimeMsr(VMM, 0, PAGE_SIZE)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    expect(vcpuMutexFree(sim.state, 0)).toBe(true);
    sim.kvmRun(0);
    sim.step(0);
    const page = sim.state.mm.files[0]?.pages[1] ?? -1;
    expect([byteAt(page, 0), byteAt(page, 0x40)]).toEqual([KVM_CLOCK_CONTENT, 1]);
  });

  it('a cache invalidated before the KVM_RUN is refreshed from the vCPU thread, which sleeps in the uffd', () => {
    const { sim, hva } = anonVm(4, { programs: [[at(1, 0)]] });
    sim.userAccess(VMM, hva + PAGE_SIZE, 1);
    const uffd = sim.userfaultfd(0);
    sim.uffdRegister(uffd, hva, 4 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    expect(sim.setSystemTimeMsr(VMM, 0, PAGE_SIZE)).toMatchObject({ kind: 'done' });
    // MADV_DONTNEED zaps the page (no REMOVE feature here): the cached pfn is gone.
    expect(sim.madvise(VMM, hva + PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED)).toMatchObject({ kind: 'done' });
    sim.kvmRun(0);
    sim.step(0);
    expect(sim.vcpu(0)).toMatchObject({ mode: 'uffd-wait', pvclockPending: PAGE_SIZE, fault: { pvclock: true } });
    expect(sim.uffdRead(uffd).msg).toMatchObject({ address: hva + PAGE_SIZE, flags: 1 });
    sim.uffdCopy(uffd, hva + PAGE_SIZE, PAGE_SIZE, 1);
    sim.step(0); // woken: back to guest entry
    sim.step(0); // the refresh finds the page: the pvclock is written
    expect(sim.vcpu(0).pvclockPending).toBeUndefined();
    expect(byteAt(sim.state.mm.files[0]?.pages[1] ?? -1, 0)).toBe(KVM_CLOCK_CONTENT);
  });
});

describe('guest accesses at a byte offset', () => {
  it('exit with the page-aligned gpa and size PAGE_SIZE (kvm_prepare_memory_fault_exit)', () => {
    const { sim } = anonVm(4, { userfault: true, programs: [[at(3, 0x123)]] });
    expect(exitOf(sim).memoryFault).toMatchObject({ gpa: 3 * PAGE_SIZE, size: PAGE_SIZE });
  });

  it('a store at an offset changes only its 8 bytes', () => {
    const { sim, hva } = anonVm(4, { programs: [[{ kind: 'write', gfn: 2, value: 7, offset: 0x100 }]] });
    sim.userAccess(VMM, hva + 2 * PAGE_SIZE, 1);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    const page = sim.state.mm.files[0]?.pages[2] ?? -1;
    expect([byteAt(page, 0xff), byteAt(page, 0x100), byteAt(page, 0x107), byteAt(page, 0x108)]).toEqual([1, 7, 7, 1]);
    expect(sim.vcpu(0).lastAccess).toMatchObject({ gfn: 2, write: true, offset: 0x100, stored: 7 });
  });

  it('an MMIO exit reports the exact address', () => {
    const { sim } = anonVm(4, { programs: [[at(9, 0x18)]] });
    expect(exitOf(sim).mmioGpa).toBe(9 * PAGE_SIZE + 0x18);
  });

  it('KVM_SET_MSRS waits for vcpu->mutex: the control step is not enabled while vCPU 0 is in KVM_RUN', () => {
    const system = composeSystem({ design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 0 }]], control: { kvmClockGfn: 1 } }, bundledHandlerFor('kvm-userfault'));
    const control = system.threads.findIndex((t) => t.kind === 'control');
    const inRun = system.step(system.initial, 0)?.state; // vCPU 0: KVM_RUN
    expect(inRun?.kernel.vm.vcpus[0]?.mode).toBe('guest');
    expect(system.step(inRun as NonNullable<typeof inRun>, control)).toBeUndefined();
    // Out of KVM_RUN (the initial state), the same step runs.
    expect(system.step(system.initial, control)?.label).toBe('restore-msr-kvm-clock');
  });
});
