/**
 * ITF, the Informal Trace Format of Apalache and Quint: a JSON trace of states, each a
 * record of variables. Integers are written as {"#bigint": "…"}; a liveness lasso sets
 * `loop` to the index of the state where the cycle starts. The variables are the state
 * view (state-view.ts); each state's #meta also names the step that led to it.
 */
import type { System } from '../system/model.ts';
import type { Counterexample } from './counterexample.ts';
import { stateView, type ViewValue } from './state-view.ts';

type ItfValue = boolean | string | { '#bigint': string };

function itfValue(v: ViewValue): ItfValue {
  return typeof v === 'number' ? { '#bigint': String(v) } : v;
}

export interface ItfTrace {
  readonly '#meta': Record<string, unknown>;
  readonly vars: readonly string[];
  readonly states: readonly Record<string, unknown>[];
  readonly loop?: number;
}

export function toItf(sys: System, cx: Counterexample, description: string): ItfTrace {
  // In a lasso the last state is the cycle's first again: ITF leaves it out (its successor is states[loop]).
  const lasso = cx.cycleStart !== undefined && cx.cycleStart < cx.steps.length;
  const views = (lasso ? cx.states.slice(0, -1) : cx.states).map((s) => stateView(sys, s));
  const vars = [...new Set(views.flatMap((v) => Object.keys(v)))].sort();
  const states = views.map((v, i) => ({
    '#meta': { index: i, ...(i > 0 ? { action: cx.steps[i - 1]?.label ?? '' } : {}) },
    ...Object.fromEntries(vars.map((name) => [name, itfValue(v[name] ?? '-')])),
  }));
  return {
    '#meta': { format: 'ITF', 'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html', source: 'kvmuf', description, path: cx.path },
    vars,
    states,
    ...(cx.cycleStart !== undefined ? { loop: cx.cycleStart } : {}),
  };
}
