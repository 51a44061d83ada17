import { describe, expect, it } from 'vitest';
import { check, eventually, formatPath, graphModel, leadsTo, replay } from '../../src/checker/index.ts';
import type { Failure } from '../../src/checker/index.ts';

function livenessFailure(failures: readonly Failure[]): Extract<Failure, { kind: 'liveness' }> | undefined {
  const f = failures.find((x) => x.kind === 'liveness');
  return f?.kind === 'liveness' ? f : undefined;
}

describe('liveness under weak fairness', () => {
  it('reports a fair cycle: a thread retries forever while progress is only intermittently enabled', () => {
    // 0 --retry(A)--> 1 --retry(A)--> 0 ; 0 --resolve(B)--> 2 (done).
    // B is enabled in 0 but not in 1, so it is not continuously enabled along 0→1→0:
    // weak fairness does not force it, and the retry loop postpones "resolved" forever.
    const m = graphModel({
      initial: [0],
      edges: [[1, 2], [0], []],
      fairness: [[0, 1], [0], []],
      kinds: [['retry', 'resolve'], ['retry'], []],
      endStates: [2],
      properties: [eventually('resolved', (s) => s === 2)],
    });
    const r = check(m);
    expect(r.liveness).toBe('checked');
    const f = livenessFailure(r.failures);
    expect(f).toBeDefined();
    if (f === undefined) return;
    expect(formatPath(f.lasso.prefix)).toBe('0');
    expect(f.lasso.cycle).toEqual([0, 0]);
    expect(f.lasso.cycleLabels).toEqual(['retry(0->1)', 'retry(1->0)']);
  });

  it('does not report an unfair cycle: progress continuously enabled must be taken', () => {
    // 0 --retry(A)--> 0 ; 0 --resolve(B)--> 2. B is enabled in every state of the loop.
    const m = graphModel({
      initial: [0],
      edges: [[0, 2], [], []],
      fairness: [[0, 1], [], []],
      endStates: [2],
      properties: [eventually('resolved', (s) => s === 2)],
    });
    const r = check(m);
    expect(r.status).toBe('pass');
    expect(r.liveness).toBe('checked');
  });

  it('without fairness classes the same self-loop is a counterexample', () => {
    const m = graphModel({
      initial: [0],
      edges: [[0, 2], [], []],
      endStates: [2],
      properties: [eventually('resolved', (s) => s === 2)],
    });
    const f = livenessFailure(check(m).failures);
    expect(f?.lasso.cycle).toEqual([0]);
  });

  it('reports a terminal state that never satisfies the property (empty cycle)', () => {
    const m = graphModel({
      initial: [0],
      edges: [[1, 2], [], []],
      fairness: [[0, 0], [], []],
      endStates: [1, 2],
      properties: [eventually('at 2', (s) => s === 2)],
    });
    const f = livenessFailure(check(m).failures);
    expect(f && formatPath(f.lasso.prefix)).toBe('0/0');
    expect(f?.lasso.cycle).toEqual([]);
  });

  it('leadsTo: a pending request stuck in a fair retry loop is found, and the lasso replays', () => {
    // 0 idle → 1 pending; 1 --handle(H)--> 2 → 0; 1 --exit(V)--> 3 --retry(V)--> 1.
    // The handler is disabled in 3, so the V loop 1→3→1 is fair.
    const edges = [[1], [2, 3], [0], [1]];
    const fairness = [[0], [1, 0], [1], [0]];
    const m = graphModel({
      initial: [0],
      edges,
      fairness,
      properties: [leadsTo('pending is handled', (s) => s === 1 || s === 3, (s) => s === 2)],
    });
    const r = check(m);
    const f = livenessFailure(r.failures);
    expect(f).toBeDefined();
    if (f === undefined) return;
    expect(formatPath(f.lasso.prefix)).toBe('0/0');
    expect(f.lasso.cycle).toEqual([1, 0]);
    const states = replay(m, f.lasso.prefix);
    expect(states[states.length - 1]).toBe(1);

    // If the handler is also enabled in 3, the loop is unfair and the property holds.
    const fixed = graphModel({
      initial: [0],
      edges: [[1], [2, 3], [0], [1, 2]],
      fairness: [[0], [1, 0], [1], [0, 1]],
      properties: [leadsTo('pending is handled', (s) => s === 1 || s === 3, (s) => s === 2)],
    });
    expect(check(fixed).status).toBe('pass');
  });

  it('a cycle is fair when the fair-cycle classes are taken across several states', () => {
    // Two threads alternate in a ring 0→1→2→0 (A: 0→1, B: 1→2, A: 2→0); both are
    // continuously enabled only in part, and both are taken: a fair cycle avoiding 3.
    const m = graphModel({
      initial: [0],
      edges: [[1, 3], [2], [0], []],
      fairness: [[0, 2], [1], [0], []],
      endStates: [3],
      properties: [eventually('reach 3', (s) => s === 3)],
    });
    const f = livenessFailure(check(m).failures);
    expect(f?.lasso.cycle.length).toBe(3);
  });

  it('refuses symmetry when liveness is checked, and says so', () => {
    const m = {
      ...graphModel({ initial: [0], edges: [[0]], properties: [eventually('never', () => false)] }),
      representative: (s: number) => s,
    };
    const r = check(m);
    expect(r.symmetry).toBe(false);
    expect(r.notes.join('\n')).toMatch(/symmetry reduction disabled.*liveness/);
  });

  it('skips liveness above maxLivenessStates and reports incomplete', () => {
    const m = graphModel({ initial: [0], edges: [[1], [2], [0]], properties: [eventually('x', (s) => s === 2)] });
    const r = check(m, { maxLivenessStates: 2 });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete?.limit).toBe('liveness-size');
  });
});
