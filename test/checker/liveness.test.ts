import { describe, expect, it } from 'vitest';
import { getHeapStatistics } from 'node:v8';
import { always, check, eventually, formatPath, formatSummary, graphModel, leadsTo, replay } from '../../src/checker/index.ts';
import { LIVENESS_PASS_BYTES_PER_STATE, livenessRefusal, memoryAvailable } from '../../src/checker/memory-budget.ts';
import { resolveOptions } from '../../src/checker/options.ts';
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
    expect(r.safety).toBe('complete');
  });
});

describe('liveness limits: safety still reported complete', () => {
  // 0 → 1 → 2 → 0; eventually(2) holds on the only behaviour, and no invariant fails.
  const ring = () => graphModel({ initial: [0], edges: [[1], [2], [0]], properties: [eventually('x', (s) => s === 2)] });

  it('above maxLivenessStates: status incomplete, but the result and summary say safety finished', () => {
    const r = check(ring(), { maxLivenessStates: 2 });
    expect(r.status).toBe('incomplete');
    expect(r.safety).toBe('complete');
    expect(r.liveness).toBe('skipped');
    expect(r.incomplete?.message).toBe('safety: complete (every invariant holds in all 3 reachable states); liveness: not checked (3 states exceed maxLivenessStates 2)');
    expect(formatSummary(r)).toMatch(/^status: incomplete: safety: complete \(every invariant holds in all 3 reachable states\); liveness: not checked \(3 states exceed/);
  });

  it('when the pass would not fit in memory (maxMemoryBytes below what the process already uses)', () => {
    const r = check(ring(), { maxMemoryBytes: 1 });
    expect(r).toMatchObject({ status: 'incomplete', safety: 'complete', liveness: 'skipped', incomplete: { limit: 'liveness-memory' } });
    expect(r.incomplete?.message).toMatch(/^safety: complete .*; liveness: not checked \(at 3 states the liveness pass needs 0 MB beside its \d+ MB graph, and 0 MB of memory is left under the limit; raise the memory limit/);
  });

  it('with memory to spare there is no fixed state cap: liveness is checked', () => {
    const r = check(ring(), { maxMemoryBytes: 2 ** 50 });
    expect(r).toMatchObject({ status: 'pass', safety: 'complete', liveness: 'checked' });
  });

  it('drops the graph during a search that outgrows memory, and the safety search still finishes', () => {
    // A ring of 5000 states: the budget is polled every 1024 expanded states.
    const n = 5000;
    const big = graphModel({ initial: [0], edges: Array.from({ length: n }, (_, i) => [(i + 1) % n]), properties: [eventually('last', (s) => s === n - 1)] });
    const r = check(big, { maxMemoryBytes: 1 });
    expect(r.stats.distinct).toBe(n);
    expect(r).toMatchObject({ status: 'incomplete', safety: 'complete', liveness: 'skipped', incomplete: { limit: 'liveness-memory' } });
    expect(r.incomplete?.message).toMatch(/^safety: complete \(every invariant holds in all 5000 reachable states\); liveness: not checked \(at 1025 states .*the graph was dropped during the search, which went on for safety\)$/);
  });

  it('a safety failure is not hidden by the liveness limit', () => {
    const m = graphModel({ initial: [0], edges: [[1], [0]], properties: [always('not 1', (s) => s !== 1), eventually('x', (s) => s === 1)] });
    const r = check(m, { maxLivenessStates: 1, stopAtFirst: false });
    expect(r.status).toBe('fail');
    expect(r.incomplete?.message).toMatch(/^safety: complete \(all 2 reachable states explored\); liveness: not checked/);
  });
});

describe('the liveness budget', () => {
  it('fits a pass of LIVENESS_PASS_BYTES_PER_STATE bytes per state into the bytes available, and not one byte less', () => {
    const need = 1000 * LIVENESS_PASS_BYTES_PER_STATE;
    expect(livenessRefusal(1000, 0, Number.POSITIVE_INFINITY, need)).toBeUndefined();
    expect(livenessRefusal(1000, 0, Number.POSITIVE_INFINITY, need - 1)?.limit).toBe('liveness-memory');
    expect(livenessRefusal(1001, 0, 1000, 2 ** 50)?.limit).toBe('liveness-size');
  });

  it('derives the default from the V8 heap: its limit minus the heap and external memory in use', () => {
    const h = getHeapStatistics();
    const available = memoryAvailable();
    expect(available).toBeGreaterThan(0);
    expect(available).toBeLessThan(h.heap_size_limit - h.used_heap_size / 2);
    // An explicit limit replaces the heap limit: the same usage is subtracted from it.
    const limit = h.heap_size_limit / 2;
    expect(Math.abs(memoryAvailable(limit) - (available - h.heap_size_limit / 2))).toBeLessThan(64 * 2 ** 20);
    expect(resolveOptions({}, { hasSymmetry: false, hasEventually: true }).maxLivenessStates).toBe(Number.POSITIVE_INFINITY);
  });
});
