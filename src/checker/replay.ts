/**
 * Replays a trace against a model: re-executes each action index from the initial state
 * and checks that every reached state (its representative for symmetric traces) has the
 * recorded fingerprint. Fails with a {@link ReplayError} that says which (an index out of
 * range, or a state that differs) and names nondeterminism in the model as the likely cause.
 */
import { makeSpace, fingerprintOf } from './make-space.ts';
import type { Model, PackedModel } from './model.ts';
import type { Trace } from './trace.ts';
import { divergence } from './trace.ts';

export function replay(model: PackedModel, trace: Trace): Uint32Array[];
export function replay<S, A>(model: Model<S, A>, trace: Trace): S[];
export function replay<S, A>(model: Model<S, A> | PackedModel, trace: Trace): S[] {
  const space = makeSpace<S, A>(model);
  const inits = space.initialStates();
  const first = inits[trace.initial];
  if (first === undefined) throw divergence(0, `initial state ${trace.initial} does not exist (${inits.length} initial states)`, 'out-of-range');
  let s = space.keep(first);
  const states = [s];
  check(0);
  for (let step = 0; step < trace.actions.length; step++) {
    const a = trace.actions[step]!;
    const n = space.expand(s);
    if (a < 0 || a >= n) throw divergence(step + 1, `action index ${a} is out of range (${n} enabled)`, 'out-of-range');
    s = space.keep(space.successor(a));
    states.push(s);
    check(step + 1);
  }
  return states;

  function check(step: number): void {
    const want = trace.fingerprints[step];
    if (want === undefined) return;
    const got = fingerprintOf(space, s, trace.symmetry);
    if (got !== want) {
      throw divergence(step, `reached a state with fingerprint ${got}, the trace recorded ${want}`);
    }
  }
}

