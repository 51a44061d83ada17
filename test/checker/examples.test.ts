/**
 * The example models pin their state counts: a change in the checker's semantics (or
 * the model's) shows up as a changed number. Each number is derived in the example's
 * doc comment; where cheap, it is also cross-checked here by brute force.
 */
import { describe, expect, it } from 'vitest';
import { check, formatPath, replay, type Failure } from '../../src/checker/index.ts';
import { dieHard } from '../../src/examples/die-hard.ts';
import { peterson } from '../../src/examples/peterson.ts';
import { twoPhaseCommit } from '../../src/examples/two-phase-commit.ts';

/** Independent reachability over a packed model: a Set of comma-joined words. */
function bruteForceCount(m: ReturnType<typeof peterson>): number {
  const seen = new Set<string>();
  const queue = m.initialStates().map((s) => s.slice());
  for (const s of queue) seen.add(s.join());
  for (let h = 0; h < queue.length; h++) {
    const s = queue[h]!;
    for (let k = 0; k < m.actionCount(s); k++) {
      const out = new Uint32Array(m.width);
      m.next(s, k, out);
      if (!seen.has(out.join())) seen.add(out.join()), queue.push(out);
    }
  }
  return seen.size;
}

describe('die hard', () => {
  it('has 16 states and the 6-step solution as shortest counterexample', () => {
    const r = check(dieHard());
    const f = r.failures[0];
    expect(f?.kind).toBe('invariant');
    if (f?.kind !== 'invariant') return;
    expect(f.trace.labels).toEqual([
      'fillBig',
      'pourBigIntoSmall',
      'emptySmall',
      'pourBigIntoSmall',
      'fillBig',
      'pourBigIntoSmall',
    ]);
    const states = replay(dieHard(), f.trace);
    expect(states[states.length - 1]).toEqual({ small: 3, big: 4 });
    expect(check(dieHard(), { stopAtFirst: false }).stats.distinct).toBe(16);
  });
});

describe('two-phase commit', () => {
  it.each([
    [2, 56, 34],
    [3, 288, 80],
    [4, 1568, 166],
  ])('%i RMs: 4^N + 2^N + 6^N = %i states, %i up to symmetry', (n, full, sym) => {
    const r = check(twoPhaseCommit(n));
    expect(r.status).toBe('pass');
    expect(r.stats.distinct).toBe(full);
    expect(r.stats.distinct).toBe(4 ** n + 2 ** n + 6 ** n);
    expect(r.witnesses.map((w) => w.property)).toEqual(['commit happens', 'abort happens']);
    expect(r.coverage.neverFired).toEqual([]);
    const s = check(twoPhaseCommit(n, { symmetry: true }));
    expect(s.symmetry).toBe(true);
    expect(s.stats.distinct).toBe(sym);
    // the same number from the fingerprint-free exact mode
    expect(check(twoPhaseCommit(n), { exact: true }).stats.distinct).toBe(full);
  });

  it('the shortest commit witness has 3N + 1 steps and replays', () => {
    const r = check(twoPhaseCommit(3));
    const w = r.witnesses.find((x) => x.property === 'commit happens')!;
    // N prepares, N receipts by the TM, the commit, N commit receipts: 3N + 1.
    expect(w.trace.actions.length).toBe(10);
    expect(replay(twoPhaseCommit(3), w.trace).length).toBe(11);
  });
});

describe('peterson', () => {
  it('is safe and live under weak fairness, 20 states (brute force agrees)', () => {
    const r = check(peterson());
    expect(r.status).toBe('pass');
    expect(r.liveness).toBe('checked');
    expect(r.stats.distinct).toBe(20);
    expect(bruteForceCount(peterson())).toBe(20);
  });

  it('the naive flag protocol livelocks: both threads spin forever (15 states)', () => {
    const r = check(peterson('naive'));
    expect(r.stats.distinct).toBe(15);
    expect(bruteForceCount(peterson('naive'))).toBe(15);
    const f = r.failures.find((x): x is Extract<Failure, { kind: 'liveness' }> => x.kind === 'liveness');
    expect(f).toBeDefined();
    if (f === undefined) return;
    expect(formatPath(f.lasso.prefix)).toBe('0/0/0/1/1');
    expect(f.lasso.cycleLabels).toEqual(['spin(t0)', 'spin(t1)']);
  });
});
