/**
 * The refinement map: from a composed system's state to the state (value + context) of
 * each spec machine instance. `undefined` means the machine does not apply there (e.g. no
 * memslot yet); steps into or out of it are not checked.
 */
import type { AnyStateMachine, EventObject } from 'xstate';
import { itsRestoreMachine, ITS_RESTORE_EVENTS } from '../model/its-restore.ts';
import { memslotUserfaultMachine, MEMSLOT_USERFAULT_EVENTS } from '../model/memslot-userfault.ts';
import { stage2MappingMachine, STAGE2_MAPPING_EVENTS } from '../model/stage2-mapping.ts';
import { uffdWaiterMachine, UFFD_WAITER_EVENTS } from '../model/uffd-waiter.ts';
import { vcpuFaultLoopMachine, VCPU_FAULT_LOOP_EVENTS } from '../model/vcpu-fault-loop.ts';
import { CONTROL_TASK } from '../src/system/control-thread.ts';
import type { System } from '../src/system/model.ts';
import { DONE, type SystemState } from '../src/system/state.ts';
import { itsState, mappingState, memslotState, tokenSlotState, waiterState, type AbstractState } from './abstractions.ts';
import { asyncPfTokenMachine, ASYNC_PF_TOKEN_EVENTS } from '../model/async-pf-token.ts';
import { ASYNC_PF_USER_SLOTS } from '../src/kvm/async-pf-user.ts';

export type { AbstractState } from './abstractions.ts';

export interface SpecBinding {
  readonly name: string;
  readonly machine: AnyStateMachine;
  readonly events: readonly EventObject[];
  input(sys: System): unknown;
  /** The instances to track (gfns, vCPUs, tasks...). */
  instances(sys: System): readonly number[];
  abstract(sys: System, s: SystemState, instance: number): AbstractState | undefined;
  /**
   * The part of the state every instance's abstraction reads, if one object holds it all.
   * States are persistent (a step copies what it changes and shares the rest), so when a
   * step leaves this object the same, no instance's abstract state changed and the
   * refinement check skips the abstraction.
   */
  reads?(s: SystemState): unknown;
}

const stage2Mapping: SpecBinding = {
  name: 'stage2-mapping',
  machine: stage2MappingMachine,
  events: STAGE2_MAPPING_EVENTS,
  input: (sys) => ({ arch: sys.config.arch, series: sys.config.series === 'v1' ? 'v1' : 'v3', mmu: sys.config.mmu }),
  instances: (sys) => Array.from({ length: sys.config.pages }, (_, g) => g),
  abstract: (_sys, s, gfn) => mappingState(s.kernel, gfn),
  reads: (s) => s.kernel.vm.slots,
};

const memslotUserfault: SpecBinding = {
  name: 'memslot-userfault',
  machine: memslotUserfaultMachine,
  events: MEMSLOT_USERFAULT_EVENTS,
  input: (sys) => ({ hasCap: sys.config.series !== 'none' }),
  instances: () => [0],
  abstract: (_sys, s) => memslotState(s.kernel),
  reads: (s) => s.kernel.vm.slots,
};

/**
 * A vCPU thread's exit steps, read by their labels: a `clear-bit` step stands for "the
 * page is in place" (the protocol puts populate first); any other exit step for "the exit
 * is being handled". Handlers that name their steps otherwise are checked only up to that.
 */
function exitStepState(label: string): string {
  return label === 'clear-bit' ? 'populated' : 'exited';
}

const vcpuFaultLoop: SpecBinding = {
  name: 'vcpu-fault-loop',
  machine: vcpuFaultLoopMachine,
  events: VCPU_FAULT_LOOP_EVENTS,
  input: () => undefined,
  instances: (sys) => sys.threads.flatMap((t, i) => (t.kind === 'vcpu' ? [i] : [])),
  abstract(sys, s, t) {
    const pc = s.threads[t]?.pc ?? DONE;
    const spec = sys.threads[t];
    if (pc === DONE) return { value: 'done', context: {} };
    if (pc === 0) return { value: 'userspace', context: {} };
    if (pc === 1) {
      const mode = s.kernel.vm.vcpus[spec?.vcpu ?? 0]?.mode;
      return { value: mode === 'install' ? 'faulting' : mode === 'uffd-wait' ? 'uffdWait' : 'guest', context: {} };
    }
    return { value: exitStepState(spec?.steps[pc]?.label ?? ''), context: {} };
  },
};

const uffdWaiter: SpecBinding = {
  name: 'uffd-waiter',
  machine: uffdWaiterMachine,
  events: UFFD_WAITER_EVENTS,
  input: () => undefined,
  instances: (sys) => (sys.env.uffd >= 0 ? sys.threads.map((t) => t.task) : []),
  abstract: (_sys, s, task) => waiterState(s.kernel, task),
  reads: (s) => s.kernel.mm.uffds,
};

const itsRestore: SpecBinding = {
  name: 'its-restore',
  machine: itsRestoreMachine,
  events: ITS_RESTORE_EVENTS,
  input: (sys) => ({ tables: sys.config.control.itsTables?.length ?? 0 }),
  instances: (sys) => (sys.config.control.itsTables?.length ? [0] : []),
  abstract: (sys, s) => itsState(s.kernel, CONTROL_TASK, sys.config.control.itsTables?.length ?? 0),
  reads: (s) => s.kernel,
};

const asyncPfToken: SpecBinding = {
  name: 'async-pf-token',
  machine: asyncPfTokenMachine,
  events: ASYNC_PF_TOKEN_EVENTS,
  input: () => undefined,
  /** Instance v·SLOTS + slot: token slot `slot` of vCPU v. */
  instances: (sys) => (sys.config.design === 'async-pf-user' ? Array.from({ length: sys.config.vcpus * ASYNC_PF_USER_SLOTS }, (_, i) => i) : []),
  abstract: (_sys, s, i) => tokenSlotState(s.kernel, Math.floor(i / ASYNC_PF_USER_SLOTS), i % ASYNC_PF_USER_SLOTS),
  reads: (s) => s.kernel.vm.vcpus,
};

export const SPEC_BINDINGS: readonly SpecBinding[] = [memslotUserfault, stage2Mapping, vcpuFaultLoop, uffdWaiter, itsRestore, asyncPfToken];
