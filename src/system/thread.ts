/**
 * Threads are lists of labelled atomic steps. A step may read anything, change its own
 * registers and the VMM's shared words, and perform at most one kernel operation (one
 * ioctl, syscall, guest-memory access or bitmap store): the step context enforces it.
 */
import type { StepContext } from './step-context.ts';

export type ThreadKind = 'vcpu' | 'handler' | 'control';

export interface Step {
  /** Short name, used in traces and coverage (e.g. `populate`). */
  readonly label: string;
  /**
   * Perform the step. Call `c.guard(false)` (before any kernel operation) when the step
   * cannot run now; the thread then has no enabled action in this state.
   */
  readonly run: (c: StepContext) => void;
}

/** Whether a run may end with this thread unfinished: only handler threads that did not declare mustFinish. */
export function mustFinish(t: ThreadSpec): boolean {
  return t.kind !== 'handler' || t.mustFinish === true;
}

export interface ThreadSpec {
  readonly name: string;
  readonly kind: ThreadKind;
  /** The kernel task id this thread sleeps as (vCPU i is task i). */
  readonly task: number;
  readonly regs: number;
  readonly steps: readonly Step[];
  /** Where to go after the last step: a step index to loop, or DONE. */
  readonly after: number;
  /** Where the handler's own steps start (goto by label looks there first); default 0. */
  readonly labelBase?: number;
  /** A handler thread that must finish (HandlerThread.mustFinish); vCPU and control threads always must. */
  readonly mustFinish?: boolean;
  /** For vCPU threads: the vCPU index. */
  readonly vcpu?: number;
}
