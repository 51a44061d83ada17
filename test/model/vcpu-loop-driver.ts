/**
 * Driver for the vCPU fault-loop spec: the simulation's vCPU 0 plays the kernel side and
 * the driver plays the VMM thread (populate, clear the bit, or hand off and get a reply).
 * The guest program is planned from the path: each spec event that ends an access (MAP,
 * MMIO_EXIT) moves to the next guest op, which is a fresh page inside the memslot or an
 * address outside it; HLT ends the program. Before each fault, the driver sets up the
 * page so the fault goes the way the event says (bit set → exit; bit clear and page
 * present → pfn found; bit clear and page missing → sleep in the userfaultfd).
 */
import type { EventObject } from 'xstate';
import { vcpuFaultLoopMachine, VCPU_FAULT_LOOP_EVENTS } from '../../model/vcpu-fault-loop.ts';
import type { AbstractState } from '../../properties/abstractions.ts';
import { KvmSim } from '../../src/kvm/sim.ts';
import type { GuestOp } from '../../src/kvm/state.ts';
import { KVM_MEM_USERFAULT, MADV_DONTNEED, PAGE_SIZE, UFFDIO_COPY_MODE_DONTWAKE, UFFDIO_REGISTER_MODE_MISSING } from '../../src/kvm/uapi.ts';
import type { DriverRun, SpecDriver } from './drivers.ts';

const VMM = 1000;
const OUTSIDE = 4096;

/** The guest program a path needs, or the reason the path cannot be played this way. */
function plan(path: readonly EventObject[]): { program: GuestOp[] } | { unrealizable: string } {
  const kinds: ('inside' | 'outside')[] = [];
  let op = 0;
  let length: number | undefined;
  const need = (kind: 'inside' | 'outside', what: string): string | undefined => {
    const had = kinds[op];
    if (had && had !== kind) return `${what} on a guest op that is ${had} the memslot`;
    kinds[op] = kind;
    return undefined;
  };
  for (const e of path) {
    let problem: string | undefined;
    if (e.type === 'FAULT' || e.type === 'FAULT_SLEEPS' || e.type === 'FAULT_EXIT') problem = need('inside', e.type);
    else if (e.type === 'MAP') {
      problem = need('inside', 'MAP');
      op++;
    } else if (e.type === 'MMIO_EXIT') {
      problem = need('outside', 'MMIO_EXIT');
      op++;
    } else if (e.type === 'HLT') {
      if (kinds[op]) problem = 'HLT after the current guest op already faulted';
      length = op;
    }
    if (problem) return { unrealizable: problem };
  }
  const n = length ?? op + 1;
  const program = Array.from({ length: n }, (_, i): GuestOp => ({ kind: 'read', gfn: kinds[i] === 'outside' ? OUTSIDE : i }));
  return { program };
}

export const vcpuLoopDriver: SpecDriver & { realizable(path: readonly EventObject[]): string | undefined } = {
  name: 'vcpu-fault-loop',
  machine: vcpuFaultLoopMachine,
  events: VCPU_FAULT_LOOP_EVENTS,
  input: undefined,
  realizable(path) {
    const p = plan(path);
    return 'unrealizable' in p ? p.unrealizable : undefined;
  },
  start(path): DriverRun {
    const p = plan(path);
    if ('unrealizable' in p) throw new Error(p.unrealizable);
    const pages = p.program.length + 2;
    const spare = pages - 1; // a page never accessed: DONTNEED on it is an MMU invalidation
    const sim = new KvmSim({ variant: { geometry: [1, 4, 16] }, programs: [p.program] });
    const hva = sim.mmapAnonymous(pages);
    const bitmap = sim.mmapData(Math.ceil(pages / 64) * 8);
    sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_USERFAULT, guest_phys_addr: 0, memory_size: pages * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: bitmap });
    const uffd = sim.userfaultfd(0); // no REMOVE events: DONTNEED zaps at once
    sim.uffdRegister(uffd, hva, pages * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING);
    let vmm: 'userspace' | 'exited' | 'populated' | 'done' = 'userspace';
    const gfn = () => p.program[sim.vcpu(0).pc]?.gfn ?? 0;
    const at = (g: number) => hva + g * PAGE_SIZE;
    const present = (g: number) => sim.state.mm.vmas[0]?.mapped[g] === true;
    const invalidate = () => sim.madvise(VMM, at(spare), PAGE_SIZE, MADV_DONTNEED);
    const populate = (g: number) => sim.uffdCopy(uffd, at(g), PAGE_SIZE, g + 1, UFFDIO_COPY_MODE_DONTWAKE);
    return {
      state(): AbstractState {
        const v = sim.vcpu(0);
        if (v.mode === 'user') return { value: vmm, context: {} };
        return { value: v.mode === 'install' ? 'faulting' : v.mode === 'uffd-wait' ? 'uffdWait' : 'guest', context: {} };
      },
      apply(e) {
        switch (e.type) {
          case 'KVM_RUN':
            return sim.kvmRun(0);
          case 'FAULT':
            sim.setUserfaultBit(bitmap, gfn(), false);
            if (!present(gfn())) populate(gfn());
            return sim.step(0);
          case 'FAULT_SLEEPS':
            sim.setUserfaultBit(bitmap, gfn(), false);
            if (present(gfn())) sim.madvise(VMM, at(gfn()), PAGE_SIZE, MADV_DONTNEED);
            return sim.step(0);
          case 'FAULT_EXIT':
            sim.setUserfaultBit(bitmap, gfn(), true);
            sim.step(0);
            vmm = 'exited';
            return;
          case 'WOKEN':
            sim.uffdCopy(uffd, at(sim.vcpu(0).fault?.gfn ?? 0), PAGE_SIZE, 1);
            return sim.step(0);
          case 'RETRY':
            invalidate();
            if (sim.vcpu(0).mode === 'uffd-wait') sim.uffdWake(uffd, at(sim.vcpu(0).fault?.gfn ?? 0), PAGE_SIZE);
            return sim.step(0);
          case 'MAP':
            return sim.step(0);
          case 'SIGNAL_EXIT':
            sim.kick(0);
            sim.step(0);
            vmm = 'userspace';
            return;
          case 'MMIO_EXIT':
            sim.step(0);
            vmm = 'userspace';
            return;
          case 'HLT':
            sim.step(0);
            vmm = 'done';
            return;
          case 'POPULATE':
            populate(gfn());
            vmm = 'populated';
            return;
          case 'CLEAR_BIT':
            sim.setUserfaultBit(bitmap, gfn(), false);
            vmm = 'userspace';
            return;
          case 'REPLY':
            populate(gfn());
            sim.setUserfaultBit(bitmap, gfn(), false);
            vmm = 'userspace';
            return;
          default:
            throw new Error(`no driver for ${e.type}`);
        }
      },
    };
  },
};
