/**
 * One spec machine's transitions as a table over abstract-state ids: for each abstract
 * state, the id each event leads to (or -1: the event is not enabled there). Every row is
 * computed once, by XState's own `transition()` from the abstract state (value and the
 * whole context, so guards on context see the values the abstraction gave): the table is
 * a memo of the machine, never a second definition of it. The rows of the states the
 * machine reaches from its initial state are filled when the table is built; a row for
 * any other abstract state the implementation shows (one entered while the binding did
 * not apply, say) is filled the first time it is needed.
 */
import { transition, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { AbstractIds } from './abstract-ids.ts';
import type { AbstractState } from './abstractions.ts';

const NONE = -1;

export class SpecTable {
  readonly ids = new AbstractIds();
  private readonly rows: (Int32Array | undefined)[] = [];

  constructor(
    private readonly machine: AnyStateMachine,
    readonly events: readonly EventObject[],
    initial?: AbstractState,
  ) {
    if (initial === undefined) return;
    // Breadth-first from the initial state: each row interns the states it leads to.
    this.ids.idOf(initial);
    for (let id = 0; id < this.ids.size; id++) this.row(id);
  }

  /** The first event (index into `events`) that leads from `from` to `to`, or -1. */
  eventBetween(from: number, to: number): number {
    const row = this.row(from);
    for (let e = 0; e < row.length; e++) if (row[e] === to) return e;
    return NONE;
  }

  /** The id event `e` leads to from `from`, or -1. */
  target(from: number, e: number): number {
    return this.row(from)[e] ?? NONE;
  }

  private row(from: number): Int32Array {
    const known = this.rows[from];
    if (known !== undefined) return known;
    const a = this.ids.states[from] as AbstractState;
    const snap = this.machine.resolveState({ value: a.value, context: a.context });
    const row = new Int32Array(this.events.length).fill(NONE);
    this.events.forEach((e, i) => {
      const [n] = transition(this.machine, snap, e);
      if (n !== snap) row[i] = this.ids.idOf(snapshotState(n));
    });
    this.rows[from] = row;
    return row;
  }
}

export function snapshotState(s: AnyMachineSnapshot): AbstractState {
  return { value: String(s.value), context: s.context as Record<string, unknown> };
}
