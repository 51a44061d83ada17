/**
 * A cheap, deterministic estimate of how many states an exhaustive search will store,
 * before running it. Two measurements on the model itself:
 *
 * 1. a breadth-first search of the first levels, up to `budget` states (its own small
 *    set of encodings; the engine is not involved): the exact size of each level it
 *    completes, and exact totals when the whole space fits in the budget;
 * 2. `walks` random walks to the end (seeded): their mean length estimates the depth D
 *    of the state graph (in an interleaving of threads, a state's BFS level is the
 *    number of steps taken to reach it, so every maximal walk has about the same length).
 *
 * Extrapolation (an inference from measured profiles, not a bound): the level sizes of
 * the composed systems rise to a peak at about 0.68·W (W the mean walk length) and fall
 * to nothing at about 1.12·W, faster than they rose (full level profiles of kvm-userfault
 * x86 3 and 4 vCPUs × 2 pages and async PF user 2 × 2: peaks at 0.68, 0.66 and 0.73·W,
 * last levels at 1.10, 1.14 and 1.10·W). Past the measured levels the growth rate
 * measured at the last one holds to halfway to the peak, then falls linearly (in log) to 1
 * at the peak; the fall is the rise mirrored and compressed. On those profiles the
 * estimate is 0.5–1× the real count (test/checker/estimate.test.ts), but 3.4× for async
 * PF user 3 × 2 (2.7 M estimated, about 0.8 M real); treat it as an order of magnitude.
 */
import type { Model } from '../model.ts';
import { stateFingerprinter } from './trace-along.ts';
import { Prng } from './prng.ts';

export interface SpaceEstimate {
  /** True when the whole space fit in the budget: `states` is the exact count. */
  readonly exact: boolean;
  readonly states: number;
  /** States the bounded search stored, and the size of each level it completed. */
  readonly explored: number;
  readonly levels: readonly number[];
  /** Mean length of the random walks (the estimated depth). */
  readonly depth: number;
}

export interface EstimateOptions {
  readonly budget?: number;
  readonly walks?: number;
  readonly maxWalkSteps?: number;
  readonly seed?: number;
  /** Told the path (action indices from the first initial state) to each state before it is expanded (for a watchdog). */
  readonly onExpand?: (path: readonly number[]) => void;
  /** Polled at every state: once aborted, the estimate stops and returns undefined. */
  readonly signal?: { readonly aborted: boolean };
}

/**
 * The mean length of random walks from the first initial state. Each step picks at random
 * among the actions that lead to a state the walk has not been in; a walk ends where
 * there is none (a terminal state, or every successor already on the walk) or at
 * `maxSteps`. Going round a cycle adds nothing to the depth of the state graph, and a
 * thread that is always enabled and changes little (a handler polling with a timeout)
 * would otherwise keep a walk going to its cap.
 */
function meanWalkLength<S, A>(model: Model<S, A>, walks: number, maxSteps: number, seed: number, o: EstimateOptions): number | undefined {
  const prng = new Prng(seed);
  const keyOf = stateFingerprinter(model);
  const acts: A[] = [];
  let total = 0;
  for (let i = 0; i < walks; i++) {
    let s = model.initialStates()[0] as S;
    const path: number[] = [];
    const visited = new Set<string>([keyOf(s)]);
    for (; path.length < maxSteps; ) {
      if (o.signal?.aborted) return undefined;
      o.onExpand?.(path);
      acts.length = 0;
      model.actions(s, acts);
      const fresh: { k: number; t: S; key: string }[] = [];
      acts.forEach((a, k) => {
        const t = model.next(s, a);
        const key = keyOf(t);
        if (!visited.has(key)) fresh.push({ k, t, key });
      });
      if (fresh.length === 0) break;
      const pick = fresh[prng.below(fresh.length)] as (typeof fresh)[number];
      path.push(pick.k);
      visited.add(pick.key);
      s = pick.t;
    }
    total += path.length;
  }
  return walks > 0 ? total / walks : 0;
}

/** Where the level sizes peak, and where they end, as fractions of the mean walk length (see the module comment). */
const PEAK = 0.68;
const END = 1.12;

/** Level sizes beyond the measured ones, to the estimated depth (see the module comment). */
export function extrapolateLevels(levels: readonly number[], walk: number): number[] {
  const d = levels.length - 1;
  const last = levels[d] ?? 0;
  if (d < 1 || last === 0) return [];
  // Growth at the last level: per level, over the last two levels when there are two.
  const back = levels[d - 2] ?? levels[d - 1] ?? 1;
  const g = d >= 2 ? Math.sqrt(last / back) : last / back;
  const peak = PEAK * walk;
  const end = END * walk;
  const mid = (d + peak) / 2;
  const profile = [...levels];
  let l = d + 1;
  for (; l <= peak; l++) {
    const f = peak > mid ? Math.max(0, Math.min(1, (peak - l) / (peak - mid))) : 0;
    profile.push((profile.at(-1) ?? 0) * Math.exp(Math.log(Math.max(g, 1)) * f));
  }
  const top = profile.length - 1;
  for (; l <= end; l++) {
    const mirrored = top - ((l - top) * top) / Math.max(1, end - top);
    profile.push(profile[Math.max(0, Math.round(mirrored))] ?? 0);
  }
  return profile.slice(levels.length);
}

export function estimateSpace<S, A>(model: Model<S, A>, o: EstimateOptions = {}): SpaceEstimate | undefined {
  const budget = o.budget ?? 2000;
  const keyOf = stateFingerprinter(model);
  const seen = new Set<string>();
  // Each frontier state with the path to it, so a watchdog can name where a step got stuck.
  let frontier: { readonly s: S; readonly path: readonly number[] }[] = [];
  const first = model.initialStates()[0];
  if (first !== undefined) {
    seen.add(keyOf(first));
    frontier.push({ s: first, path: [] });
  }
  const levels = [frontier.length];
  const acts: A[] = [];
  while (frontier.length > 0 && seen.size < budget) {
    const next: typeof frontier = [];
    for (const { s, path } of frontier) {
      if (o.signal?.aborted) return undefined;
      o.onExpand?.(path);
      acts.length = 0;
      model.actions(s, acts);
      acts.forEach((a, k) => {
        const t = model.next(s, a);
        const key = keyOf(t);
        if (seen.has(key)) return;
        seen.add(key);
        next.push({ s: t, path: [...path, k] });
      });
    }
    frontier = next;
    if (next.length > 0) levels.push(next.length);
  }
  const depth = meanWalkLength(model, o.walks ?? 32, o.maxWalkSteps ?? 10_000, o.seed ?? 1, o);
  if (depth === undefined) return undefined;
  if (frontier.length === 0) return { exact: true, states: seen.size, explored: seen.size, levels, depth };
  const more = extrapolateLevels(levels, depth).reduce((a, b) => a + b, 0);
  // A growth extrapolated over a very long walk can overflow: that is no estimate at all.
  if (!Number.isFinite(more)) return { exact: false, states: Number.POSITIVE_INFINITY, explored: seen.size, levels, depth };
  return { exact: false, states: Math.round(seen.size + more), explored: seen.size, levels, depth };
}
