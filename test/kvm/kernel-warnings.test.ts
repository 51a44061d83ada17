/**
 * Kernel warnings the simulation records (src/kvm/kernel-warning.ts). Review M2: x86 v3
 * disabling KVM_MEM_USERFAULT while LOG_DIRTY_PAGES stays on reaches
 * recover_huge_pages_range's WARN_ON_ONCE (dirty tracking enabled), which returns early.
 */
import { describe, expect, it } from 'vitest';
import { KERNEL_WARNING } from '../../src/kvm/kernel-warning.ts';
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_USERFAULT } from '../../src/kvm/uapi.ts';
import { exitOf, hugetlbVm, levels, read, setFlags } from './fixtures.ts';

const BOTH = KVM_MEM_USERFAULT | KVM_MEM_LOG_DIRTY_PAGES;

function mapped4k(arch: 'x86' | 'arm64', mmu: 'tdp' | 'shadow' = 'tdp') {
  const vm = hugetlbVm(8, 4, { flags: BOTH, bitmap: true, variant: { arch, mmu }, programs: [[read(0), read(1), read(0)]] });
  vm.sim.kvmRun(0);
  for (let i = 0; i < 4; i++) vm.sim.step(0); // two 4K faults
  expect(levels(vm.sim).slice(0, 2)).toEqual([1, 1]);
  return vm;
}

describe('USERFAULT 1→0 with dirty logging still on', () => {
  it('x86: WARN_ON_ONCE in recover_huge_pages_range, recorded once; nothing is recovered', () => {
    const { sim } = mapped4k('x86');
    expect(setFlags(sim, KVM_MEM_LOG_DIRTY_PAGES).ret).toBe(0);
    expect(sim.state.vm.warnings).toEqual([KERNEL_WARNING.recoverHugePagesWhileDirtyTracked]);
    expect(levels(sim).slice(0, 2)).toEqual([1, 1]);
    expect(setFlags(sim, BOTH).ret).toBe(0);
    expect(setFlags(sim, KVM_MEM_LOG_DIRTY_PAGES).ret).toBe(0);
    expect(sim.state.vm.warnings).toHaveLength(1);
    exitOf(sim);
  });

  it('x86: turning both off at once, or dirty logging off alone, recovers without a warning', () => {
    const { sim } = mapped4k('x86');
    expect(setFlags(sim, 0).ret).toBe(0);
    expect(sim.state.vm.warnings).toEqual([]);
    expect(levels(sim).slice(0, 4)).toEqual([2, 2, 2, 2]); // TDP MMU: rebuilt in place
    const other = mapped4k('x86');
    expect(setFlags(other.sim, KVM_MEM_USERFAULT).ret).toBe(0);
    expect(other.sim.state.vm.warnings).toEqual([]);
  });

  it('x86, shadow MMU: kvm_rmap_zap_collapsible_sptes has no WARN; it zaps, and refaults stay 4K', () => {
    const { sim } = mapped4k('x86', 'shadow');
    expect(setFlags(sim, KVM_MEM_LOG_DIRTY_PAGES).ret).toBe(0);
    expect(sim.state.vm.warnings).toEqual([]);
    expect(levels(sim).slice(0, 4)).toEqual([0, 0, 0, 0]);
    exitOf(sim);
    expect(levels(sim).slice(0, 4)).toEqual([1, 0, 0, 0]);
  });

  it('arm64: no recovery on disable, so no warning', () => {
    const { sim } = mapped4k('arm64');
    expect(setFlags(sim, KVM_MEM_LOG_DIRTY_PAGES).ret).toBe(0);
    expect(sim.state.vm.warnings).toEqual([]);
  });
});
