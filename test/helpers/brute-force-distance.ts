/**
 * An independent reference for the length of a shortest counterexample: breadth-first
 * over a Model with states identified by their sorted-key JSON (as bruteForceCount), the
 * number of steps to the nearest state where `target` holds. Small systems only.
 */
import type { Model } from '../../src/checker/index.ts';
import { canonicalJson } from './canonical-json.ts';

export function bruteForceDistance<S, A>(model: Model<S, A>, target: (s: S, enabled: number) => boolean, limit = 200_000): number | undefined {
  const seen = new Set<string>();
  let frontier: S[] = [...model.initialStates()];
  for (const s of frontier) seen.add(canonicalJson(s));
  const actions: A[] = [];
  for (let depth = 0; frontier.length > 0; depth++) {
    const next: S[] = [];
    for (const s of frontier) {
      actions.length = 0;
      model.actions(s, actions);
      if (target(s, actions.length)) return depth;
      for (const a of [...actions]) {
        const t = model.next(s, a);
        const key = canonicalJson(t);
        if (seen.has(key)) continue;
        seen.add(key);
        next.push(t);
        if (seen.size > limit) throw new Error(`brute force: more than ${limit} states`);
      }
    }
    frontier = next;
  }
  return undefined;
}
