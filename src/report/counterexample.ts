/**
 * A counterexample as a user reads it: numbered steps (thread, step, the kernel
 * operation and its result) with what changed in the state after each, where a
 * liveness cycle starts, and the path that replays it. Built by replaying the failure's
 * trace against the model.
 */
import { formatPath, replay, type Failure, type Model } from '../checker/index.ts';
import type { System } from '../system/model.ts';
import type { SystemState } from '../system/state.ts';
import { stateView, viewDiff } from './state-view.ts';

export interface CounterexampleStep {
  readonly label: string;
  readonly changes: readonly string[];
}

export interface Counterexample {
  readonly kind: Failure['kind'];
  readonly property?: string;
  readonly steps: readonly CounterexampleStep[];
  /** Index into `steps` where a liveness cycle starts (it repeats forever from there). */
  readonly cycleStart?: number;
  /** The checker path: `initial/a1/a2…`, for a lasso the prefix then `|` and the cycle. */
  readonly path: string;
  /** The spec step the implementation took that no spec machine allows (refinement failures). */
  readonly specMessage?: string;
  /** The states along the steps (first: the initial state), for reports. */
  readonly states: readonly SystemState[];
}

function stepsAlong(sys: System, states: readonly SystemState[], labels: readonly string[]): CounterexampleStep[] {
  const views = states.map((s) => stateView(sys, s));
  return labels.map((label, i) => ({ label, changes: viewDiff(views[i] ?? {}, views[i + 1] ?? {}) }));
}

export function explainFailure(sys: System, model: Model<SystemState, number>, f: Failure): Counterexample | undefined {
  if (f.kind === 'unwitnessed') return undefined;
  if (f.kind === 'invariant' || f.kind === 'deadlock') {
    const states = replay(model, f.trace);
    const last = states.at(-1);
    return {
      kind: f.kind,
      ...(f.kind === 'invariant' ? { property: f.property } : {}),
      steps: stepsAlong(sys, states, f.trace.labels),
      path: formatPath(f.trace),
      ...(last?.specViolation && f.kind === 'invariant' && f.property.startsWith('every step is a transition') ? { specMessage: last.specViolation } : {}),
      states,
    };
  }
  // Liveness: the prefix, then the cycle replayed from the prefix's last state.
  const prefix = replay(model, f.lasso.prefix);
  const states = [...prefix];
  let s = prefix.at(-1) as SystemState;
  const acts: number[] = [];
  for (const a of f.lasso.cycle) {
    acts.length = 0;
    model.actions(s, acts);
    s = model.next(s, acts[a] as number);
    states.push(s);
  }
  return {
    kind: f.kind,
    property: f.property,
    steps: stepsAlong(sys, states, [...f.lasso.prefix.labels, ...f.lasso.cycleLabels]),
    cycleStart: f.lasso.prefix.labels.length,
    path: `${formatPath(f.lasso.prefix)}|${f.lasso.cycle.join('/')}`,
    states,
  };
}

/**
 * The steps along a path the search was expanding when something went wrong there (a
 * handler step misused the API, or never returned): replayed up to the state, without
 * expanding the state itself.
 */
export function explainChain(
  sys: System,
  model: Model<SystemState, number>,
  chain: { readonly initial: number; readonly actions: readonly number[] },
): { readonly steps: readonly CounterexampleStep[]; readonly path: string } {
  let s = model.initialStates()[chain.initial] as SystemState;
  const states = [s];
  const labels: string[] = [];
  const acts: number[] = [];
  for (const a of chain.actions) {
    acts.length = 0;
    model.actions(s, acts);
    const t = acts[a];
    if (t === undefined) break;
    labels.push(model.formatAction(s, t));
    s = model.next(s, t);
    states.push(s);
  }
  return { steps: stepsAlong(sys, states, labels), path: formatPath(chain) };
}
