/**
 * Spec: a vCPU thread's fault loop (reference §3, §4). In KVM_RUN the guest runs until a
 * stage-2 fault: the pfn is found (then installed, or the fault retries after an
 * invalidation), or GUP sleeps in userfaultfd, or the fault exits to userspace
 * (KVM_EXIT_MEMORY_FAULT). The VMM then installs the page (EEXIST counts: another vCPU
 * won the race), and only then clears the userfault bit, and re-enters; or hands the
 * fault to another thread and waits for its reply. The guest program ends with HLT.
 * A kick (a signal to the vCPU thread) ends KVM_RUN with -EINTR: from the guest, and on
 * x86 from a userfaultfd wait too (FOLL_INTERRUPTIBLE; src/kvm/kick.ts).
 */
import { setup } from 'xstate';

export type VcpuLoopEvent =
  | { type: 'KVM_RUN' }
  | { type: 'FAULT' }
  | { type: 'FAULT_SLEEPS' }
  | { type: 'WOKEN' }
  | { type: 'MAP' }
  | { type: 'RETRY' }
  | { type: 'FAULT_EXIT' }
  | { type: 'MMIO_EXIT' }
  | { type: 'SIGNAL_EXIT' }
  | { type: 'HLT' }
  | { type: 'POPULATE' }
  | { type: 'CLEAR_BIT' }
  | { type: 'REPLY' };

export const vcpuFaultLoopMachine = setup({
  types: { events: {} as VcpuLoopEvent },
}).createMachine({
  id: 'vcpu-fault-loop',
  initial: 'userspace',
  states: {
    userspace: { on: { KVM_RUN: 'guest' } },
    guest: {
      on: { FAULT: 'faulting', FAULT_SLEEPS: 'uffdWait', FAULT_EXIT: 'exited', MMIO_EXIT: 'userspace', SIGNAL_EXIT: 'userspace', HLT: 'done' },
    },
    faulting: { on: { MAP: 'guest', RETRY: 'guest' } },
    uffdWait: { on: { WOKEN: 'faulting', RETRY: 'guest', SIGNAL_EXIT: 'userspace' } },
    /** The exit is being handled: the page is not known to be in place yet. */
    exited: { on: { POPULATE: 'populated', REPLY: 'userspace' } },
    /** The page is in place; the bit may be cleared. */
    populated: { on: { CLEAR_BIT: 'userspace', KVM_RUN: 'guest' } },
    done: { type: 'final' },
  },
});

export const VCPU_FAULT_LOOP_EVENTS: readonly VcpuLoopEvent[] = [
  { type: 'KVM_RUN' },
  { type: 'FAULT' },
  { type: 'FAULT_SLEEPS' },
  { type: 'WOKEN' },
  { type: 'MAP' },
  { type: 'RETRY' },
  { type: 'FAULT_EXIT' },
  { type: 'MMIO_EXIT' },
  { type: 'SIGNAL_EXIT' },
  { type: 'HLT' },
  { type: 'POPULATE' },
  { type: 'CLEAR_BIT' },
  { type: 'REPLY' },
];
