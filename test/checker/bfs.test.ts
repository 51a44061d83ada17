import { describe, expect, it } from 'vitest';
import { always, check, formatPath, formatSummary, graphModel, replay, sometimes } from '../../src/checker/index.ts';

describe('BFS on hand-drawn graphs', () => {
  // 0 → 1 → 2 → 3 → 4 → BAD(9) is long; 0 → 5 → 9 is short. BFS must return 0/1/0.
  const g = graphModel({
    initial: [0],
    edges: [[1, 5], [2], [3], [4], [9], [6, 9], [], [], [], []],
    endStates: [6, 9],
    properties: [always('not 9', (s) => s !== 9)],
  });

  it('returns the shortest counterexample, which replays', () => {
    const r = check(g);
    expect(r.status).toBe('fail');
    const f = r.failures[0];
    expect(f?.kind).toBe('invariant');
    if (f?.kind !== 'invariant') return;
    expect(formatPath(f.trace)).toBe('0/1/1');
    expect(f.trace.labels).toEqual(['go(0->5)', 'go(5->9)']);
    const states = replay(g, f.trace);
    expect(states).toEqual([0, 5, 9]);
  });

  it('counts states on a passing graph and reports a summary', () => {
    const ok = graphModel({
      initial: [0],
      edges: [[1, 2], [3], [3], [0]],
      properties: [always('small', (s) => s < 4), sometimes('reach 3', (s) => s === 3)],
    });
    const r = check(ok);
    expect(r.status).toBe('pass');
    expect(r.stats.distinct).toBe(4);
    expect(r.stats.generated).toBe(5);
    expect(r.stats.depth).toBe(2);
    expect(r.stats.queueLeft).toBe(0);
    expect(r.witnesses.map((w) => formatPath(w.trace))).toEqual(['0/0/0']);
    expect(formatSummary(r)).toMatch(/5 states generated, 4 distinct states found, 0 states left on queue/);
  });

  it('reports an unwitnessed sometimes as a failure', () => {
    const r = check(
      graphModel({ initial: [0], edges: [[1], [0]], properties: [sometimes('reach 7', (s) => s === 7)] }),
    );
    expect(r.status).toBe('fail');
    expect(r.failures).toEqual([{ kind: 'unwitnessed', property: 'reach 7' }]);
  });

  it('finds a violation in an initial state with an empty path', () => {
    const r = check(graphModel({ initial: [3, 9], edges: [], properties: [always('not 9', (s) => s !== 9)], endStates: [3, 9] }));
    const f = r.failures[0];
    expect(f?.kind === 'invariant' && formatPath(f.trace)).toBe('1');
  });
});

describe('deadlocks and end states', () => {
  it('reports a terminal state that is not an end state, with a shortest trace', () => {
    // 0 → 1 → 2 (end), 0 → 3 → 4 (stuck), 0 → 5 → 6 → 4
    const r = check(graphModel({ initial: [0], edges: [[1, 3, 5], [2], [], [4], [], [6], [4]], endStates: [2] }));
    expect(r.status).toBe('fail');
    const f = r.failures[0];
    expect(f?.kind).toBe('deadlock');
    if (f?.kind === 'deadlock') expect(formatPath(f.trace)).toBe('0/1/0');
  });

  it('accepts terminal states declared as end states', () => {
    const r = check(graphModel({ initial: [0], edges: [[1, 2], [], []], endStates: [1, 2] }));
    expect(r.status).toBe('pass');
    expect(r.failures).toEqual([]);
  });

  it('can switch deadlock detection off', () => {
    const r = check(graphModel({ initial: [0], edges: [[1]] }), { deadlock: false });
    expect(r.status).toBe('pass');
  });
});
