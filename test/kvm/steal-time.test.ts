/**
 * Steal time (src/kvm/steal-time.ts): MSR_KVM_STEAL_TIME only records the gpa and raises
 * KVM_REQ_STEAL_UPDATE; record_steal_time writes steal + version (bytes 0..11 of the
 * struct) and preempted (byte 16) at the vCPU's next guest entry, through the host
 * mapping: a user access of the vCPU thread that faults in a zero page without a uffd,
 * sleeps in a registered one, and never looks at the userfault bitmap.
 */
import { describe, expect, it } from 'vitest';
import { STEAL_TIME_CONTENT, STEAL_TIME_OFFSET } from '../../src/kvm/steal-time.ts';
import type { GuestOp } from '../../src/kvm/state.ts';
import { ABSENT } from '../../src/mm/host-memory.ts';
import { byteAt } from '../../src/mm/page-content.ts';
import { KVM_EXIT_HLT, PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING } from '../../src/kvm/uapi.ts';
import { anonVm, exitOf } from './fixtures.ts';

const GPA = PAGE_SIZE + STEAL_TIME_OFFSET;
const at = (gfn: number, offset: number): GuestOp => ({ kind: 'read', gfn, offset });

/** Each byte of the struct that record_steal_time writes, and the ones it leaves alone. */
function structBytes(page: number): number[] {
  return [0, 11, 12, 15, 16, 17, 63].map((i) => byteAt(page, STEAL_TIME_OFFSET + i));
}

describe('MSR_KVM_STEAL_TIME', () => {
  it('the MSR touches no memory; the next guest entry writes steal, version and preempted over a zero page faulted in without a uffd', () => {
    const { sim } = anonVm(4, { programs: [[at(1, 0x100)]] });
    const page = () => sim.state.mm.files[0]?.pages[1] ?? -1;
    sim.setStealTimeMsr(0, GPA);
    expect(page()).toBe(ABSENT);
    expect(sim.vcpu(0).stealTimePending).toBe(GPA);
    sim.kvmRun(0);
    sim.step(0); // vcpu_enter_guest: KVM_REQ_STEAL_UPDATE
    expect(sim.vcpu(0).stealTimePending).toBeUndefined();
    const S = STEAL_TIME_CONTENT;
    expect(structBytes(page())).toEqual([S, S, 0, 0, S, 0, 0]);
    expect(byteAt(page(), 0)).toBe(0);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
  });

  it('ignores the userfault bitmap: with the bit set and no uffd it still writes (a fault on the host mapping, not a stage-2 one)', () => {
    const { sim } = anonVm(4, { userfault: true, programs: [[]] });
    sim.setStealTimeMsr(0, GPA);
    sim.kvmRun(0);
    sim.step(0);
    expect(byteAt(sim.state.mm.files[0]?.pages[1] ?? -1, STEAL_TIME_OFFSET)).toBe(STEAL_TIME_CONTENT);
  });

  it('with a uffd registered the vCPU thread sleeps in it at guest entry, and writes over the installed page once woken', () => {
    const { sim, hva } = anonVm(4, { programs: [[at(1, 0x100)]] });
    const uffd = sim.userfaultfd();
    sim.uffdRegister(uffd, hva, 4 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    sim.setStealTimeMsr(0, GPA);
    sim.kvmRun(0);
    sim.step(0);
    expect(sim.vcpu(0).mode).toBe('uffd-wait');
    expect(sim.vcpu(0).fault).toMatchObject({ gfn: 1, write: true, stealTime: true });
    expect(sim.vcpu(0).stealTimePending).toBe(GPA);
    // The message names the page (no UFFD_FEATURE_EXACT_ADDRESS).
    expect(sim.uffdRead(uffd).msg).toMatchObject({ address: hva + PAGE_SIZE });
    sim.uffdCopy(uffd, hva + PAGE_SIZE, PAGE_SIZE, 2);
    sim.step(0); // woken: back to guest entry
    sim.step(0); // record_steal_time again, now over the source page
    const page = sim.state.mm.files[0]?.pages[1] ?? -1;
    expect([byteAt(page, 0), byteAt(page, STEAL_TIME_OFFSET), byteAt(page, STEAL_TIME_OFFSET + 12), byteAt(page, 0x100)]).toEqual([2, STEAL_TIME_CONTENT, 2, 2]);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess).toMatchObject({ gfn: 1, offset: 0x100, value: page });
  });

  it('with no memslot at the gpa nothing is written and the request is dropped', () => {
    const { sim } = anonVm(2, { programs: [[]] });
    sim.setStealTimeMsr(0, 8 * PAGE_SIZE);
    sim.kvmRun(0);
    sim.step(0);
    expect(sim.vcpu(0).stealTimePending).toBeUndefined();
    expect(sim.state.mm.files[0]?.pages).toEqual([ABSENT, ABSENT]);
  });
});
