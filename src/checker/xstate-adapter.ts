/**
 * Explores an XState v5 machine with the checker, stepping XState's own pure transition
 * API (`initialTransition`, `transition`): the states are real snapshots, and the state
 * identity is a canonical serialization of `snapshot.value` and `snapshot.context`
 * (canonical.ts), encoded as words. For small-bound cross-checks against `xstate/graph`;
 * it runs at XState's speed, not the packed explorer's.
 */
import { initialTransition, transition, type AnyStateMachine, type EventFromLogic, type SnapshotFrom } from 'xstate';
import { canonicalString, pushString } from './canonical.ts';
import type { Model } from './model.ts';
import type { Property } from './property.ts';

export interface XStateModelOptions<M extends AnyStateMachine> {
  /** The events to try in a snapshot, in a fixed order. */
  readonly events: (snapshot: SnapshotFrom<M>) => readonly EventFromLogic<M>[];
  /**
   * Keep only events that change the snapshot (default true): XState's `transition`
   * returns the very same snapshot object for an event that no enabled transition
   * handles (unknown, or all guards false). With false every listed event is an action,
   * and ignored events become self-loops (as in `xstate/graph`).
   */
  readonly onlyEnabled?: boolean;
  readonly properties?: readonly Property<SnapshotFrom<M>>[];
  readonly input?: unknown;
}

/** The canonical identity string of a snapshot: value and context. */
export function snapshotKey(snapshot: { value: unknown; context: unknown }): string {
  return canonicalString({ value: snapshot.value, context: snapshot.context });
}

export function xstateModel<M extends AnyStateMachine>(
  machine: M,
  options: XStateModelOptions<M>,
): Model<SnapshotFrom<M>, EventFromLogic<M>> {
  type Snap = SnapshotFrom<M>;
  type Ev = EventFromLogic<M>;
  const onlyEnabled = options.onlyEnabled ?? true;
  const start = (): Snap => {
    const run = initialTransition as (logic: M, input?: unknown) => [Snap, unknown[]];
    return run(machine, options.input)[0];
  };
  // actions() computes every successor once and caches them for next(): the checker
  // calls next(s, e) for the actions of the state it last listed.
  let lastState: Snap | undefined;
  let lastEvents: Ev[] = [];
  let lastNext: Snap[] = [];
  const step = (s: Snap, e: Ev): Snap => transition(machine, s, e)[0] as Snap;
  return {
    initialStates: () => [start()],
    actions: (s: Snap, out: Ev[]) => {
      lastState = s;
      lastEvents = [];
      lastNext = [];
      if ((s as unknown as { status: string }).status !== 'active') return;
      for (const e of options.events(s)) {
        const n = step(s, e);
        if (onlyEnabled && n === s) continue;
        out.push(e);
        lastEvents.push(e);
        lastNext.push(n);
      }
    },
    next: (s: Snap, e: Ev) => {
      if (s === lastState) {
        const i = lastEvents.indexOf(e);
        if (i >= 0) return lastNext[i]!;
      }
      return step(s, e);
    },
    formatAction: (_s: Snap, e: Ev) => {
      const { type, ...rest } = e as { type: string };
      return Object.keys(rest).length === 0 ? type : `${type}(${canonicalString(rest)})`;
    },
    actionKind: (_s: Snap, e: Ev) => (e as { type: string }).type,
    encode: (s: Snap, out) => pushString(snapshotKey(s as unknown as { value: unknown; context: unknown }), out),
    properties: () => options.properties ?? [],
    isEndState: (s: Snap) => (s as unknown as { status: string }).status === 'done',
  };
}
