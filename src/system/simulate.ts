/**
 * Random simulation of a composed system, for sizes past the exhaustive bound: follow a
 * schedule (choice k names a thread; the first enabled thread from there, round robin,
 * moves), checking the invariants at every state; then drain fairly (round robin over
 * the threads that can move) and report whether every vCPU finished. The threads that
 * moved are recorded; `checkerPath` turns them into the checker's action-index path, so
 * `replay` (and `kvmuf replay`) can re-run the run.
 */
import type { Property } from '../checker/index.ts';
import type { StepResult, System } from './model.ts';
import { DONE, type SystemState } from './state.ts';

export interface SimulationOptions {
  readonly properties: readonly Property<SystemState>[];
  /** Steps allowed for the fair drain before it counts as a livelock. Default 1,000,000. */
  readonly maxDrainSteps?: number;
}

export interface SimulationResult {
  /** The thread that moved at each step. */
  readonly threads: readonly number[];
  /** Readable step names, one per step. */
  readonly labels: readonly string[];
  readonly final: SystemState;
  /** The first `always` property violated, and after how many steps. */
  readonly violated?: { readonly property: string; readonly step: number };
  /** After the fair drain: every vCPU finished. */
  readonly finished: boolean;
  /** Why the drain did not finish: no thread could move, or the step budget ran out. */
  readonly stuck?: 'deadlock' | 'livelock';
}

/** The first thread from `start` (round robin) that can move in `s`, with its step. */
function firstEnabled(sys: System, s: SystemState, start: number): { thread: number; step: StepResult } | undefined {
  const n = sys.threads.length;
  for (let i = 0; i < n; i++) {
    const t = (start + i) % n;
    const step = sys.step(s, t);
    if (step) return { thread: t, step };
  }
  return undefined;
}

export function simulate(sys: System, choices: readonly number[], options: SimulationOptions): SimulationResult {
  const invariants = options.properties.filter((p) => p.kind === 'always');
  const threads: number[] = [];
  const labels: string[] = [];
  let s = sys.initial;
  const broken = (): string | undefined => invariants.find((p) => !p.condition(s))?.name;
  const done = (extra: Partial<SimulationResult>): SimulationResult => ({ threads, labels, final: s, finished: false, ...extra });
  const move = (m: { thread: number; step: StepResult }): string | undefined => {
    threads.push(m.thread);
    labels.push(`${sys.threads[m.thread]?.name}.${m.step.label}${m.step.description ? `: ${m.step.description}` : ''}`);
    s = m.step.state;
    return broken();
  };

  const first = broken();
  if (first) return done({ violated: { property: first, step: 0 } });
  for (const choice of choices) {
    const m = firstEnabled(sys, s, choice % sys.threads.length);
    if (!m) break;
    const bad = move(m);
    if (bad) return done({ violated: { property: bad, step: threads.length } });
  }
  let next = 0;
  for (let i = 0; i < (options.maxDrainSteps ?? 1_000_000); i++) {
    const m = firstEnabled(sys, s, next);
    if (!m) {
      const finished = sys.threads.every((t, k) => t.kind !== 'vcpu' || s.threads[k]?.pc === DONE);
      return done(finished ? { finished } : { finished, stuck: 'deadlock' });
    }
    next = m.thread + 1;
    const bad = move(m);
    if (bad) return done({ violated: { property: bad, step: threads.length } });
  }
  return done({ stuck: 'livelock' });
}

/** The checker's path for a run: at each step, the index of the thread that moved among the enabled ones. */
export function checkerPath(sys: System, threads: readonly number[]): number[] {
  const path: number[] = [];
  let s = sys.initial;
  for (const t of threads) {
    let index = 0;
    for (let u = 0; u < t; u++) if (sys.step(s, u)) index++;
    const step = sys.step(s, t);
    if (!step) throw new Error(`thread ${t} cannot move at step ${path.length}`);
    path.push(index);
    s = step.state;
  }
  return path;
}
