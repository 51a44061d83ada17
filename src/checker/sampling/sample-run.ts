/**
 * One sampled run over a {@link Model}: from the first initial state, a chooser picks one
 * enabled action per step until no action is enabled, a property fails, the step bound is
 * reached or the chooser stops. Checked along the run as the exhaustive search checks each
 * state: every `always` property at every state (the initial one included), and a deadlock
 * (nothing enabled in a state that is not a declared end state). `eventually` properties
 * are not decided: a finite run cannot show that something never happens.
 *
 * The run records the index of each choice in the list of enabled actions, which is the
 * checker's path format (`0/i1/i2…`): `kvmuf replay` re-runs it.
 */
import type { Model } from '../model.ts';

export type RunEnding =
  /** Nothing enabled in a declared end state. */
  | 'end'
  | 'deadlock'
  | 'violation'
  /** The step bound was reached with actions still enabled. */
  | 'max-steps'
  /** The chooser ran out of choices (a replayed prefix) or the run was interrupted. */
  | 'stopped';

export interface RunOutcome {
  readonly ending: RunEnding;
  /** Index of each choice among the enabled actions at its step. */
  readonly choices: readonly number[];
  /** The `always` property that failed (ending 'violation'). */
  readonly property?: string;
}

/** Picks the index of the action to take among `enabled` (their threads), or undefined to stop. */
export type Chooser = (threads: readonly number[], step: number) => number | undefined;

export interface RunOptions<S, A> {
  readonly maxSteps: number;
  /** The thread that performs an action (what schedulers and preemption counts see). */
  readonly threadOf: (state: S, action: A) => number;
  /** Told every state reached (the initial one first) and the choices that led to it, before it is expanded. */
  readonly onState?: (state: S, choices: readonly number[]) => void;
  /** Told every action taken, with the state it is taken in. */
  readonly onAction?: (state: S, action: A) => void;
  readonly signal?: { readonly aborted: boolean };
}

export function sampleRun<S, A>(model: Model<S, A>, choose: Chooser, o: RunOptions<S, A>): RunOutcome {
  const always = model.properties().filter((p) => p.kind === 'always');
  const choices: number[] = [];
  const acts: A[] = [];
  let s = model.initialStates()[0] as S;
  for (let step = 0; ; step++) {
    o.onState?.(s, choices);
    const failed = always.find((p) => !p.condition(s));
    if (failed) return { ending: 'violation', choices, property: failed.name };
    acts.length = 0;
    model.actions(s, acts);
    if (acts.length === 0) return { ending: model.isEndState?.(s) === true ? 'end' : 'deadlock', choices };
    if (step >= o.maxSteps) return { ending: 'max-steps', choices };
    if (o.signal?.aborted) return { ending: 'stopped', choices };
    const k = choose(acts.map((a) => o.threadOf(s, a)), step + 1);
    if (k === undefined) return { ending: 'stopped', choices };
    const a = acts[k] as A;
    choices.push(k);
    o.onAction?.(s, a);
    s = model.next(s, a);
  }
}

/** A chooser that replays `choices`, each taken modulo the number enabled, then stops. */
export function replayChooser(choices: readonly number[]): Chooser {
  return (threads, step) => {
    const c = choices[step - 1];
    return c === undefined ? undefined : c % threads.length;
  };
}
