import { describe, expect, it } from 'vitest';
import {
  always,
  check,
  formatPath,
  graphModel,
  replay,
  ReplayError,
  type Model,
  type PackedModel,
  type Progress,
} from '../../src/checker/index.ts';

/** An unbounded counter: state n → n + 1 and n → n + 2. */
const counter: Model<number, number> = {
  initialStates: () => [0],
  actions: (_s, out) => {
    out.push(1, 2);
  },
  next: (s, a) => s + a,
  formatAction: (_s, a) => `add(${a})`,
  encode: (s, out) => out.push(s),
  decode: (w) => w[0]!,
  properties: () => [],
};

describe('limits end the run as incomplete', () => {
  it('max states', () => {
    const r = check(counter, { maxStates: 100 });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete?.limit).toBe('states');
    expect(r.stats.distinct).toBe(100);
    expect(r.stats.queueLeft).toBeGreaterThan(0);
  });

  it('max depth: states up to the depth are checked, deeper ones not generated', () => {
    const r = check(counter, { maxDepth: 5 });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete?.limit).toBe('depth');
    // depth d reaches 0 .. 2d: 11 distinct values for d ≤ 5.
    expect(r.stats.distinct).toBe(11);
    expect(r.stats.depth).toBe(5);
    expect(r.stats.depthFullyExplored).toBe(5);
  });

  it('max time, with progress reports', () => {
    const seen: Progress[] = [];
    const r = check(counter, { maxTimeMs: 150, progressIntervalMs: 20, progress: (p) => seen.push(p) });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete?.limit).toBe('time');
    expect(r.incomplete?.message).toMatch(/150 ms/);
    expect(seen.length).toBeGreaterThan(0);
    const last = seen[seen.length - 1]!;
    expect(last.distinct).toBeGreaterThan(0);
    expect(last.statesPerSecond).toBeGreaterThan(0);
    expect(last.depth).toBeGreaterThan(0);
    expect(r.stats.depthFullyExplored).toBeLessThanOrEqual(r.stats.depth);
  });

  it('a sometimes property not witnessed in an incomplete run is a note, not a failure', () => {
    const m = { ...counter, properties: () => [{ kind: 'sometimes' as const, name: 'negative', condition: (s: number) => s < 0 }] };
    const r = check(m, { maxStates: 50 });
    expect(r.status).toBe('incomplete');
    expect(r.failures).toEqual([]);
    expect(r.notes.join()).toMatch(/negative/);
  });
});

describe('coverage', () => {
  it('counts fired actions per kind and lists declared kinds never fired', () => {
    const m = graphModel({
      initial: [0],
      edges: [[1, 2], [2], [0]],
      kinds: [['fault', 'install'], ['install'], ['wake']],
      actionKinds: ['fault', 'install', 'wake', 'zap'],
    });
    const r = check(m);
    // A declared kind that never fired is in neverFired only: `kvmuf check` prints
    // fired/(fired + never fired), so listing it in both would count it twice.
    expect(r.coverage.fired).toEqual({ fault: 1, install: 2, wake: 1 });
    expect(r.coverage.neverFired).toEqual(['zap']);
  });
});

describe('replay', () => {
  it('detects an out-of-range action index and names nondeterminism', () => {
    const m = graphModel({ initial: [0], edges: [[1], []], endStates: [1] });
    const trace = { initial: 0, actions: [3], labels: [], fingerprints: [], symmetry: false };
    expect(() => replay(m, trace)).toThrow(ReplayError);
    expect(() => replay(m, trace)).toThrow(/out of range.*nondeterministic/s);
  });

  it('detects a model whose next state depends on hidden mutable data', () => {
    let hidden = 0;
    const flaky: Model<number, number> = {
      initialStates: () => [0],
      actions: (s, out) => {
        if (s < 3) out.push(0);
      },
      next: (s) => s + 1 + hidden,
      formatAction: () => 'step',
      encode: (s, out) => out.push(s),
      properties: () => [always('below 3', (s) => s < 3)],
      isEndState: () => true,
    };
    const r = check(flaky);
    const f = r.failures[0];
    expect(f?.kind).toBe('invariant');
    if (f?.kind !== 'invariant') return;
    expect(formatPath(f.trace)).toBe('0/0/0/0');
    expect(replay(flaky, f.trace)).toEqual([0, 1, 2, 3]);
    hidden = 1; // the "model" now behaves differently for the same trace
    expect(() => replay(flaky, f.trace)).toThrow(/step 1: reached a state with fingerprint .* nondeterministic/s);
  });

  it('check itself catches nondeterminism while rebuilding a trace', () => {
    let calls = 0;
    const flaky: Model<number, number> = {
      initialStates: () => [0],
      actions: (s, out) => {
        if (s < 5) out.push(0);
      },
      next: (s) => s + 1 + (calls++ > 4 ? 1 : 0),
      formatAction: () => 'step',
      encode: (s, out) => out.push(s),
      properties: () => [always('below 5', (s) => s < 5)],
      isEndState: () => true,
    };
    expect(() => check(flaky)).toThrow(/nondeterministic/);
  });
});

/** N identical threads, each a counter 0..2; state = the counters. */
function threads(n: number, initial: readonly number[]): Model<readonly number[], number> {
  return {
    initialStates: () => [initial],
    actions: (s, out) => {
      s.forEach((c, i) => {
        if (c < 2) out.push(i);
      });
    },
    next: (s, i) => s.map((c, j) => (j === i ? c + 1 : c)),
    formatAction: (_s, i) => `inc(t${i})`,
    encode: (s, out) => s.forEach((c) => out.push(c)),
    properties: () => [always('not all done', (s) => s.some((c) => c < 2))],
    representative: (s) => [...s].sort((a, b) => a - b),
    isEndState: () => true,
  };
}

describe('symmetry reduction', () => {
  it('reduces 3^4 = 81 states to the C(4+2, 2) = 15 multisets', () => {
    const ok = { ...threads(4, [0, 0, 0, 0]), properties: () => [] };
    expect(check(ok, { symmetry: false }).stats.distinct).toBe(81);
    const r = check(ok);
    expect(r.symmetry).toBe(true);
    expect(r.stats.distinct).toBe(15);
  });

  it('rebuilds a counterexample that replays from the real initial state', () => {
    const m = threads(3, [1, 0, 2]);
    const r = check(m);
    expect(r.symmetry).toBe(true);
    const f = r.failures[0];
    expect(f?.kind).toBe('invariant');
    if (f?.kind !== 'invariant') return;
    expect(f.trace.actions.length).toBe(3); // 1 + 2 increments needed
    const states = replay(m, f.trace);
    expect(states[0]).toEqual([1, 0, 2]);
    expect(states[states.length - 1]).toEqual([2, 2, 2]);
    // The representative's action indices would not replay: in [0,1,2] action 0 is t0.
    expect(f.trace.labels.every((l) => l === 'inc(t0)' || l === 'inc(t1)')).toBe(true);
  });
});

describe('exact mode', () => {
  it('keeps states apart that truncated fingerprints would merge', () => {
    const m = graphModel({
      initial: [0],
      edges: Array.from({ length: 200 }, (_, i) => (i + 1 < 200 ? [i + 1] : [])),
      endStates: [199],
    });
    const lossy = check(m, { fingerprintBits: 6 });
    expect(lossy.stats.distinct).toBeLessThan(200);
    const exact = check(m, { fingerprintBits: 6, exact: true });
    expect(exact.stats.distinct).toBe(200);
    expect(exact.stats.fingerprintMatchesRejected).toBeGreaterThan(0);
    expect(check(m, { exact: true }).stats.fingerprintMatchesRejected).toBe(0);
  });

  it('reports a collision probability from the n^2/2^65 bound', () => {
    const r = check(counter, { maxStates: 1000 });
    expect(r.stats.collisionProbability.birthday).toBeCloseTo((1000 * 999) / 2 / 2 ** 64, 25);
  });
});

describe('symmetry on a packed model', () => {
  /** 3 identical threads as words, each 0..3; representative = words sorted. */
  const packedThreads: PackedModel = {
    width: 3,
    initialStates: () => [new Uint32Array([2, 0, 1])],
    actionCount: (s) => s.filter((c) => c < 3).length,
    next: (s, k, out) => {
      out.set(s);
      let seen = -1;
      for (let i = 0; i < 3; i++) if (s[i]! < 3 && ++seen === k) out[i] = s[i]! + 1;
    },
    formatAction: (s, k) => {
      let seen = -1;
      for (let i = 0; i < 3; i++) if (s[i]! < 3 && ++seen === k) return `inc(t${i})`;
      return '?';
    },
    representative: (s, out) => {
      out.set(s);
      out.sort();
    },
    properties: () => [always('not all 3', (s) => !(s[0] === 3 && s[1] === 3 && s[2] === 3))],
    isEndState: () => true,
  };

  it('counts multisets and rebuilds a replayable trace from the real initial state', () => {
    // Reachable without symmetry: per thread i, values from init[i] to 3 → 2·4·3 = 24.
    expect(check(packedThreads, { symmetry: false, stopAtFirst: false }).stats.distinct).toBe(24);
    const r = check(packedThreads, { stopAtFirst: false });
    expect(r.symmetry).toBe(true);
    // Representatives: sorted a ≤ b ≤ c ≤ 3 dominating the sorted start (0, 1, 2):
    // c = 2: b ∈ {1, 2} → 2 + 3; c = 3: b ∈ {1, 2, 3} → 2 + 3 + 4; total 14.
    expect(r.stats.distinct).toBe(14);
    const f = r.failures[0];
    expect(f?.kind).toBe('invariant');
    if (f?.kind !== 'invariant') return;
    expect(f.trace.actions.length).toBe(6); // 1 + 3 + 2 increments
    const states = replay(packedThreads, f.trace);
    expect([...states[0]!]).toEqual([2, 0, 1]);
    expect([...states[states.length - 1]!]).toEqual([3, 3, 3]);
  });
});
