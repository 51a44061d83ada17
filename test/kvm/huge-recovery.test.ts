/**
 * The x86 MMU variant (src/kvm/huge-recovery.ts, shadow-prefetch.ts) and the THP write
 * fault (src/mm/thp-fault.ts): the rules behind the v3 dirty-logging hole (review §1 case
 * A, V3) and the shadow MMU's prefetch (M7), on the bare simulation.
 */
import { describe, expect, it } from 'vitest';
import { KVM_EXIT_HLT, KVM_EXIT_MEMORY_FAULT, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_USERFAULT, PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING } from '../../src/kvm/uapi.ts';
import type { X86Mmu } from '../../src/kvm/variant.ts';
import { hostMappingPages, peekHostPage } from '../../src/mm/host-fault.ts';
import { ABSENT } from '../../src/mm/host-memory.ts';
import { anonVm, exitOf, levels, read, setFlags } from './fixtures.ts';

const VMM = 1000;

/** gfns 0..3 are one THP-sized range ([1, 4, 16]); the VMM has fetched gfn 0 only, by memcpy. */
function partlyFetched(mmu: X86Mmu, arch: 'x86' | 'arm64' = 'x86') {
  const vm = anonVm(4, { userfault: true, thp: true, variant: { arch, mmu }, programs: [[read(0)], [read(1)]] });
  vm.sim.userAccess(VMM, vm.hva, 42); // the first store faults in a whole zeroed THP
  vm.sim.setUserfaultBit(vm.bitmap, 0, false);
  return vm;
}

describe('THP: a write fault on an empty aligned range maps a whole zeroed huge page (do_huge_pmd_anonymous_page)', () => {
  it('one memcpy maps the range huge, with zeros in the pages that never arrived', () => {
    const { sim, hva } = partlyFetched('tdp');
    expect([0, 1, 2, 3].map((g) => peekHostPage(sim.state.mm, hva + g * PAGE_SIZE))).toEqual([42, 0, 0, 0]);
    expect(hostMappingPages(sim.state.mm, hva, 4)).toBe(4);
  });

  it('a read fault maps the base zero page only (the huge zero page is not modelled)', () => {
    const { sim, hva } = anonVm(4, { thp: true });
    sim.userAccess(VMM, hva);
    expect([0, 1].map((g) => peekHostPage(sim.state.mm, hva + g * PAGE_SIZE))).toEqual([0, ABSENT]);
  });

  it('without THP, or with a page of the range already mapped, a write fault maps one base page', () => {
    const plain = anonVm(4, { thp: false });
    plain.sim.userAccess(VMM, plain.hva, 7);
    expect(peekHostPage(plain.sim.state.mm, plain.hva + PAGE_SIZE)).toBe(ABSENT);
    const split = anonVm(4, { thp: true });
    split.sim.userAccess(VMM, split.hva + 3 * PAGE_SIZE); // a read: base zero page at page 3
    split.sim.userAccess(VMM, split.hva, 7); // pmd no longer none: 4K
    expect(peekHostPage(split.sim.state.mm, split.hva + PAGE_SIZE)).toBe(ABSENT);
  });

  it('with userfaultfd MISSING registered the fault goes to userfaultfd first: nothing is zero-filled', () => {
    const { sim, hva } = anonVm(4, { thp: true });
    const uffd = sim.userfaultfd();
    expect(sim.uffdRegister(uffd, hva, 4 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING).ret).toBe(0);
    expect(sim.userAccess(VMM, hva, 7).kind).toBe('blocked');
    expect(peekHostPage(sim.state.mm, hva + PAGE_SIZE)).toBe(ABSENT);
  });
});

describe('x86 TDP MMU: dirty logging off rebuilds the huge mapping in place, USERFAULT or not (v3 hole)', () => {
  it('gfns whose bit is still set are mapped 2M, and the guest reads their zeros with no exit', () => {
    const { sim } = partlyFetched('tdp');
    expect(exitOf(sim, 0).exitReason).toBe(KVM_EXIT_HLT); // gfn 0 mapped 4K (USERFAULT clamps)
    expect(levels(sim)).toEqual([1, 0, 0, 0]);
    expect(setFlags(sim, KVM_MEM_USERFAULT | KVM_MEM_LOG_DIRTY_PAGES, sim.slot(0)?.userfaultBitmap).ret).toBe(0);
    expect(setFlags(sim, KVM_MEM_USERFAULT, sim.slot(0)?.userfaultBitmap).ret).toBe(0);
    expect(levels(sim)).toEqual([2, 2, 2, 2]);
    expect(exitOf(sim, 1).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(1).lastAccess).toEqual({ gfn: 1, write: false, value: 0 });
  });

  it('nothing is recovered where no 4K leaf of the range is mapped', () => {
    const { sim } = partlyFetched('tdp');
    expect(setFlags(sim, KVM_MEM_USERFAULT | KVM_MEM_LOG_DIRTY_PAGES, sim.slot(0)?.userfaultBitmap).ret).toBe(0);
    expect(setFlags(sim, KVM_MEM_USERFAULT, sim.slot(0)?.userfaultBitmap).ret).toBe(0);
    expect(levels(sim)).toEqual([0, 0, 0, 0]);
  });
});

describe('x86 shadow MMU', () => {
  it('dirty logging off zaps the collapsible 4K mapping; the refault goes through the userfault check', () => {
    const { sim } = partlyFetched('shadow');
    // Take gfn 0's fault while dirty logging is on, so that nothing is prefetched.
    expect(setFlags(sim, KVM_MEM_USERFAULT | KVM_MEM_LOG_DIRTY_PAGES, sim.slot(0)?.userfaultBitmap).ret).toBe(0);
    exitOf(sim, 0);
    expect(levels(sim)).toEqual([1, 0, 0, 0]);
    expect(setFlags(sim, KVM_MEM_USERFAULT, sim.slot(0)?.userfaultBitmap).ret).toBe(0);
    expect(levels(sim)).toEqual([0, 0, 0, 0]);
    const run = exitOf(sim, 1);
    expect(run.exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
    expect(run.memoryFault?.gpa).toBe(PAGE_SIZE);
  });

  it('a 4K fault prefetches present, writable neighbours without the bitmap check (direct_pte_prefetch, M7)', () => {
    const { sim } = partlyFetched('shadow');
    exitOf(sim, 0);
    expect(levels(sim)).toEqual([1, 1, 1, 1]);
    expect(exitOf(sim, 1).exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(1).lastAccess).toEqual({ gfn: 1, write: false, value: 0 });
  });

  it('prefetch skips host pages that are absent or read-only (fast GUP for writing fails), and dirty-logged slots', () => {
    const vm = anonVm(4, { userfault: true, thp: false, variant: { mmu: 'shadow' }, programs: [[read(0)], [read(1)]] });
    vm.sim.userAccess(VMM, vm.hva, 42);
    vm.sim.userAccess(VMM, vm.hva + 2 * PAGE_SIZE); // the zero page, read-only
    vm.sim.setUserfaultBit(vm.bitmap, 0, false);
    exitOf(vm.sim, 0);
    expect(levels(vm.sim)).toEqual([1, 0, 0, 0]);
  });

  it('the TDP MMU never prefetches', () => {
    const { sim } = partlyFetched('tdp');
    exitOf(sim, 0);
    expect(levels(sim)).toEqual([1, 0, 0, 0]);
  });
});

describe('arm64 has no recovery on dirty-log disable (v3 06/15): the same round leaves 4K', () => {
  it('gfn 1 still exits', () => {
    const { sim } = partlyFetched('tdp', 'arm64');
    exitOf(sim, 0);
    expect(setFlags(sim, KVM_MEM_USERFAULT | KVM_MEM_LOG_DIRTY_PAGES, sim.slot(0)?.userfaultBitmap).ret).toBe(0);
    expect(setFlags(sim, KVM_MEM_USERFAULT, sim.slot(0)?.userfaultBitmap).ret).toBe(0);
    expect(levels(sim)).toEqual([1, 0, 0, 0]);
    expect(exitOf(sim, 1).exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
  });
});
