/**
 * An independent reference explorer for cross-checking state counts and the lengths of
 * shortest counterexamples: breadth-first over a Model, with states identified by their
 * sorted-key JSON (no fingerprints, no word encoding, no typed-array table). Slow and
 * memory-hungry: small systems only.
 */
import type { Model } from '../../src/checker/index.ts';
import { canonicalJson } from './canonical-json.ts';


export interface BruteForceResult {
  readonly distinct: number;
  readonly depth: number;
}

/**
 * Level by level from the initial states; `stop(s, enabled)` (the number of actions
 * enabled in s) ends the search at the first state where it holds, at its distance.
 */
function breadthFirst<S, A>(model: Model<S, A>, limit: number, stop: (s: S, enabled: number) => boolean): BruteForceResult & { readonly stoppedAt?: number } {
  const seen = new Set<string>();
  let frontier: S[] = [];
  for (const s of model.initialStates()) {
    const key = canonicalJson(s);
    if (!seen.has(key)) {
      seen.add(key);
      frontier.push(s);
    }
  }
  let depth = 0;
  const actions: A[] = [];
  while (frontier.length > 0) {
    const next: S[] = [];
    for (const s of frontier) {
      actions.length = 0;
      model.actions(s, actions);
      if (stop(s, actions.length)) return { distinct: seen.size, depth, stoppedAt: depth };
      for (const a of [...actions]) {
        const t = model.next(s, a);
        const key = canonicalJson(t);
        if (seen.has(key)) continue;
        seen.add(key);
        next.push(t);
        if (seen.size > limit) throw new Error(`brute force: more than ${limit} states`);
      }
    }
    if (next.length > 0) depth++;
    frontier = next;
  }
  return { distinct: seen.size, depth };
}

export function bruteForceCount<S, A>(model: Model<S, A>, limit = 200_000): BruteForceResult {
  const { distinct, depth } = breadthFirst(model, limit, () => false);
  return { distinct, depth };
}

/** The number of steps from an initial state to the nearest state where `target` holds (undefined: none). */
export function bruteForceDistance<S, A>(model: Model<S, A>, target: (s: S, enabled: number) => boolean, limit = 200_000): number | undefined {
  return breadthFirst(model, limit, target).stoppedAt;
}
