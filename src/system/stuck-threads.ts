/**
 * Where the threads that must finish are stuck in a state, and why: for deadlock and
 * liveness messages ("control at its-restore-tables: sleeping in userfaultfd") instead of
 * a blanket "the vCPUs have not finished".
 */
import { isTaskWaitingForPresent } from '../kvm/demand-paging-wait.ts';
import { isTaskInUffd } from '../mm/userfaultfd.ts';
import type { System } from './model.ts';
import { DONE, type SystemState } from './state.ts';
import { mustFinish } from './thread.ts';

export interface StuckThread {
  readonly thread: string;
  /** The label of the step it is at. */
  readonly step: string;
  readonly why: string;
}

function why(sys: System, s: SystemState, t: number): string {
  const spec = sys.threads[t];
  if (spec === undefined) return 'unknown';
  if (isTaskInUffd(s.kernel.mm, spec.task)) return 'sleeping in userfaultfd';
  if (isTaskWaitingForPresent(s.kernel, spec.task)) return 'waiting for KVM_MARK_GFNS_PRESENT';
  if (spec.vcpu !== undefined && s.kernel.vm.vcpus[spec.vcpu]?.mode === 'halted') return 'halted until an async page fault completes';
  if (sys.step(s, t) !== undefined) return 'can move, but makes no progress';
  const control = sys.threads.findIndex((x) => x.kind === 'control');
  if (spec.kind === 'vcpu' && sys.config.control.vcpusWait && control >= 0 && s.threads[control]?.pc !== DONE) return 'waiting for the control plan to finish';
  const vcpusDone = sys.threads.every((x, i) => x.kind !== 'vcpu' || s.threads[i]?.pc === DONE);
  return vcpusDone || spec.kind === 'vcpu' ? 'its guard is false' : 'its guard is false (waiting for the vCPUs)';
}

/** The threads that must finish and have not, where each is and why it does not move on. */
export function stuckThreads(sys: System, s: SystemState): StuckThread[] {
  const out: StuckThread[] = [];
  sys.threads.forEach((spec, t) => {
    const pc = s.threads[t]?.pc ?? DONE;
    if (pc === DONE || !mustFinish(spec)) return;
    out.push({ thread: spec.name, step: spec.steps[pc]?.label ?? String(pc), why: why(sys, s, t) });
  });
  return out;
}

/**
 * For a liveness lasso: a thread that moves in the cycle loops through these steps
 * without progress. `cycle` holds the cycle's actions as formatted (`thread.step: ...`).
 */
export function withCycle(list: readonly StuckThread[], cycle: readonly string[]): StuckThread[] {
  return list.map((x) => {
    const steps = cycle.filter((l) => l.startsWith(`${x.thread}.`)).map((l) => l.slice(x.thread.length + 1).split(':')[0] ?? '');
    return steps.length > 0 ? { ...x, why: `loops through ${[...new Set(steps)].join(', ')} without progress` } : x;
  });
}

export function stuckText(list: readonly StuckThread[]): string {
  return list.map((x) => `${x.thread} at ${x.step} (${x.why})`).join('; ');
}
