/**
 * ITF, the Informal Trace Format of Apalache and Quint
 * (https://apalache-mc.org/docs/adr/015adr-trace.html): a JSON trace of states, each a
 * record of variables with its index in `#meta`; a liveness lasso sets `loop` to the
 * index of the state where the cycle starts. The variables are the state view
 * (state-view.ts), typed as typed ITF readers want them: every variable has one type in
 * every state. Integers are JSON numbers (`{"#bigint": "…"}` for a variable with a value
 * past 2^53), flags are numbers, and a page's content, a number or absent, becomes two
 * variables: `pageN.present` (boolean) and `pageN.content` (0 while absent).
 */
import type { System } from '../system/model.ts';
import type { Counterexample } from './counterexample.ts';
import { stateView, type StateView, type ViewValue } from './state-view.ts';

export type ItfValue = boolean | string | number | { readonly '#bigint': string };

export interface ItfTrace {
  readonly '#meta': Record<string, unknown>;
  readonly vars: readonly string[];
  readonly states: readonly Record<string, unknown>[];
  readonly loop?: number;
}

type Scalar = boolean | string | number;

/** The view with every entry of one type: content that may be absent is split in two. */
function typedView(view: StateView): Map<string, Scalar> {
  const out = new Map<string, Scalar>();
  for (const [key, v] of Object.entries(view)) {
    if (key.endsWith('.content')) {
      out.set(`${key.slice(0, -'.content'.length)}.present`, typeof v === 'number');
      out.set(key, typeof v === 'number' ? v : 0);
    } else out.set(key, v);
  }
  return out;
}

const ZERO: Record<'boolean' | 'string' | 'number', Scalar> = { boolean: false, string: '', number: 0 };

function typeOf(v: ViewValue): 'boolean' | 'string' | 'number' {
  return typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
}

/** Each variable's type, the same in every state; a mix is a bug in the view. */
function variableTypes(views: readonly Map<string, Scalar>[]): Map<string, 'boolean' | 'string' | 'number'> {
  const types = new Map<string, 'boolean' | 'string' | 'number'>();
  for (const view of views) {
    for (const [key, v] of view) {
      const t = typeOf(v);
      const before = types.get(key);
      if (before !== undefined && before !== t) throw new Error(`ITF: variable ${key} is a ${before} in one state and a ${t} in another`);
      types.set(key, t);
    }
  }
  return types;
}

export function toItf(sys: System, cx: Counterexample, description: string): ItfTrace {
  // In a lasso the last state is the cycle's first again: ITF leaves it out (its successor is states[loop]).
  const lasso = cx.cycleStart !== undefined && cx.cycleStart < cx.steps.length;
  const views = (lasso ? cx.states.slice(0, -1) : cx.states).map((s) => typedView(stateView(sys, s)));
  const types = variableTypes(views);
  const vars = [...types.keys()].sort();
  // A variable with a value past 2^53 is a #bigint in every state.
  const unsafe = (x: Scalar | undefined) => typeof x === 'number' && !Number.isSafeInteger(x);
  const big = new Set(vars.filter((name) => views.some((v) => unsafe(v.get(name)))));
  const value = (name: string, v: Scalar | undefined): ItfValue => {
    const x = v ?? ZERO[types.get(name) ?? 'string'];
    return typeof x === 'number' && big.has(name) ? { '#bigint': BigInt(x).toString() } : x;
  };
  const states = views.map((v, i) => ({
    '#meta': { index: i, ...(i > 0 ? { action: cx.steps[i - 1]?.label ?? '' } : {}) },
    ...Object.fromEntries(vars.map((name) => [name, value(name, v.get(name))])),
  }));
  return {
    '#meta': { format: 'ITF', 'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html', source: 'kvmuf', description, path: cx.path },
    vars,
    states,
    ...(cx.cycleStart !== undefined ? { loop: cx.cycleStart } : {}),
  };
}
