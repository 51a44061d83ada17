/**
 * Open-addressing hash set of 64-bit fingerprints on one `Uint32Array` (V8 caps a
 * `Map`/`Set` at 2^24 entries; this handles tens of millions). Linear probing from
 * `lo & mask`; a slot is empty when both halves are 0 (fingerprints never are).
 *
 * Layout per slot: `[hi, lo]` (8 bytes), or `[hi, lo, index]` (12 bytes) when the caller
 * needs the state index back (liveness edges, exact mode). The table doubles by rehash at
 * load factor 3/4, so it holds 8/0.75 ≈ 10.7 to 21.3 bytes per state (12-byte slots:
 * 16 to 32). Growth never exceeds the capacity needed for `maxEntries`, and a failed
 * allocation is reported as a memory limit, not a crash.
 */
import { allocate, LimitReached } from './limit-error.ts';

const MAX_LOAD = 0.75;

export class FingerprintTable {
  private slots: Uint32Array;
  private mask: number;
  private readonly stride: number;
  /** Grow when `size` reaches this (3/4 of the capacity). */
  private growAt: number;
  size = 0;

  constructor(
    readonly withIndex: boolean,
    private readonly maxEntries: number,
    initialCapacity = 1 << 16,
  ) {
    this.stride = withIndex ? 3 : 2;
    let cap = 16;
    while (cap < initialCapacity && cap * MAX_LOAD < maxEntries + 1) cap *= 2;
    this.slots = allocate('fingerprint table', () => new Uint32Array(cap * this.stride));
    this.mask = cap - 1;
    this.growAt = Math.floor(cap * MAX_LOAD);
  }

  get capacity(): number {
    return this.mask + 1;
  }

  get bytes(): number {
    return this.slots.byteLength;
  }

  /**
   * Inserts the fingerprint if absent. Returns -1 when it was inserted, otherwise the
   * stored index of the existing entry (0 when the table stores no indices).
   */
  insert(hi: number, lo: number, index: number): number {
    if (this.size >= this.growAt) this.grow();
    const slots = this.slots;
    const mask = this.mask;
    let i = lo & mask;
    if (this.stride === 2) {
      for (;;) {
        const at = i << 1;
        const h = slots[at]!;
        const l = slots[at + 1]!;
        if (h === hi && l === lo) return 0;
        if (h === 0 && l === 0) {
          slots[at] = hi;
          slots[at + 1] = lo;
          this.size++;
          return -1;
        }
        i = (i + 1) & mask;
      }
    }
    for (;;) {
      const at = i * 3;
      const h = slots[at]!;
      const l = slots[at + 1]!;
      if (h === hi && l === lo) return slots[at + 2]!;
      if (h === 0 && l === 0) {
        slots[at] = hi;
        slots[at + 1] = lo;
        slots[at + 2] = index;
        this.size++;
        return -1;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * Exact mode: like {@link insert} but a fingerprint match only counts when
   * `same(storedIndex)` confirms the full encodings are equal; otherwise probing goes on
   * (the two states both get entries with the same fingerprint). Requires `withIndex`.
   */
  insertExact(hi: number, lo: number, index: number, same: (stored: number) => boolean): number {
    if (this.size >= this.growAt) this.grow();
    const slots = this.slots;
    const mask = this.mask;
    let i = lo & mask;
    for (;;) {
      const at = i * 3;
      const h = slots[at]!;
      const l = slots[at + 1]!;
      if (h === 0 && l === 0) {
        slots[at] = hi;
        slots[at + 1] = lo;
        slots[at + 2] = index;
        this.size++;
        return -1;
      }
      if (h === hi && l === lo && same(slots[at + 2]!)) return slots[at + 2]!;
      i = (i + 1) & mask;
    }
  }

  /** Reads the home slot of a fingerprint (a software prefetch before `insert`). */
  touch(lo: number): number {
    return this.slots[(lo & this.mask) * this.stride]!;
  }

  /** The stored index of a fingerprint, or -1. Requires `withIndex`. */
  find(hi: number, lo: number): number {
    const slots = this.slots;
    let i = lo & this.mask;
    for (;;) {
      const at = i * this.stride;
      const h = slots[at]!;
      const l = slots[at + 1]!;
      if (h === 0 && l === 0) return -1;
      if (h === hi && l === lo) return this.stride === 3 ? slots[at + 2]! : 0;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const oldCap = this.mask + 1;
    if (this.growAt >= this.maxEntries + 1) {
      // Cannot happen when callers respect maxEntries; guard against an endless probe.
      throw new LimitReached('states', `fingerprint table full at ${this.size} entries`);
    }
    const cap = oldCap * 2;
    const stride = this.stride;
    const next = allocate(`fingerprint table of ${cap} slots`, () => new Uint32Array(cap * stride));
    const mask = cap - 1;
    const old = this.slots;
    for (let at = 0; at < old.length; at += stride) {
      const h = old[at]!;
      const l = old[at + 1]!;
      if (h === 0 && l === 0) continue;
      let i = l & mask;
      while (next[i * stride] !== 0 || next[i * stride + 1] !== 0) i = (i + 1) & mask;
      next[i * stride] = h;
      next[i * stride + 1] = l;
      if (stride === 3) next[i * stride + 2] = old[at + 2]!;
    }
    this.slots = next;
    this.mask = mask;
    this.growAt = Math.floor(cap * MAX_LOAD);
  }
}
