/**
 * Async PF user (Kalyazin's RFC, x86; reference §7; src/kvm/async-pf-user.ts): one test
 * per rule.
 */
import { describe, expect, it } from 'vitest';
import { ASYNC_PF_USER_SLOTS, asyncPfUserToken } from '../../src/kvm/async-pf-user.ts';
import { consistencyProblems } from '../../src/kvm/consistency.ts';
import { KvmSim } from '../../src/kvm/sim.ts';
import type { GuestOp } from '../../src/kvm/state.ts';
import {
  Errno,
  KVM_CAP_ASYNC_PF_USER,
  KVM_EXIT_HLT,
  KVM_EXIT_MEMORY_FAULT,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEM_USERFAULT,
  KVM_MEMORY_ATTRIBUTE_PRIVATE,
  KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER,
  KVM_MEMORY_EXIT_FLAG_PRIVATE,
  KVM_MEMORY_EXIT_FLAG_USERFAULT,
  PAGE_SIZE,
} from '../../src/kvm/uapi.ts';
import { SMALL_GEOMETRY, anonVm, exitOf, read, write } from './fixtures.ts';

const VMM = 1000;
const ASYNC = KVM_MEMORY_EXIT_FLAG_USERFAULT | KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER;

/**
 * Anonymous memory, KVM_MEM_USERFAULT with every bit set, async PF user on, under the
 * `any` scope (on the default VM type; the RFC as posted, the default `sw-protected`, takes
 * these exits synchronously: see the scope tests below).
 */
function apfVm(programs: readonly (readonly GuestOp[])[]) {
  return anonVm(4, { userfault: true, programs, variant: { asyncPfUser: true, asyncPfScope: 'any' } });
}

/** The VMM's resolution of a fault: install through its mapping, clear the bit. */
function resolve(vm: ReturnType<typeof apfVm>, gfn: number, content: number) {
  vm.sim.userAccess(VMM, vm.hva + gfn * PAGE_SIZE, content);
  vm.sim.setUserfaultBit(vm.bitmap, gfn, false);
}

describe('the kernel variant', () => {
  it('is x86 only and needs KVM Userfault exits', () => {
    expect(() => new KvmSim({ variant: { asyncPfUser: true, arch: 'arm64' } })).toThrow(/x86 only/);
    expect(() => new KvmSim({ variant: { asyncPfUser: true, userfault: 'none' } })).toThrow(/userfault series/);
    expect(new KvmSim({ variant: { asyncPfUser: true } }).checkExtension(KVM_CAP_ASYNC_PF_USER)).toBe(1);
    expect(new KvmSim().checkExtension(KVM_CAP_ASYNC_PF_USER)).toBe(0);
  });

  it('without it, a userfault exit is synchronous and READY is ENOTTY', () => {
    const vm = anonVm(4, { userfault: true, programs: [[read(0)]] });
    expect(exitOf(vm.sim).memoryFault).toEqual({ flags: KVM_MEMORY_EXIT_FLAG_USERFAULT, gpa: 0, size: PAGE_SIZE });
    expect(vm.sim.asyncPfUserReady(0, asyncPfUserToken(0, 0))).toEqual({ ret: -1, errno: Errno.ENOTTY });
  });
});

describe('an asynchronous userfault exit', () => {
  it('carries ASYNC_PF_USER and a token, and the guest goes on with its next op', () => {
    const vm = apfVm([[read(0), read(1)]]);
    vm.sim.setUserfaultBit(vm.bitmap, 1, false);
    vm.sim.userAccess(VMM, vm.hva + PAGE_SIZE, 5);
    expect(exitOf(vm.sim)).toEqual({
      ret: -1,
      errno: Errno.EFAULT,
      exitReason: KVM_EXIT_MEMORY_FAULT,
      memoryFault: { flags: ASYNC, gpa: 0, size: PAGE_SIZE, token: asyncPfUserToken(0, 0) },
    });
    expect(vm.sim.vcpu(0).parked).toEqual([{ token: asyncPfUserToken(0, 0), pc: 0, gfn: 0, ready: false }]);
    // Re-entered at once: op 1 runs while op 0 is parked.
    expect(vm.sim.runUntilExit(0).kind).toBe('blocked');
    expect(vm.sim.vcpu(0).lastAccess).toEqual({ gfn: 1, write: false, value: 5 });
    expect(consistencyProblems(vm.sim.state)).toEqual([]);
  });

  it('tokens are ((slot + 1) << 12) | vcpu_id: bounded, distinct per vCPU and slot, never 0', () => {
    const vm = apfVm([[read(0), read(1)], [read(0)]]);
    expect(exitOf(vm.sim, 0).memoryFault?.token).toBe(0x1000);
    expect(exitOf(vm.sim, 0).memoryFault?.token).toBe(0x2000);
    expect(exitOf(vm.sim, 1).memoryFault?.token).toBe(0x1001);
  });

  it('with every async-PF slot taken, the exit is synchronous (no token) and the op is not parked', () => {
    const ops = Array.from({ length: ASYNC_PF_USER_SLOTS + 1 }, (_, g) => read(g));
    const vm = apfVm([ops]);
    for (let i = 0; i < ASYNC_PF_USER_SLOTS; i++) expect(exitOf(vm.sim).memoryFault?.flags).toBe(ASYNC);
    const run = exitOf(vm.sim);
    expect(run.memoryFault).toEqual({ flags: KVM_MEMORY_EXIT_FLAG_USERFAULT, gpa: ASYNC_PF_USER_SLOTS * PAGE_SIZE, size: PAGE_SIZE });
    expect(vm.sim.vcpu(0).pc).toBe(ASYNC_PF_USER_SLOTS);
    expect(vm.sim.vcpu(0).parked).toHaveLength(ASYNC_PF_USER_SLOTS);
  });

  /** A SW_PROTECTED VM (privateMem) whose gfn 1 is private, with its userfault bit set. */
  function privateFaultVm(asyncPfScope: 'any' | 'sw-protected') {
    const sim = new KvmSim({ variant: { asyncPfUser: true, asyncPfScope, geometry: SMALL_GEOMETRY }, privateMem: true, programs: [[read(1)]] });
    const fd = sim.createGuestMemfd(4 * PAGE_SIZE).ret;
    const hva = sim.mmapAnonymous(4);
    const bitmap = sim.mmapData(8);
    sim.setUserfaultBit(bitmap, 1, true);
    sim.setMemoryAttributes({ address: 0, size: 4 * PAGE_SIZE, attributes: KVM_MEMORY_ATTRIBUTE_PRIVATE });
    sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_GUEST_MEMFD | KVM_MEM_USERFAULT, guest_phys_addr: 0, memory_size: 4 * PAGE_SIZE, userspace_addr: hva, guest_memfd: fd, userfault_bitmap: bitmap });
    return sim;
  }

  it('--async-pf-scope sw-protected (RFC 6/6): a private fault on a SW_PROTECTED VM goes asynchronous (the pre-check precedes is_private)', () => {
    expect(exitOf(privateFaultVm('sw-protected')).memoryFault?.flags).toBe(ASYNC | KVM_MEMORY_EXIT_FLAG_PRIVATE);
  });

  it('--async-pf-scope sw-protected (the default): on the default VM type every userfault exit is synchronous', () => {
    const vm = anonVm(4, { userfault: true, programs: [[read(0)]], variant: { asyncPfUser: true } });
    expect(vm.sim.state.config.variant.asyncPfScope).toBe('sw-protected');
    expect(exitOf(vm.sim).memoryFault).toEqual({ flags: KVM_MEMORY_EXIT_FLAG_USERFAULT, gpa: 0, size: PAGE_SIZE });
  });

  it('--async-pf-scope any (kvmuf’s first reading): a private fault exits synchronously', () => {
    expect(exitOf(privateFaultVm('any')).memoryFault?.flags).toBe(KVM_MEMORY_EXIT_FLAG_USERFAULT | KVM_MEMORY_EXIT_FLAG_PRIVATE);
  });

});

describe('halting', () => {
  it('a second fault on a gfn with a pending async PF halts the vCPU (no new exit) until READY', () => {
    const vm = apfVm([[read(0), write(0, 7)]]);
    const token = exitOf(vm.sim).memoryFault?.token ?? -1;
    expect(vm.sim.runUntilExit(0).kind).toBe('blocked');
    expect(vm.sim.vcpu(0).mode).toBe('halted');
    expect(vm.sim.vcpu(0).pc).toBe(1);
    resolve(vm, 0, 3);
    expect(vm.sim.asyncPfUserReady(0, token).ret).toBe(0);
    expect(exitOf(vm.sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(vm.sim.vcpu(0).lastAccess).toEqual({ gfn: 0, write: true, value: 7 });
  });

  it('with nothing left to run but parked ops, the vCPU halts instead of exiting HLT', () => {
    const vm = apfVm([[read(0)]]);
    const token = exitOf(vm.sim).memoryFault?.token ?? -1;
    expect(vm.sim.runUntilExit(0).kind).toBe('blocked');
    expect(vm.sim.vcpu(0).mode).toBe('halted');
    resolve(vm, 0, 3);
    vm.sim.asyncPfUserReady(0, token);
    expect(exitOf(vm.sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(vm.sim.vcpu(0).lastAccess).toEqual({ gfn: 0, write: false, value: 3 });
    expect(vm.sim.vcpu(0).parked).toEqual([]);
  });
});

describe('KVM_ASYNC_PF_USER_READY', () => {
  it('a token the kernel did not issue is -EINVAL, and nothing changes', () => {
    const vm = apfVm([[read(0)]]);
    const token = exitOf(vm.sim).memoryFault?.token ?? -1;
    const before = vm.sim.state;
    expect(vm.sim.asyncPfUserReady(0, 0)).toEqual({ ret: -1, errno: Errno.EINVAL });
    expect(vm.sim.asyncPfUserReady(0, token + 1)).toEqual({ ret: -1, errno: Errno.EINVAL });
    expect(vm.sim.asyncPfUserReady(0, asyncPfUserToken(0, 1))).toEqual({ ret: -1, errno: Errno.EINVAL });
    expect(vm.sim.state).toBe(before);
  });

  it('a token already completed is -EINVAL (READY twice, or after the op ran)', () => {
    const vm = apfVm([[read(0)]]);
    const token = exitOf(vm.sim).memoryFault?.token ?? -1;
    resolve(vm, 0, 3);
    expect(vm.sim.asyncPfUserReady(0, token).ret).toBe(0);
    expect(vm.sim.asyncPfUserReady(0, token)).toEqual({ ret: -1, errno: Errno.EINVAL });
    exitOf(vm.sim);
    expect(vm.sim.asyncPfUserReady(0, token)).toEqual({ ret: -1, errno: Errno.EINVAL });
  });

  it('may come from any thread while the vCPU runs; the parked op runs before the next op', () => {
    const vm = apfVm([[read(0), read(1)]]);
    vm.sim.setUserfaultBit(vm.bitmap, 1, false);
    const token = exitOf(vm.sim).memoryFault?.token ?? -1;
    vm.sim.kvmRun(0);
    resolve(vm, 0, 3);
    vm.sim.asyncPfUserReady(0, token);
    vm.sim.step(0); // stage-2 fault on gfn 0, pfn found
    vm.sim.step(0);
    expect(vm.sim.vcpu(0).lastAccess?.gfn).toBe(0);
    expect(vm.sim.vcpu(0).pc).toBe(1);
  });

  it('does not check that the page is there: the resumed op faults again, synchronously', () => {
    const vm = apfVm([[read(0)]]);
    const token = exitOf(vm.sim).memoryFault?.token ?? -1;
    vm.sim.asyncPfUserReady(0, token);
    expect(exitOf(vm.sim).memoryFault).toEqual({ flags: KVM_MEMORY_EXIT_FLAG_USERFAULT, gpa: 0, size: PAGE_SIZE });
    resolve(vm, 0, 3);
    expect(exitOf(vm.sim).exitReason).toBe(KVM_EXIT_HLT);
    expect(vm.sim.vcpu(0).lastAccess?.value).toBe(3);
  });

  it('a completed slot is reused: its token comes back (tokens stay bounded)', () => {
    const vm = apfVm([[read(0), read(1), read(2)]]);
    const t0 = exitOf(vm.sim).memoryFault?.token ?? -1;
    resolve(vm, 0, 3);
    vm.sim.asyncPfUserReady(0, t0);
    vm.sim.kvmRun(0);
    vm.sim.step(0);
    vm.sim.step(0); // op 0 ran: its slot is free
    expect(vm.sim.vcpu(0).parked).toEqual([]);
    expect(exitOf(vm.sim).memoryFault?.token).toBe(t0);
  });
});

describe('the sleeping VMM threads', () => {
  it('a halted vCPU is not a sleeping task: KVM’s own accesses are unaffected', () => {
    const vm = apfVm([[read(0)]]);
    exitOf(vm.sim);
    vm.sim.runUntilExit(0);
    expect(vm.sim.isTaskBlocked(0)).toBe(false);
    expect(vm.sim.kvmReadGuest(VMM, PAGE_SIZE).kind).toBe('done');
  });
});
