/**
 * Stage-2 mapping sizes and the per-arch zap / reconstruction rules (reference §2, §5).
 * Geometry is scaled: a "2M" mapping covers 4 base pages and a "1G" mapping 16.
 */
import { describe, expect, it } from 'vitest';
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_USERFAULT, PAGE_SIZE, KVM_EXIT_MEMORY_FAULT, KVM_EXIT_HLT } from '../../src/kvm/uapi.ts';
import { anonVm, exitOf, hugetlbVm, levels, read, setFlags, write } from './fixtures.ts';

const readAll = (n: number) => Array.from({ length: n }, (_, g) => read(g));

describe('huge mappings: allowed only when the aligned range fits, the host is huge and nothing forces 4K', () => {
  it('hugetlbfs 2M pages map at the PMD level', () => {
    const { sim } = hugetlbVm(8, 4, { programs: [[read(1), read(6)]] });
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(levels(sim)).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it('hugetlbfs 1G pages map at the PUD level', () => {
    const { sim } = hugetlbVm(16, 16, { programs: [[read(5)]] });
    exitOf(sim);
    expect(new Set(levels(sim))).toEqual(new Set([3]));
  });

  it('the real geometry: 512 base pages make one 2M mapping', () => {
    const { sim } = hugetlbVm(512, 512, { programs: [[read(300)]], variant: { geometry: [1, 512, 512 * 512] } });
    exitOf(sim);
    expect(levels(sim).every((l) => l === 2)).toBe(true);
  });

  it('anonymous memory without THP maps 4K only', () => {
    const { sim } = anonVm(8, { programs: [readAll(4)] });
    exitOf(sim);
    expect(levels(sim)).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('THP maps huge only once the whole aligned range is populated on the host', () => {
    const { sim, hva } = anonVm(8, { thp: true, programs: [[read(0)], [read(1)]] });
    exitOf(sim, 0);
    expect(levels(sim).slice(0, 4)).toEqual([1, 0, 0, 0]);
    for (let p = 1; p < 4; p++) sim.userAccess(1000, hva + p * PAGE_SIZE, 7);
    exitOf(sim, 1);
    expect(levels(sim).slice(0, 4)).toEqual([2, 2, 2, 2]);
  });

  it('a range that crosses the end of the slot maps 4K', () => {
    const { sim } = hugetlbVm(8, 4, { slotPages: 6, programs: [[read(0), read(4)]] });
    exitOf(sim);
    expect(levels(sim)).toEqual([2, 2, 2, 2, 1, 0]);
  });

  it('gfn and hva that disagree modulo the huge size map 4K', () => {
    // Slot gfn 2.. over hva page 0..: gfn 4 sits at hva page 2, not huge aligned.
    const misaligned = hugetlbVm(8, 4, { baseGfn: 2, programs: [[read(4)]] });
    exitOf(misaligned.sim);
    expect(levels(misaligned.sim)[2]).toBe(1);
    const aligned = hugetlbVm(8, 4, { baseGfn: 4, programs: [[read(4)]] });
    exitOf(aligned.sim);
    expect(levels(aligned.sim).slice(0, 4)).toEqual([2, 2, 2, 2]);
  });

  it('while USERFAULT is enabled only PAGE_SIZE mappings are created', () => {
    const { sim } = hugetlbVm(8, 4, { flags: KVM_MEM_USERFAULT, bitmap: true, programs: [[read(0)]] });
    exitOf(sim);
    expect(levels(sim)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('while dirty logging is enabled only PAGE_SIZE mappings are created', () => {
    const { sim } = hugetlbVm(8, 4, { flags: KVM_MEM_LOG_DIRTY_PAGES, programs: [[read(0)]] });
    exitOf(sim);
    expect(levels(sim)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('enabling USERFAULT zaps every stage-2 mapping of the slot', () => {
  it('all mappings go, not only the gfns whose bit is set', () => {
    const { sim } = anonVm(8, { programs: [[...readAll(8), read(0), read(3)]] });
    sim.runUntilExit(0);
    expect(levels(sim)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    // Rewind the program: the vCPU re-reads gfn 0 and 3 after the toggle.
    const bitmap = sim.mmapData(8);
    sim.setUserfaultBit(bitmap, 3, true);
    expect(setFlags(sim, KVM_MEM_USERFAULT, bitmap).ret).toBe(0);
    expect(levels(sim)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('after enabling, an access to a gfn whose bit was set exits instead of reaching the old mapping', () => {
    const { sim } = anonVm(4, { programs: [[read(2), read(2)]] });
    sim.kvmRun(0);
    sim.step(0); // the first read faults...
    sim.step(0); // ...and installs gfn 2
    expect(levels(sim)[2]).toBe(1);
    const bitmap = sim.mmapData(8);
    sim.setUserfaultBit(bitmap, 2, true);
    setFlags(sim, KVM_MEM_USERFAULT, bitmap);
    const run = exitOf(sim);
    expect(run.exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
    expect(run.memoryFault?.gpa).toBe(2 * PAGE_SIZE);
  });

  it('zapping on enable makes a fault in flight retry (mmu_invalidate_seq)', () => {
    const { sim } = anonVm(4, { programs: [[read(1)]] });
    sim.kvmRun(0);
    sim.step(0); // pfn looked up; install pending
    expect(sim.vcpu(0).mode).toBe('install');
    const bitmap = sim.mmapData(8);
    sim.setUserfaultBit(bitmap, 1, true);
    setFlags(sim, KVM_MEM_USERFAULT, bitmap);
    sim.step(0); // install sees the invalidation: retry from the guest
    expect(levels(sim)[1]).toBe(0);
    expect(exitOf(sim).exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
  });
});

describe('disabling USERFAULT: x86 rebuilds huge mappings, arm64 does not', () => {
  function mappedWhileUserfault(arch: 'x86' | 'arm64', userfault: 'v3' | 'v1' = 'v3', mmu: 'tdp' | 'shadow' = 'tdp') {
    const vm = hugetlbVm(8, 4, { flags: KVM_MEM_USERFAULT, bitmap: true, variant: { arch, userfault, mmu }, programs: [[...readAll(4), read(0)]] });
    vm.sim.kvmRun(0);
    while (vm.sim.vcpu(0).pc < 4) vm.sim.step(0); // four 4K faults (the shadow MMU prefetches three of them)
    expect(levels(vm.sim).slice(0, 4)).toEqual([1, 1, 1, 1]);
    expect(setFlags(vm.sim, 0).ret).toBe(0);
    return vm;
  }

  it('x86, TDP MMU (default): the huge mapping is rebuilt in place (recover_huge_pages_range)', () => {
    const { sim } = mappedWhileUserfault('x86');
    expect(levels(sim).slice(0, 4)).toEqual([2, 2, 2, 2]);
  });

  it('x86, shadow MMU: the collapsible 4K mappings are zapped and the next fault maps 2M', () => {
    const { sim } = mappedWhileUserfault('x86', 'v3', 'shadow');
    expect(levels(sim).slice(0, 4)).toEqual([0, 0, 0, 0]);
    exitOf(sim);
    expect(levels(sim).slice(0, 4)).toEqual([2, 2, 2, 2]);
  });

  it('arm64 (v3): nothing happens, the 4K mappings stay', () => {
    const { sim } = mappedWhileUserfault('arm64');
    expect(levels(sim).slice(0, 4)).toEqual([1, 1, 1, 1]);
    exitOf(sim);
    expect(levels(sim).slice(0, 4)).toEqual([1, 1, 1, 1]);
  });

  it('arm64 (v1 variant): the slot is zapped on disable', () => {
    const { sim } = mappedWhileUserfault('arm64', 'v1');
    expect(levels(sim).slice(0, 4)).toEqual([0, 0, 0, 0]);
  });
});

describe('dirty logging follows the same per-arch recovery rule', () => {
  for (const [arch, mmu] of [['x86', 'shadow'], ['x86', 'tdp'], ['arm64', 'tdp']] as const) {
    it(`${arch}${arch === 'x86' ? ` ${mmu} MMU` : ''}: enable splits huge mappings to 4K; disable ${arch === 'x86' ? 'recovers them' : 'keeps 4K'}`, () => {
      const { sim } = hugetlbVm(8, 4, { variant: { arch, mmu }, programs: [[read(0), write(1, 5)]] });
      sim.kvmRun(0);
      sim.step(0);
      sim.step(0);
      expect(levels(sim).slice(0, 4)).toEqual([2, 2, 2, 2]);
      setFlags(sim, KVM_MEM_LOG_DIRTY_PAGES);
      expect(levels(sim).slice(0, 4)).toEqual([1, 1, 1, 1]);
      setFlags(sim, 0);
      // TDP MMU: in place; shadow MMU: zapped, refaulted huge.
      const after = arch === 'arm64' ? [1, 1, 1, 1] : mmu === 'tdp' ? [2, 2, 2, 2] : [0, 0, 0, 0];
      expect(levels(sim).slice(0, 4)).toEqual(after);
      if (mmu === 'tdp' && arch === 'x86') return;
      exitOf(sim);
      expect(levels(sim).slice(0, 4)).toEqual(arch === 'x86' ? [2, 2, 2, 2] : [1, 1, 1, 1]);
    });
  }
});
