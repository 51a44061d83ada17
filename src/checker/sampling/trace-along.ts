/**
 * A checker {@link Trace} for a path given as action indices: re-executes it to name its
 * actions and fingerprint its states, as the exhaustive search records its counterexamples,
 * so a sampled or bounded counterexample replays (and is checked state by state) like any other.
 */
import { fingerprintOf, makeSpace } from '../make-space.ts';
import type { Model } from '../model.ts';
import type { Trace } from '../trace.ts';

export function traceAlong<S, A>(model: Model<S, A>, initial: number, actions: readonly number[]): Trace {
  const space = makeSpace<S, A>(model);
  let s = space.initialStates()[initial] as S;
  const fingerprints = [fingerprintOf(space, s, false)];
  const labels: string[] = [];
  for (const a of actions) {
    space.expand(s);
    labels.push(space.label(a));
    s = space.successor(a);
    fingerprints.push(fingerprintOf(space, s, false));
  }
  return { initial, actions: [...actions], labels, fingerprints, symmetry: false };
}

/** The fingerprint of one state, as traces record it. */
export function stateFingerprinter<S, A>(model: Model<S, A>): (s: S) => string {
  const space = makeSpace<S, A>(model);
  return (s) => fingerprintOf(space, s, false);
}
