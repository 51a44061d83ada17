/**
 * The packed post-copy model wrapped as an XState v5 machine, so `xstate/graph`, the
 * XState adapter and the packed explorer can all explore the *same* transition system:
 * one state node whose context holds the words, and one event `{ type: 'step', k }` per
 * enabled action k, applied by running the packed model's `next`.
 */
import { assign, setup } from 'xstate';
import type { PackedModel } from '../checker/model.ts';

export interface PostcopyContext {
  readonly w: readonly number[];
}
export type PostcopyEvent = { readonly type: 'step'; readonly k: number };

export function postcopyMachine(model: PackedModel) {
  const count = (w: readonly number[]): number => model.actionCount(Uint32Array.from(w));
  const step = (w: readonly number[], k: number): number[] => {
    const s = Uint32Array.from(w);
    model.actionCount(s); // the packed calling contract: count first, then next
    const out = new Uint32Array(model.width);
    model.next(s, k, out);
    return Array.from(out);
  };
  const initial = model.initialStates()[0];
  if (initial === undefined) throw new Error('packed model has no initial state');
  return setup({
    types: {} as { context: PostcopyContext; events: PostcopyEvent },
  }).createMachine({
    id: 'postcopy',
    context: { w: Array.from(initial) },
    on: {
      step: {
        guard: ({ context, event }) => event.k < count(context.w),
        actions: assign({ w: ({ context, event }) => step(context.w, event.k) }),
      },
    },
  });
}

/** The events to try in a snapshot: one per enabled action. */
export function postcopyEvents(model: PackedModel) {
  return (snapshot: { context: PostcopyContext }): PostcopyEvent[] => {
    const n = model.actionCount(Uint32Array.from(snapshot.context.w));
    return Array.from({ length: n }, (_, k) => ({ type: 'step' as const, k }));
  };
}
