/**
 * The explorer's side of partial-order reduction (Model.ample, bfs.ts porRest): the BFS
 * cycle proviso is what keeps an action from being ignored around a cycle of reduced
 * states (the "ignoring problem"), and without it a violation is missed.
 *
 * The model: thread A toggles x between 0 and 1 forever (invisible: no property reads x);
 * thread B sets y to 1 once, which violates `y stays 0`. A and B touch different
 * variables, so {A} satisfies C0–C2 in every state where A is enabled (all of them). The
 * reduced graph from (0,0): A to (1,0), then A back to (0,0) — a cycle of reduced states
 * on which B is never taken unless the proviso forces a full expansion.
 */
import { describe, expect, it } from 'vitest';
import { always, check, type Model } from '../../src/checker/index.ts';

interface Toy {
  readonly x: number;
  readonly y: number;
}

function toy(options: { cycleFreeLie?: boolean } = {}): Model<Toy, 'A' | 'B'> {
  return {
    initialStates: () => [{ x: 0, y: 0 }],
    actions: (s, out) => {
      out.push('A');
      if (s.y === 0) out.push('B');
    },
    next: (s, a) => (a === 'A' ? { ...s, x: 1 - s.x } : { ...s, y: 1 }),
    formatAction: (_s, a) => a,
    encode: (s, out) => {
      out.push(s.x);
      out.push(s.y);
    },
    properties: () => [always('y stays 0', (s) => s.y === 0)],
    isEndState: () => true,
    // {A}: the first action, in every state.
    ample: () => [0],
    ...(options.cycleFreeLie ? { ampleCycleFree: true } : {}),
  };
}

describe('partial-order reduction in the explorer', () => {
  it('the BFS proviso expands fully where the ample successor is not new, and the violation is found', () => {
    const r = check(toy(), { liveness: false });
    expect(r.status).toBe('fail');
    expect(r.failures.map((f) => (f.kind === 'invariant' ? f.property : f.kind))).toEqual(['y stays 0']);
    // (0,0) reduced (its A-successor (1,0) is new); (1,0) falls back: A leads back to (0,0).
    expect(r.partialOrder).toEqual({ reducedExpansions: 1, provisoFallbacks: 1 });
  });

  it('a model that wrongly claims its ample actions form no cycle loses the violation (what the proviso prevents)', () => {
    const r = check(toy({ cycleFreeLie: true }), { liveness: false });
    expect(r.status).toBe('pass');
    expect(r.stats.distinct).toBe(2);
  });

  it('unreduced, or with liveness on, the model’s ample sets are not used', () => {
    const full = check(toy(), { liveness: false, partialOrder: false });
    expect(full.partialOrder).toBeUndefined();
    expect(full.status).toBe('fail');
    const live = check(toy({ cycleFreeLie: true }), { liveness: true });
    expect(live.partialOrder).toBeUndefined();
    expect(live.status).toBe('fail');
  });
});
