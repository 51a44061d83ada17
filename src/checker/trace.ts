/**
 * Counterexample traces. A trace is the index of an initial state plus a list of action
 * indices (each an index into the list of actions enabled at that step), written
 * `0/2/1` with the initial index first. It replays deterministically (replay.ts); the
 * fingerprint of every state along it is recorded so a replay that reaches a different
 * state is caught.
 */
import { fingerprintOf } from './make-space.ts';
import { ReplayError, type ReplayFailure } from './replay-error.ts';
import type { Space } from './space.ts';

export interface Trace {
  readonly initial: number;
  readonly actions: readonly number[];
  /** Formatted action names, one per action. */
  readonly labels: readonly string[];
  /** Full 64-bit hex fingerprint of each state (initial first); of the representative under symmetry. */
  readonly fingerprints: readonly string[];
  /** True when fingerprints are of symmetry representatives. */
  readonly symmetry: boolean;
}

export function formatPath(t: { initial: number; actions: readonly number[] }): string {
  return [t.initial, ...t.actions].join('/');
}

export function parsePath(path: string): { initial: number; actions: number[] } {
  const parts = path.split('/').map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`bad path '${path}': '${p}' is not an action index`);
    return Number(p);
  });
  const [initial, ...actions] = parts;
  return { initial: initial ?? 0, actions };
}

export { chainTo } from './chain.ts';

/**
 * Re-executes a chain of the search to name its actions and fingerprint its states.
 * Under symmetry the chain's action indices refer to representatives; the real path from
 * the real initial state is rebuilt by choosing, at each step, the enabled action whose
 * successor's representative has the recorded fingerprint.
 */
export function buildTrace<S>(
  space: Space<S>,
  chain: { initial: number; actions: readonly number[] },
  symmetry: boolean,
  bits: number,
  recordedFinal: string | undefined,
): { trace: Trace; states: S[] } {
  const inits = space.initialStates();
  const first = inits[chain.initial];
  if (first === undefined) {
    throw divergence(0, `initial state ${chain.initial} does not exist (${inits.length} initial states)`, 'out-of-range');
  }
  // The fingerprints the search saw, recomputed along the chain in the search's own space
  // (`fps`, to follow the chain under symmetry), and the run-independent ones a trace shows.
  const fps: string[] = [];
  const shown: string[] = [];
  let s = space.keep(space.canonical(first, symmetry));
  fps.push(fingerprintOf(space, s, false, 64, true));
  shown.push(fingerprintOf(space, s, false));
  const searchLabels: string[] = [];
  for (let step = 0; step < chain.actions.length; step++) {
    const a = chain.actions[step]!;
    const n = space.expand(s);
    if (a >= n) throw divergence(step + 1, `action ${a} is not enabled (${n} enabled)`, 'out-of-range');
    searchLabels.push(space.label(a));
    s = space.keep(space.canonical(space.successor(a), symmetry));
    fps.push(fingerprintOf(space, s, false, 64, true));
    shown.push(fingerprintOf(space, s, false));
  }
  if (recordedFinal !== undefined && fingerprintOf(space, s, false, bits, true) !== recordedFinal) {
    throw divergence(chain.actions.length, 'the final state differs from the one the search recorded');
  }
  if (!symmetry) {
    const states = replayStates(space, chain);
    return {
      trace: { initial: chain.initial, actions: [...chain.actions], labels: searchLabels, fingerprints: shown, symmetry },
      states,
    };
  }
  let x = space.keep(first);
  const states: S[] = [x];
  const actions: number[] = [];
  const labels: string[] = [];
  for (let step = 1; step < fps.length; step++) {
    const want = fps[step]!;
    const n = space.expand(x);
    let chosen = -1;
    for (let k = 0; k < n && chosen < 0; k++) {
      const succ = space.keep(space.successor(k));
      if (fingerprintOf(space, succ, true, 64, true) === want) chosen = k;
    }
    if (chosen < 0) throw divergence(step, 'no enabled action reaches the recorded representative');
    labels.push(space.label(chosen));
    actions.push(chosen);
    x = space.keep(space.successor(chosen));
    states.push(x);
  }
  return { trace: { initial: chain.initial, actions, labels, fingerprints: shown, symmetry }, states };
}

function replayStates<S>(space: Space<S>, chain: { initial: number; actions: readonly number[] }): S[] {
  let s = space.keep(space.initialStates()[chain.initial]!);
  const states = [s];
  for (const a of chain.actions) {
    space.expand(s);
    s = space.keep(space.successor(a));
    states.push(s);
  }
  return states;
}

export function divergence(step: number, what: string, reason: ReplayFailure = 'state-differs'): ReplayError {
  return new ReplayError(
    step,
    `replay diverged at step ${step}: ${what}. The model is likely nondeterministic ` +
      '(its actions or next states depend on something other than the state, e.g. a clock, ' +
      'randomness, iteration order or shared mutable data), or the trace belongs to another model.',
    reason,
    what,
  );
}
