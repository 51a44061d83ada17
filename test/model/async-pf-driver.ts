/**
 * Driver for the async-pf-token spec: token slot 0 of vCPU 0. Every guest page starts
 * local (present, bit clear), so the guest runs through its reads; ISSUE takes the page
 * of the guest's next op away (bit set, page dropped) so that op takes an asynchronous
 * userfault exit; COMPLETE installs the page, clears the bit and runs the vCPU until the
 * parked op has run again.
 */
import { asyncPfTokenMachine, ASYNC_PF_TOKEN_EVENTS } from '../../model/async-pf-token.ts';
import { tokenSlotState } from '../../properties/abstractions.ts';
import { asyncPfUserToken, tokenSlot } from '../../src/kvm/async-pf-user.ts';
import { KvmSim } from '../../src/kvm/sim.ts';
import { Errno, KVM_MEM_USERFAULT, MADV_DONTNEED, PAGE_SIZE } from '../../src/kvm/uapi.ts';
import type { SpecDriver } from './drivers.ts';

const VMM = 1000;
const PAGES = 24;

export const asyncPfDriver: SpecDriver = {
  name: 'async-pf-token (vCPU 0, slot 0)',
  machine: asyncPfTokenMachine,
  events: ASYNC_PF_TOKEN_EVENTS,
  input: undefined,
  start() {
    const program = Array.from({ length: PAGES - 2 }, (_, g) => ({ kind: 'read' as const, gfn: g }));
    const sim = new KvmSim({ variant: { asyncPfUser: true, asyncPfScope: 'any', geometry: [1, 4, 16] }, programs: [program] });
    const hva = sim.mmapAnonymous(PAGES);
    for (let g = 0; g < PAGES; g++) sim.userAccess(VMM, hva + g * PAGE_SIZE, g + 1);
    const bitmap = sim.mmapData(8);
    sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_USERFAULT, guest_phys_addr: 0, memory_size: PAGES * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: bitmap });
    const slot0 = () => sim.vcpu(0).parked.find((p) => tokenSlot(p.token) === 0);
    const runUntil = (done: () => boolean) => {
      for (let i = 0; i < 50 && !done(); i++) {
        if (sim.vcpu(0).mode === 'user') sim.kvmRun(0);
        else sim.step(0);
      }
      if (!done()) throw new Error('the vCPU did not get there');
    };
    return {
      state: () => tokenSlotState(sim.state, 0, 0),
      apply(e) {
        switch (e.type) {
          case 'ISSUE': {
            const gfn = program[sim.vcpu(0).pc]?.gfn ?? 0;
            sim.madvise(VMM, hva + gfn * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED);
            sim.setUserfaultBit(bitmap, gfn, true);
            return runUntil(() => slot0() !== undefined);
          }
          case 'READY': {
            const r = sim.asyncPfUserReady(0, slot0()?.token ?? -1);
            if (r.ret !== 0) throw new Error(`READY failed: errno ${r.errno}`);
            return;
          }
          case 'COMPLETE': {
            const gfn = slot0()?.gfn ?? 0;
            sim.userAccess(VMM, hva + gfn * PAGE_SIZE, gfn + 1);
            sim.setUserfaultBit(bitmap, gfn, false);
            return runUntil(() => slot0() === undefined);
          }
          case 'READY_REJECTED': {
            // A token the kernel did not issue, or one already ready: -EINVAL, nothing changes.
            const token = slot0()?.ready ? (slot0()?.token ?? 0) : asyncPfUserToken(0, 1) + 7;
            const r = sim.asyncPfUserReady(0, token);
            if (r.ret !== -1 || r.errno !== Errno.EINVAL) throw new Error(`expected EINVAL, got ${r.ret}/${r.errno}`);
            return;
          }
          default:
            throw new Error(`no driver for ${e.type}`);
        }
      },
    };
  },
};
