/** The spec machines, one concern each. */
import type { AnyStateMachine } from 'xstate';
import { asyncPfTokenMachine } from './async-pf-token.ts';
import { itsRestoreMachine } from './its-restore.ts';
import { memslotUserfaultMachine } from './memslot-userfault.ts';
import { stage2MappingMachine } from './stage2-mapping.ts';
import { uffdWaiterMachine } from './uffd-waiter.ts';
import { vcpuFaultLoopMachine } from './vcpu-fault-loop.ts';

export interface SpecMachine {
  readonly name: string;
  readonly title: string;
  readonly machine: AnyStateMachine;
}

export const SPEC_MACHINES: readonly SpecMachine[] = [
  { name: 'memslot-userfault', title: 'The KVM_MEM_USERFAULT flag of a memslot', machine: memslotUserfaultMachine },
  { name: 'stage2-mapping', title: 'The stage-2 mapping of one gfn, per arch', machine: stage2MappingMachine },
  { name: 'vcpu-fault-loop', title: "A vCPU thread's fault loop", machine: vcpuFaultLoopMachine },
  { name: 'uffd-waiter', title: 'One thread and a userfaultfd', machine: uffdWaiterMachine },
  { name: 'its-restore', title: 'The arm64 ITS restore', machine: itsRestoreMachine },
  { name: 'async-pf-token', title: 'An async PF user token slot', machine: asyncPfTokenMachine },
];
