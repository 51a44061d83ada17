import { describe, expect, it } from 'vitest';
import { collisionProbability, fingerprintWords } from '../../src/checker/fingerprint.ts';
import { FingerprintTable } from '../../src/checker/fingerprint-table.ts';
import { allocate, LimitReached } from '../../src/checker/limit-error.ts';

describe('fingerprints', () => {
  it('no 64-bit collision and an even low-word spread over 4^10 small-valued states', () => {
    const words = new Uint32Array(15);
    const out = new Uint32Array(2);
    const table = new FingerprintTable(false, 1 << 21);
    const buckets = new Uint32Array(1 << 12);
    const n = 4 ** 10;
    let duplicates = 0;
    for (let x = 0; x < n; x++) {
      for (let i = 0; i < 10; i++) words[i] = (x >>> (2 * i)) & 3;
      fingerprintWords(words, 15, out);
      if (table.insert(out[0]!, out[1]!, x) !== -1) duplicates++;
      buckets[out[1]! & 0xfff]!++;
    }
    expect(duplicates).toBe(0);
    expect(table.size).toBe(n);
    // 256 expected per bucket; binomial sd = 16: ±7 sd is far outside chance.
    expect(Math.max(...buckets)).toBeLessThan(256 + 7 * 16);
    expect(Math.min(...buckets)).toBeGreaterThan(256 - 7 * 16);
  });

  it('length is part of the fingerprint', () => {
    const a = new Uint32Array([0, 0, 0]);
    const x = new Uint32Array(2);
    const y = new Uint32Array(2);
    fingerprintWords(a, 2, x);
    fingerprintWords(a, 3, y);
    expect([...x]).not.toEqual([...y]);
  });

  it('collision estimate uses n²/2^65 and the TLC optimistic n(g−n)/2^64', () => {
    const p = collisionProbability(1e7, 5e7);
    expect(p.birthday).toBeCloseTo((1e7 * (1e7 - 1)) / 2 ** 65, 12);
    expect(p.optimistic).toBeCloseTo((1e7 * 4e7) / 2 ** 64, 12);
  });
});

describe('fingerprint table', () => {
  it('grows by rehash past 2^16 entries and keeps every entry and index', () => {
    const t = new FingerprintTable(true, 1 << 20, 16);
    const hi = (i: number): number => (Math.imul(i, 0x9e3779b1) + 7) >>> 0;
    const lo = (i: number): number => (Math.imul(i, 40503) + 1) >>> 0;
    let fresh = 0;
    for (let i = 0; i < 200_000; i++) if (t.insert(hi(i), lo(i), i) === -1) fresh++;
    expect(fresh).toBe(200_000);
    expect(t.size).toBe(200_000);
    expect(t.capacity).toBeGreaterThanOrEqual(200_000 / 0.75);
    for (let i = 0; i < 200_000; i += 997) expect(t.find(hi(i), lo(i))).toBe(i);
    expect(t.insert(7, 1, 5)).toBe(0); // i = 0 is present with index 0
  });

  it('refuses to grow past the state limit, and turns a failed allocation into a memory limit', () => {
    const t = new FingerprintTable(false, 10, 16);
    for (let i = 1; i <= 11; i++) t.insert(i, i, 0);
    expect(() => {
      for (let i = 12; i <= 40; i++) t.insert(i, i, 0);
    }).toThrow(LimitReached);
    const e = (() => {
      try {
        allocate('a huge table', () => new Uint32Array(2 ** 40));
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(LimitReached);
    expect((e as LimitReached).limit).toBe('memory');
  });
});
