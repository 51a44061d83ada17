/**
 * Schedulers for sampled runs. Each step, the run lists the threads that can move and the
 * scheduler picks one (by its index in that list). Both are driven by a seeded {@link Prng},
 * so a run is a pure function of its seed.
 *
 * - `random`: a uniformly random enabled thread at every step (a random walk).
 * - `pct`: probabilistic concurrency testing, Burckhardt, Kothari, Musuvathi and
 *   Nagarakatte, "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs",
 *   ASPLOS 2010. The n threads get distinct random priorities d .. d+n-1; d-1 change points
 *   k_1 .. k_{d-1} are drawn uniformly from the steps 1 .. k (k: the step bound); the
 *   highest-priority enabled thread always runs, and at step k_i the thread about to run
 *   drops to priority i (below every initial priority). A bug of depth d (d ordering
 *   constraints) is found by one run with probability at least 1/(n·k^(d-1)).
 */
import { Prng } from './prng.ts';

export type ScheduleKind = 'random' | 'pct';

export interface Scheduler {
  /** The index in `enabled` (thread numbers, never empty) of the thread that runs at `step` (1-based). */
  pick(enabled: readonly number[], step: number): number;
}

export function randomScheduler(prng: Prng): Scheduler {
  return { pick: (enabled) => prng.below(enabled.length) };
}

export interface PctParams {
  /** Number of threads (thread numbers are 0 .. threads-1). */
  readonly threads: number;
  /** The bug depth d: d-1 priority change points. */
  readonly depth: number;
  /** k, the step bound the change points are drawn from. */
  readonly maxSteps: number;
}

export function pctScheduler(prng: Prng, p: PctParams): Scheduler {
  const priority = Array.from({ length: p.threads }, (_, t) => p.depth + t);
  for (let i = priority.length - 1; i > 0; i--) {
    const j = prng.below(i + 1);
    [priority[i], priority[j]] = [priority[j] as number, priority[i] as number];
  }
  // change[step] = [i, …]: at that step the running thread drops to priority i (1 .. d-1);
  // two change points drawn on the same step drop the two highest threads in turn.
  const change = new Map<number, number[]>();
  for (let i = 1; i < p.depth; i++) {
    const step = 1 + prng.below(Math.max(1, p.maxSteps));
    change.set(step, [...(change.get(step) ?? []), i]);
  }
  const highest = (enabled: readonly number[]): number => {
    let best = 0;
    for (let k = 1; k < enabled.length; k++) if ((priority[enabled[k] as number] ?? 0) > (priority[enabled[best] as number] ?? 0)) best = k;
    return best;
  };
  return {
    pick(enabled, step) {
      for (const drop of change.get(step) ?? []) priority[enabled[highest(enabled)] as number] = drop;
      return highest(enabled);
    },
  };
}

export function makeScheduler(kind: ScheduleKind, seed: number, p: PctParams): Scheduler {
  const prng = new Prng(seed);
  return kind === 'pct' ? pctScheduler(prng, p) : randomScheduler(prng);
}
