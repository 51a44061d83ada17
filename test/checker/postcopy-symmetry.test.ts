/**
 * Thread symmetry (handlers, and vCPUs with equal programs) on the packed post-copy model (`postcopyModel(cfg, { symmetry: true })`):
 * the reduced count is derived independently as the number of orbits of the full
 * reachable set under handler permutations (a brute-force BFS here, keyed by the
 * multisets of handler words and of same-program vCPU pairs), verdicts agree with the full search, the representative
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

/**
 * Orbit key, written independently of the model's representative: page words as they
 * are, handler words as a multiset, and per program the multiset of the (pc, phase)
 * pairs of the vCPUs that run it.
 */
function orbitKey(cfg: PostcopyConfig, s: Uint32Array): string {
  const split = 2 * cfg.vcpus + cfg.pages;
  const handlers = [...s.subarray(split)].sort((a, b) => a - b);
  const pairs = new Map<string, string[]>();
  cfg.program.forEach((p, v) => pairs.set(p.join(), [...(pairs.get(p.join()) ?? []), `${s[2 * v]}:${s[2 * v + 1]}`]));
  const vcpus = [...pairs.entries()].map(([p, ps]) => `${p}=${ps.sort().join()}`).sort();
  return `${vcpus.join(';')}|${[...s.subarray(2 * cfg.vcpus, split)].join()}|${handlers.join()}`;
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

describe('packed post-copy model, thread symmetry', () => {
  it.each([
    [3, 3, 2, 4],
    [3, 4, 3, 5],
    [4, 5, 3, 3],
    [5, 4, 1, 3], // the bench's shape: vCPUs 0, 2, 4 and 1, 3 share programs
    [5, 4, 2, 2],
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
    expect(orbits).toBeLessThan(all.length); // 2+ handlers or 2+ vCPUs with one program: twins exist
  });

  it('the representative is the same for every handler permutation and swap of same-program vCPUs', () => {
    const cfg = postcopyConfig(3, 4, 3, 5); // vCPUs 0 and 2 run the same program
    expect(cfg.program[0]).toEqual(cfg.program[2]);
    const m = postcopyModel(cfg, { symmetry: true });
    const split = 2 * cfg.vcpus + cfg.pages;
    const rep = new Uint32Array(m.width);
    const other = new Uint32Array(m.width);
    for (const s of reachable(m)) {
      m.representative!(s, rep);
      for (const perm of permutations(cfg.handlers)) {
        for (const swap of [false, true]) {
          const t = s.slice();
          perm.forEach((from, to) => (t[split + to] = s[split + from]!));
          if (swap) [t[0], t[1], t[4], t[5]] = [s[4]!, s[5]!, s[0]!, s[1]!];
          m.representative!(t, other);
          expect(other).toEqual(rep);
        }
      }
    }
  });

  it('with one handler and pairwise different programs the representative is the identity', () => {
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
