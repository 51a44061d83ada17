/**
 * Dirty logging's write protection and the userfault bitmap (review M4, a reading of the
 * code): a gfn mapped before dirty logging is write-protected when it starts. A guest write
 * to it then faults. On arm64 the fault goes through user_mem_abort, where v3 checks the
 * bitmap (so a bit set on a mapped gfn exits). On x86 fast_page_fault makes the SPTE
 * writable in place, with no check.
 */
import { describe, expect, it } from 'vitest';
import { KVM_EXIT_HLT, KVM_EXIT_MEMORY_FAULT, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_USERFAULT } from '../../src/kvm/uapi.ts';
import { anonVm, exitOf, read, setFlags, write } from './fixtures.ts';

const VMM = 1000;

function mappedThenLogged(arch: 'x86' | 'arm64', arm64WpFault: 'checks-bitmap' | 'no-check' = 'checks-bitmap') {
  // The guest reads gfn 0 (mapped once its bit is clear and the page is there), then writes it.
  const { sim, hva, bitmap } = anonVm(2, { userfault: true, programs: [[read(0), write(0, 7)]], variant: { arch, arm64WpFault } });
  sim.userAccess(VMM, hva, 1);
  sim.setUserfaultBit(bitmap, 0, false);
  sim.kvmRun(0);
  sim.step(0); // stage-2 fault on gfn 0: no bit, GUP finds the page
  sim.step(0); // install, and the read completes
  expect(sim.slot(0)?.spte[0]).toBe(1);
  // Dirty logging on: gfn 0 is write-protected. The VMM sets gfn 0's bit again (e.g. it must re-fetch it).
  expect(setFlags(sim, KVM_MEM_USERFAULT | KVM_MEM_LOG_DIRTY_PAGES, bitmap).ret).toBe(0);
  expect(sim.slot(0)?.writeProtected?.[0]).toBe(true);
  sim.setUserfaultBit(bitmap, 0, true);
  return sim;
}

describe('a write to a gfn write-protected for dirty logging (review M4)', () => {
  it('arm64: the permission fault re-checks the bitmap, and a set bit exits', () => {
    const sim = mappedThenLogged('arm64');
    const run = exitOf(sim);
    expect(run.exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
    expect(run.memoryFault?.gpa).toBe(0);
  });

  it('x86: fast_page_fault makes the SPTE writable in place; the write completes with no exit', () => {
    const sim = mappedThenLogged('x86');
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.slot(0)?.writeProtected?.[0]).toBe(false);
    expect(sim.vcpu(0).lastAccess).toMatchObject({ gfn: 0, write: true });
  });

  it('with the bit clear, arm64 takes the fault, maps the page writable and the write completes', () => {
    const sim = mappedThenLogged('arm64');
    const bitmap = sim.slot(0)?.userfaultBitmap ?? 0;
    sim.setUserfaultBit(bitmap, 0, false);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.slot(0)?.writeProtected?.[0]).toBe(false);
  });

  it('arm64 with the other reading (--arm64-wp-fault no-check): the permission is relaxed in place, no exit', () => {
    const sim = mappedThenLogged('arm64', 'no-check');
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.slot(0)?.writeProtected?.[0]).toBe(false);
  });
});
