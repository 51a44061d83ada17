/**
 * Property tests: the checker against a brute-force reference on random small graphs.
 * The seed is fixed so CI is reproducible; fast-check prints it with any failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { always, check, eventually, graphModel, replay } from '../../src/checker/index.ts';

const SEED = 20261121;

const graphArb = fc
  .integer({ min: 1, max: 14 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      initial: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: 3 }),
      edges: fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }), { minLength: n, maxLength: n }),
      target: fc.integer({ min: 0, max: n - 1 }),
      ends: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }),
    }),
  );

/** Plain BFS distances from the initial states (−1: unreachable). */
function distances(n: number, initial: readonly number[], edges: readonly (readonly number[])[]): number[] {
  const d = new Array<number>(n).fill(-1);
  const q: number[] = [];
  for (const i of initial) if (d[i] === -1) (d[i] = 0), q.push(i);
  for (let h = 0; h < q.length; h++) {
    const u = q[h]!;
    for (const v of edges[u] ?? []) if (d[v] === -1) (d[v] = d[u]! + 1), q.push(v);
  }
  return d;
}

describe('checker vs brute force on random graphs', () => {
  it('same reachable set size, exact or fingerprinted', () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const want = distances(g.n, g.initial, g.edges).filter((x) => x >= 0).length;
        const m = graphModel({ initial: g.initial, edges: g.edges });
        expect(check(m, { deadlock: false }).stats.distinct).toBe(want);
        expect(check(m, { deadlock: false, exact: true }).stats.distinct).toBe(want);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('same shortest path length to a target, and the trace replays to it', () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const d = distances(g.n, g.initial, g.edges)[g.target]!;
        const m = graphModel({
          initial: g.initial,
          edges: g.edges,
          properties: [always('avoid target', (s) => s !== g.target)],
        });
        const r = check(m, { deadlock: false });
        const f = r.failures.find((x) => x.kind === 'invariant');
        if (d < 0) {
          expect(f).toBeUndefined();
          return;
        }
        expect(f?.kind).toBe('invariant');
        if (f?.kind !== 'invariant') return;
        expect(f.trace.actions.length).toBe(d);
        const states = replay(m, f.trace);
        expect(states[states.length - 1]).toBe(g.target);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('finds a deadlock iff a reachable non-end state has no successor, at minimal depth', () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const d = distances(g.n, g.initial, g.edges);
        const ends = new Set(g.ends);
        const stuck = d
          .map((dist, s) => ({ dist, s }))
          .filter(({ dist, s }) => dist >= 0 && (g.edges[s] ?? []).length === 0 && !ends.has(s));
        const r = check(graphModel({ initial: g.initial, edges: g.edges, endStates: g.ends }));
        const f = r.failures.find((x) => x.kind === 'deadlock');
        expect(f !== undefined).toBe(stuck.length > 0);
        if (f?.kind === 'deadlock') {
          expect(f.trace.actions.length).toBe(Math.min(...stuck.map((x) => x.dist)));
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('eventually (no fairness) fails iff a ¬p cycle or terminal ¬p state is reachable through ¬p states', () => {
    fc.assert(
      fc.property(graphArb, (g) => {
        const p = (s: number): boolean => s === g.target;
        // Reference: states reachable from initial through ¬p; a violation exists iff one
        // of them is terminal or lies on a cycle of ¬p states within that set.
        const reach = new Set<number>();
        const stack = g.initial.filter((s) => !p(s));
        for (const s of stack) reach.add(s);
        while (stack.length > 0) {
          const u = stack.pop()!;
          for (const v of g.edges[u] ?? []) if (!p(v) && !reach.has(v)) reach.add(v), stack.push(v);
        }
        const onCycle = (s: number): boolean => {
          const seen = new Set<number>();
          const st = [...(g.edges[s] ?? [])].filter((v) => reach.has(v));
          while (st.length > 0) {
            const u = st.pop()!;
            if (u === s) return true;
            if (seen.has(u)) continue;
            seen.add(u);
            for (const v of g.edges[u] ?? []) if (reach.has(v)) st.push(v);
          }
          return false;
        };
        const want = [...reach].some((s) => (g.edges[s] ?? []).length === 0 || onCycle(s));
        const r = check(
          graphModel({ initial: g.initial, edges: g.edges, properties: [eventually('reach target', p)] }),
          { deadlock: false },
        );
        expect(r.failures.some((f) => f.kind === 'liveness')).toBe(want);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
