/**
 * Review C4: enabling KVM_MEM_USERFAULT flushes the slot through
 * kvm_arch_flush_shadow_memslot(); on x86 a default-type VM has KVM_X86_QUIRK_SLOT_ZAP_ALL
 * on, so every slot is zapped (kvm_mmu_zap_all_fast). arm64 zaps the one slot.
 */
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import { KVM_MEM_USERFAULT, PAGE_SIZE } from '../../src/kvm/uapi.ts';
import { exitOf, levels, read } from './fixtures.ts';

function twoSlots(arch: 'x86' | 'arm64') {
  const sim = new KvmSim({ variant: { arch }, programs: [[read(2)]] });
  const a = sim.mmapAnonymous(2);
  const b = sim.mmapAnonymous(2);
  const bitmap = sim.mmapData(8);
  const region = (slot: number, hva: number, flags: number) => ({ slot, flags, guest_phys_addr: slot * 2 * PAGE_SIZE, memory_size: 2 * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: flags ? bitmap : 0 });
  expect(sim.setUserMemoryRegion2(region(0, a, 0)).ret).toBe(0);
  expect(sim.setUserMemoryRegion2(region(1, b, 0)).ret).toBe(0);
  exitOf(sim, 0); // gfn 2 (slot 1) mapped
  expect(levels(sim, 1)).toEqual([1, 0]);
  expect(sim.setUserMemoryRegion2(region(0, a, KVM_MEM_USERFAULT)).ret).toBe(0);
  return sim;
}

describe('enabling USERFAULT on one slot', () => {
  it('x86 (default VM type, SLOT_ZAP_ALL quirk): zaps every slot', () => {
    expect(levels(twoSlots('x86'), 1)).toEqual([0, 0]);
  });
  it('arm64: zaps that slot only', () => {
    expect(levels(twoSlots('arm64'), 1)).toEqual([1, 0]);
  });
});
