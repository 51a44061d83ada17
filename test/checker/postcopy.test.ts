/**
 * The packed post-copy reference model (the bench's model): state counts cross-checked
 * by brute force, liveness of wake-ups under weak fairness, and a seeded livelock.
 */
import { describe, expect, it } from 'vitest';
import { check, formatPath, replay, type Failure, type PackedModel } from '../../src/checker/index.ts';
import { postcopyConfig, postcopyModel } from '../../src/examples/postcopy-packed.ts';

function bruteForce(m: PackedModel): { states: number; stuck: number } {
  const seen = new Set<string>();
  const queue = m.initialStates().map((s) => s.slice());
  let stuck = 0;
  for (const s of queue) seen.add(s.join());
  for (let h = 0; h < queue.length; h++) {
    const s = queue[h]!;
    const n = m.actionCount(s);
    if (n === 0 && !m.isEndState?.(s)) stuck++;
    for (let k = 0; k < n; k++) {
      m.actionCount(s);
      const out = new Uint32Array(m.width);
      m.next(s, k, out);
      if (!seen.has(out.join())) seen.add(out.join()), queue.push(out);
    }
  }
  return { states: seen.size, stuck };
}

describe('packed post-copy model', () => {
  it.each([
    [2, 3, 1, 2, 48],
    [3, 3, 1, 3, 490],
    [4, 5, 2, 3, 13909],
  ])('%i vCPUs × %i pages × %i handlers, %i accesses: %i states (brute force agrees), no deadlock', (v, p, h, a, n) => {
    const m = postcopyModel(postcopyConfig(v, p, h, a));
    const r = check(m);
    expect(r.status).toBe('pass');
    expect(r.stats.distinct).toBe(n);
    expect(bruteForce(m)).toEqual({ states: n, stuck: 0 });
    expect(r.coverage.neverFired).toEqual(['retry']);
  });

  it('every faulting vCPU runs again under weak fairness', () => {
    const r = check(postcopyModel(postcopyConfig(2, 2, 1, 2), { liveness: true }));
    expect(r.liveness).toBe('checked');
    expect(r.status).toBe('pass');
  });

  it('the stale-retry bug is a livelock: no deadlock, but a fair retry cycle', () => {
    const m = postcopyModel(postcopyConfig(2, 2, 1, 2), { liveness: true, bug: 'stale-retry' });
    const r = check(m);
    expect(r.failures.some((f) => f.kind === 'deadlock')).toBe(false);
    const f = r.failures.find((x): x is Extract<Failure, { kind: 'liveness' }> => x.kind === 'liveness');
    expect(f).toBeDefined();
    if (f === undefined) return;
    expect(f.lasso.cycleLabels.every((l) => l.startsWith('retry(vcpu0'))).toBe(true);
    expect(f.lasso.prefix.labels).toContain('read(handler0, page 0)');
    const states = replay(m, f.lasso.prefix);
    expect(states[states.length - 1]![1]).toBe(2); // vcpu0 is in its retry phase
    expect(formatPath(f.lasso.prefix).split('/').length).toBe(f.lasso.prefix.actions.length + 1);
  });
});
