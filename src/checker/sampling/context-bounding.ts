/**
 * Iterative context bounding (Musuvathi and Qadeer, PLDI 2007): the exhaustive search
 * over the runs with at most 0 preemptions, then at most 1, … up to `maxPreemptions`,
 * stopping at the first bound that finds a failure, so the counterexamples reported are
 * those with the fewest preemptions (and, within that bound, the shortest: BFS). Most
 * concurrency bugs need very few preemptions (the paper's finding), and a low bound keeps
 * the search small when the whole space is out of reach.
 *
 * A pass under a bound that cut some runs is not a proof: the result is `incomplete`
 * (limit `preemptions`). When the bound cut nothing, every reachable state was explored
 * and the safety verdict is exhaustive. Liveness is not checked under a bound.
 *
 * Paths leave this module in the unbounded model's numbering (counterexamples, and the
 * path of a step that threw), so they replay without the bound. The path the search
 * writes for a watchdog (`expandingPath`) is not passed on: a step that never returns
 * under a bound is reported without its trace.
 */
import { check } from '../check.ts';
import { ExpansionError } from '../expansion-error.ts';
import type { Model } from '../model.ts';
import type { CheckOptions } from '../options.ts';
import type { CheckResult, Failure } from '../result.ts';
import type { Trace } from '../trace.ts';
import { preemptionBounded, type Bounded, type BoundedAction } from './preemption-bound.ts';
import { traceAlong } from './trace-along.ts';

export interface BoundedCheck {
  readonly result: CheckResult;
  /** The bound of the last pass (where the failures were found, or maxPreemptions). */
  readonly bound: number;
  readonly maxPreemptions: number;
  /** Actions the last pass left out because of the bound. */
  readonly pruned: number;
}

/** The inner model's action indices along a path of the bounded model (the last state is not expanded). */
function innerIndices<S, A>(wrapped: Model<Bounded<S>, BoundedAction<A>>, chain: { readonly initial: number; readonly actions: readonly number[] }): number[] {
  let b = wrapped.initialStates()[chain.initial] as Bounded<S>;
  const acts: BoundedAction<A>[] = [];
  return chain.actions.map((k) => {
    acts.length = 0;
    wrapped.actions(b, acts);
    const x = acts[k] as BoundedAction<A>;
    b = wrapped.next(b, x);
    return x.index;
  });
}

function innerTrace<S, A>(model: Model<S, A>, wrapped: Model<Bounded<S>, BoundedAction<A>>, t: Trace): Trace {
  return traceAlong(model, t.initial, innerIndices(wrapped, t));
}

function innerFailure<S, A>(model: Model<S, A>, wrapped: Model<Bounded<S>, BoundedAction<A>>, f: Failure): Failure {
  if (f.kind === 'invariant' || f.kind === 'deadlock') return { ...f, trace: innerTrace(model, wrapped, f.trace) };
  return f;
}

export function checkWithPreemptionBound<S, A>(
  model: Model<S, A>,
  maxPreemptions: number,
  threadOf: (state: S, action: A) => number,
  options: CheckOptions = {},
): BoundedCheck {
  for (let bound = 0; ; bound++) {
    const wrapped = preemptionBounded(model, bound, threadOf);
    // The search's path sink would hold bounded-model indices, which name nothing outside: left out.
    const { expandingPath: _unused, ...rest } = options;
    let r: CheckResult;
    try {
      r = check(wrapped, { ...rest, liveness: false, symmetry: false });
    } catch (e) {
      // A step that threw: its path, as the unbounded model numbers it.
      if (e instanceof ExpansionError) throw new ExpansionError(e.cause, { initial: e.chain.initial, actions: innerIndices(wrapped, e.chain) });
      throw e;
    }
    const pruned = wrapped.pruned();
    // A `sometimes` the cut runs might witness is no failure of a bounded search.
    const found = r.failures.filter((f) => f.kind !== 'unwitnessed' || pruned === 0);
    const last = bound >= maxPreemptions || found.length > 0 || r.incomplete !== undefined || options.signal?.aborted === true;
    if (!last) continue;
    const failures = found.map((f) => innerFailure(model, wrapped, f));
    const witnesses = r.witnesses.map((w) => ({ property: w.property, trace: innerTrace(model, wrapped, w.trace) }));
    const cut = pruned > 0 && failures.length === 0 && r.incomplete === undefined;
    const result: CheckResult = {
      ...r,
      status: failures.length > 0 ? 'fail' : r.status === 'fail' ? 'pass' : r.status,
      failures,
      witnesses,
      ...(cut
        ? {
            status: 'incomplete',
            safety: 'incomplete',
            incomplete: { limit: 'preemptions', message: `no counterexample with at most ${bound} preemption${bound === 1 ? '' : 's'} (the bound cut ${pruned} steps): a bounded pass is not a proof` },
          }
        : {}),
      notes: [...r.notes, `context bounding: at most ${bound} preemptions; liveness not checked under a bound`],
    };
    return { result, bound, maxPreemptions, pruned };
  }
}
