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
   * Keep only events the snapshot `can` handle (default true). With false every listed
   * event is an action, and ignored events become self-loops (as in `xstate/graph`).
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
  return {
    initialStates: () => [start()],
    actions: (s: Snap, out: Ev[]) => {
      const snap = s as unknown as { status: string; can(e: Ev): boolean };
      if (snap.status !== 'active') return;
      for (const e of options.events(s)) if (!onlyEnabled || snap.can(e)) out.push(e);
    },
    next: (s: Snap, e: Ev) => transition(machine, s, e)[0] as Snap,
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
