/**
 * Partial-order reduction for safety on composed systems (issue 14 item 4): ample sets in
 * the sense of Peled ("All from one, one for all: on model checking using
 * representatives", CAV 1993) and Clarke, Grumberg & Peled (Model Checking, MIT Press
 * 1999, ch. 10, conditions C0–C3), over thread-level transitions: a thread's transition in
 * a state is the one step it takes there (threads are deterministic, model.ts).
 *
 * The ample sets used are singletons {KVM_RUN entry of vCPU i}: the `KVM_RUN` step of
 * vcpu-thread.ts, kvmuf's own code, whose footprint is known exactly —
 *   reads  vCPU i's mode and vcpu->mutex owner (vcpuMutexFree), the vgic's all-vCPU lock,
 *          and, through waitForControl, the control thread's pc and register 0;
 *   writes vCPU i's mode (user → guest) and thread i's pc.
 * It is taken alone in a state when all of the following hold, which make it independent
 * (in every state reachable without it, not just this one) of every step any other
 * thread can still take:
 * - the handler promises `leavesVcpusAlone` (HandlerStrategy): no handler step, in a
 *   handler thread or in a vCPU's exit steps, kicks a vCPU, readies an async PF, sets an
 *   MSR, makes a device ioctl or reads vCPU objects; the operations are checked
 *   (step-api/vcpu-object-ops.ts), the reads are a promise;
 * - the control thread is absent, finished, or has only steps left whose labels are in
 *   CONTROL_LEAVES_VCPUS_ALONE: memslot flag changes, bitmap stores and balloon madvise
 *   touch no vCPU's mode or mutex, and with no kick or ITS step left its pc can no longer
 *   stop the vCPUs (stopsVcpus); with `vcpusWait` the entry is enabled only once it is done;
 * - other vCPUs' steps: their KVM_RUN entry and guest steps write only their own vCPU,
 *   except an MMU invalidation, which marks every vCPU's in-flight fault for retry
 *   (src/kvm/stage2.ts): a different field (`fault`) from the entry's (`mode`), so the two
 *   commute; a memslot update waits while some vCPU is in 'uffd-wait' (src/kvm/memslot.ts),
 *   which user → guest does not change.
 * No step of another thread puts vCPU i's task to sleep or disables the entry, with one
 * exception, a panic, which stops every thread (model.ts step). That does not lose a
 * violation: the panicking step reads nothing the entry writes, so it panics as well after
 * the entry, and that state differs from the unreduced one only in vCPU i's mode and pc,
 * which no property reads (below) — the panic is reached with the entry permuted before it.
 *
 * Sleeping threads and disabled steps need no necessary enabling sets here: these are
 * ample sets, not stubborn sets, and C1 is argued over every step another thread can take
 * in any future state (a thread asleep in userfaultfd, on the demand-paging queue or
 * behind a false guard wakes into steps of the kinds listed above), not over the steps
 * enabled now.
 *
 * C0: the set is non-empty. C1: by the list above no transition dependent on the entry can
 * run before it (vCPU i itself is sequential and at the entry). C2 (invisibility): the
 * entry changes vCPU i's mode from user to guest and thread i's pc; the built-in `always`
 * properties (properties/core.ts) read neither, and the `sometimes` property reads only
 * whether a vCPU is in 'uffd-wait' or has a memory-fault exit, which it does not change.
 * Properties of the handler's own, extra properties, the simulation's consistency check
 * and the spec refinement check (a per-transition check of every step) could read
 * anything: with any of them the model offers no ample sets. C3: every ample action moves
 * one more vCPU thread off VCPU_ENTER and no ample action moves one back, so no cycle of
 * the state graph is made of ample actions alone; every cycle of the reduced graph thus
 * has a fully expanded state, which implies C3 (Model.ampleCycleFree: the explorer's BFS
 * proviso, src/checker/bfs.ts porRest, is not needed and not applied). Deadlocks are kept:
 * a reduced state keeps an enabled step (C0), and a singleton satisfying C1 is a
 * persistent set, with which a selective search reaches every deadlock (Godefroid,
 * Partial-Order Methods for the Verification of Concurrent Systems, LNCS 1032, 1996,
 * ch. 4). Liveness is not reduced: under reduction the explorer checks safety only
 * (checker/options.ts), since ample sets with a naive on-the-fly liveness check are unsound.
 *
 * Why only KVM_RUN entry: every other step either runs handler code (opaque, so it may
 * touch any page, the uffd queues, the bitmap and the VMM words) or is a guest access
 * or fault phase, which such handler code (a later UFFDIO_COPY, madvise or memcpy on the
 * same page) may depend on. Ample sets for those would need page-level footprints of the
 * handler's future steps, which opaque code does not give.
 */
import { DONE, type SystemState } from './state.ts';
import type { ThreadSpec } from './thread.ts';
import { VCPU_ENTER } from './vcpu-thread.ts';

/** Control steps that neither read nor change a vCPU object nor hold the vCPUs out of KVM_RUN (control-thread.ts). */
const CONTROL_LEAVES_VCPUS_ALONE: ReadonlySet<string> = new Set(['enable-userfault', 'dirty-log-on', 'dirty-log-off', 'clear-kvm-clock-bit', 'balloon', 'disable-userfault']);

export interface PartialOrderInputs {
  readonly threads: readonly ThreadSpec[];
  readonly leavesVcpusAlone: boolean;
  /** Properties beyond the built-in ones (the handler's, extra ones), or the consistency or refinement checks. */
  readonly opaqueProperties: boolean;
}

/** Why the model offers no ample sets (undefined: it does). */
export function partialOrderRefusal(p: PartialOrderInputs): string | undefined {
  if (!p.leavesVcpusAlone) return 'the handler does not promise leavesVcpusAlone';
  if (p.opaqueProperties) return 'properties beyond the built-in ones (the handler’s own, or spec refinement) may read any part of the state';
  return undefined;
}

/**
 * The ample-set function of the composed system: for a state and its enabled threads
 * (`actions`, ascending thread indices), the index in `actions` of the first vCPU whose
 * KVM_RUN entry may be taken alone, or undefined (expand all).
 */
export function kvmRunEntryAmple(p: PartialOrderInputs): ((s: SystemState, actions: readonly number[]) => readonly number[] | undefined) | undefined {
  if (partialOrderRefusal(p) !== undefined) return undefined;
  const control = p.threads.findIndex((t) => t.kind === 'control');
  const controlSpec = control >= 0 ? p.threads[control] : undefined;
  /** From each control pc: whether every step from there on leaves the vCPUs alone. */
  const controlHarmlessFrom = controlSpec ? harmlessSuffixes(controlSpec) : [];
  const vcpuThreads = p.threads.map((t) => t.kind === 'vcpu');
  return (s, actions) => {
    if (controlSpec !== undefined) {
      const pc = s.threads[control]?.pc ?? DONE;
      if (pc !== DONE && controlHarmlessFrom[pc] !== true) return undefined;
    }
    for (let k = 0; k < actions.length; k++) {
      const t = actions[k] as number;
      if (vcpuThreads[t] === true && s.threads[t]?.pc === VCPU_ENTER) return [k];
    }
    return undefined;
  };
}

function harmlessSuffixes(spec: ThreadSpec): boolean[] {
  const out = new Array<boolean>(spec.steps.length).fill(false);
  let harmless = true;
  for (let pc = spec.steps.length - 1; pc >= 0; pc--) {
    harmless = harmless && CONTROL_LEAVES_VCPUS_ALONE.has((spec.steps[pc] as { label: string }).label);
    out[pc] = harmless;
  }
  return out;
}
