/**
 * Context bounding as a model wrapper (Musuvathi and Qadeer, "Iterative Context Bounding
 * for Systematic Testing of Multithreaded Programs", PLDI 2007). A preemption is a switch
 * away from a thread that could still have moved; switching when the last thread is
 * blocked or finished is free. The wrapped state carries the last thread and the
 * preemptions used, and an action that would exceed the bound is not enabled, so the
 * unchanged search explores exactly the runs with at most `bound` preemptions. Because
 * running the last thread again is always free, the bound never creates a deadlock the
 * model does not have.
 *
 * Safety only: the bound cuts behaviours, so no liveness and no symmetry under it.
 */
import { kindOfName } from '../action-kinds.ts';
import type { Model } from '../model.ts';
import type { Property } from '../property.ts';

export interface Bounded<S> {
  readonly inner: S;
  /** The thread of the last action (-1 at the start). */
  readonly last: number;
  readonly used: number;
}

export interface BoundedAction<A> {
  readonly action: A;
  /** Its index among the inner model's enabled actions. */
  readonly index: number;
  readonly preempts: boolean;
}

export interface PreemptionBoundedModel<S, A> extends Model<Bounded<S>, BoundedAction<A>> {
  /** Actions left out so far because they would exceed the bound (0: the bound cut nothing). */
  pruned(): number;
}

function lift<S>(p: Property<S>): Property<Bounded<S>> {
  const trigger = p.trigger;
  return { kind: p.kind, name: p.name, condition: (b) => p.condition(b.inner), ...(trigger ? { trigger: (b: Bounded<S>) => trigger(b.inner) } : {}) };
}

export function preemptionBounded<S, A>(model: Model<S, A>, bound: number, threadOf: (state: S, action: A) => number): PreemptionBoundedModel<S, A> {
  let pruned = 0;
  const inner: A[] = [];
  const properties = model.properties().filter((p) => p.kind !== 'eventually').map(lift);
  return {
    initialStates: () => model.initialStates().map((s) => ({ inner: s, last: -1, used: 0 })),
    actions(b, out) {
      inner.length = 0;
      model.actions(b.inner, inner);
      const lastEnabled = b.last >= 0 && inner.some((a) => threadOf(b.inner, a) === b.last);
      inner.forEach((action, index) => {
        const preempts = lastEnabled && threadOf(b.inner, action) !== b.last;
        if (preempts && b.used >= bound) pruned++;
        else out.push({ action, index, preempts });
      });
    },
    next: (b, x) => ({ inner: model.next(b.inner, x.action), last: threadOf(b.inner, x.action), used: b.used + (x.preempts ? 1 : 0) }),
    formatAction: (b, x) => model.formatAction(b.inner, x.action),
    actionKind: (b, x) => model.actionKind?.(b.inner, x.action) ?? kindOfName(model.formatAction(b.inner, x.action)),
    ...(model.actionKinds ? { actionKinds: model.actionKinds } : {}),
    encode(b, out) {
      model.encode(b.inner, out);
      out.push(b.last + 1);
      out.push(b.used);
    },
    properties: () => properties,
    isEndState: (b) => model.isEndState?.(b.inner) ?? false,
    pruned: () => pruned,
  };
}
