/**
 * The liveness pass (Pearce-style SCCs judged as they close, scc.ts; the fair cycle,
 * fair-cycle.ts) against an oracle written the slow, obvious way: on random small graphs
 * with random fairness classes and a random ¬p set, a counterexample to `eventually(p)`
 * exists iff some state reachable from an initial state through ¬p states is terminal, or
 * lies in a component (mutual reachability inside that set, by transitive closure) with an
 * inner edge whose inner edges take every class enabled in all its states. Every reported
 * lasso is then walked on the graph: its cycle stays in ¬p, comes back to its first state
 * and is weakly fair.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check, eventually, graphModel, type GraphSpec } from '../../src/checker/index.ts';

interface RandomGraph {
  readonly edges: number[][];
  readonly fairness: number[][];
  readonly good: boolean[];
}

const graphs = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.record({
    edges: fc.array(fc.array(fc.nat({ max: n - 1 }), { maxLength: 3 }), { minLength: n, maxLength: n }),
    classes: fc.array(fc.array(fc.integer({ min: -1, max: 2 }), { minLength: 3, maxLength: 3 }), { minLength: n, maxLength: n }),
    good: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  }).map(({ edges, classes, good }): RandomGraph => ({ edges, fairness: edges.map((es, s) => es.map((_, i) => classes[s]![i]!)), good: good.map((g, s) => g && s !== 0) })),
);

function enabledClasses(g: RandomGraph, s: number): number {
  return g.fairness[s]!.reduce((m, c) => (c >= 0 ? m | (1 << c) : m), 0);
}

/** Whether eventually(good) fails from state 0, decided by closure (no SCC algorithm). */
function oracleFails(g: RandomGraph): boolean {
  const n = g.edges.length;
  const inR = new Array<boolean>(n).fill(false);
  const queue = [0];
  inR[0] = true;
  while (queue.length > 0) {
    const u = queue.shift()!;
    for (const v of g.edges[u]!) if (!inR[v] && !g.good[v]) (inR[v] = true), queue.push(v);
  }
  const reach = Array.from({ length: n }, (_, u) => Array.from({ length: n }, (_, v) => inR[u]! && inR[v]! && g.edges[u]!.includes(v)));
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (reach[i]![k] && reach[k]![j]) reach[i]![j] = true;
  for (let u = 0; u < n; u++) {
    if (!inR[u]) continue;
    if (g.edges[u]!.length === 0) return true;
    const members = [...Array(n).keys()].filter((v) => v === u || (reach[u]![v] && reach[v]![u]));
    let always = 0b111;
    let taken = 0;
    let inner = false;
    for (const w of members) {
      always &= enabledClasses(g, w);
      g.edges[w]!.forEach((v, i) => {
        if (!members.includes(v)) return;
        inner = true;
        const c = g.fairness[w]![i]!;
        if (c >= 0) taken |= 1 << c;
      });
    }
    if (inner && (always & ~taken) === 0) return true;
  }
  return false;
}

function specOf(g: RandomGraph): GraphSpec {
  const terminals = g.edges.flatMap((es, s) => (es.length === 0 ? [s] : []));
  return { initial: [0], edges: g.edges, fairness: g.fairness, endStates: terminals, properties: [eventually('p', (s) => g.good[s] === true)] };
}

describe('liveness pass against a closure oracle', () => {
  it('finds a counterexample exactly when one exists, and every lasso it reports is a weakly fair ¬p cycle', () => {
    fc.assert(
      fc.property(graphs, (g) => {
        const r = check(graphModel(specOf(g)));
        expect(r.liveness).toBe('checked');
        const f = r.failures.find((x) => x.kind === 'liveness');
        expect(f !== undefined).toBe(oracleFails(g));
        if (f?.kind !== 'liveness') return;
        let s = 0;
        for (const a of f.lasso.prefix.actions) s = g.edges[s]![a]!;
        const start = s;
        let always = enabledClasses(g, s);
        let taken = 0;
        for (const a of f.lasso.cycle) {
          expect(g.good[s]).toBe(false);
          const c = g.fairness[s]![a]!;
          if (c >= 0) taken |= 1 << c;
          s = g.edges[s]![a]!;
          always &= enabledClasses(g, s);
        }
        expect(g.good[s]).toBe(false);
        if (f.lasso.cycle.length === 0) expect(g.edges[s]!.length).toBe(0);
        else {
          expect(s).toBe(start);
          expect(always & ~taken).toBe(0);
        }
      }),
      { numRuns: 2000, seed: 20261201 },
    );
  });
});
