/**
 * Handler symmetry on the packed post-copy model (`postcopyModel(cfg, { symmetry: true })`):
 * the reduced count is derived independently as the number of orbits of the full
 * reachable set under handler permutations (a brute-force BFS here, keyed by the
 * multiset of handler words), verdicts agree with the full search, the representative
 * is invariant under every handler permutation, and the seeded livelock is still found
 * (liveness runs unreduced: the checker drops representatives when liveness is on).
 */
import { describe, expect, it } from 'vitest';
import { check, type PackedModel } from '../../src/checker/index.ts';
import { postcopyConfig, postcopyModel, type PostcopyConfig } from '../../src/examples/postcopy-packed.ts';

function reachable(m: PackedModel): Uint32Array[] {
  const seen = new Set<string>();
  const queue = m.initialStates().map((s) => s.slice());
  for (const s of queue) seen.add(s.join());
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i]!;
    const n = m.actionCount(s);
    for (let k = 0; k < n; k++) {
      m.actionCount(s);
      const out = new Uint32Array(m.width);
      m.next(s, k, out);
      if (!seen.has(out.join())) seen.add(out.join()), queue.push(out);
    }
  }
  return queue;
}

/** Orbit key: vCPU and page words as they are, handler words as a sorted multiset. */
function orbitKey(cfg: PostcopyConfig, s: Uint32Array): string {
  const split = 2 * cfg.vcpus + cfg.pages;
  const handlers = [...s.subarray(split)].sort((a, b) => a - b);
  return `${[...s.subarray(0, split)].join()}|${handlers.join()}`;
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

describe('packed post-copy model, handler symmetry', () => {
  it.each([
    [3, 3, 2, 4],
    [3, 4, 3, 5],
    [4, 5, 3, 3],
  ])('%i vCPUs × %i pages × %i handlers, %i accesses: reduced count = orbits of the full reachable set', (v, p, h, a) => {
    const cfg = postcopyConfig(v, p, h, a);
    const all = reachable(postcopyModel(cfg));
    const orbits = new Set(all.map((s) => orbitKey(cfg, s))).size;
    const full = check(postcopyModel(cfg), { liveness: false });
    const reduced = check(postcopyModel(cfg, { symmetry: true }), { liveness: false });
    expect(full.status).toBe('pass');
    expect(reduced.status).toBe('pass');
    expect(full.stats.distinct).toBe(all.length);
    expect(reduced.stats.distinct).toBe(orbits);
    expect(orbits).toBeLessThan(all.length); // with 2+ handlers some states have a twin
  });

  it('the representative is the same for every handler permutation of a reachable state', () => {
    const cfg = postcopyConfig(3, 4, 3, 5);
    const m = postcopyModel(cfg, { symmetry: true });
    const split = 2 * cfg.vcpus + cfg.pages;
    const rep = new Uint32Array(m.width);
    const other = new Uint32Array(m.width);
    for (const s of reachable(m)) {
      m.representative!(s, rep);
      for (const perm of permutations(cfg.handlers)) {
        const t = s.slice();
        perm.forEach((from, to) => (t[split + to] = s[split + from]!));
        m.representative!(t, other);
        expect(other).toEqual(rep);
      }
    }
  });

  it('with one handler the representative is the identity (the bench configuration gains nothing)', () => {
    const cfg = postcopyConfig(3, 3, 1, 4);
    const full = check(postcopyModel(cfg), { liveness: false });
    const reduced = check(postcopyModel(cfg, { symmetry: true }), { liveness: false });
    expect(reduced.stats.distinct).toBe(full.stats.distinct);
  });

  it('the seeded stale-retry livelock is still found with symmetry on', () => {
    const cfg = postcopyConfig(2, 2, 2, 2);
    const plain = check(postcopyModel(cfg, { liveness: true, bug: 'stale-retry' }));
    const sym = check(postcopyModel(cfg, { liveness: true, bug: 'stale-retry', symmetry: true }));
    expect(plain.status).toBe('fail');
    expect(sym.status).toBe('fail');
    expect(sym.failures.map((f) => f.kind)).toEqual(plain.failures.map((f) => f.kind));
    expect(sym.failures.map((f) => f.kind)).toContain('liveness');
    // Safety alone passes either way (the bug is a livelock, not a broken invariant).
    expect(check(postcopyModel(cfg, { bug: 'stale-retry', symmetry: true }), { liveness: false }).status).toBe('pass');
  });
});
