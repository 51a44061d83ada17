/**
 * Interning of word sequences: each distinct sequence gets a dense id (0, 1, 2, … in the
 * order first seen), equal sequences the same id. The sequences are kept back to back in
 * one arena and found through an open-addressing index of their hashes, so an id is
 * exact (no fingerprint collisions): a model can use ids as a lossless compact encoding.
 */
import { fingerprintWords } from './fingerprint.ts';

export class WordInterner {
  private arena = new Uint32Array(1 << 10);
  private used = 0;
  /** Entry id's words are arena[offsets[id] .. offsets[id + 1]). */
  private offsets = new Uint32Array(64);
  private hashes = new Uint32Array(64);
  private count = 0;
  /** id + 1 of the entry in each slot, 0 when empty; length a power of two. */
  private index = new Int32Array(1 << 8);
  private readonly fp = new Uint32Array(2);

  get size(): number {
    return this.count;
  }

  /** The id of `words[0 .. length)`, interning it if new. */
  intern(words: Uint32Array, length: number): number {
    fingerprintWords(words, length, this.fp);
    const h = this.fp[1]!;
    const mask = this.index.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = this.index[slot]!;
      if (e === 0) {
        const id = this.add(words, length, h);
        this.index[slot] = id + 1;
        if (this.size * 2 > this.index.length) this.grow();
        return id;
      }
      if (this.hashes[e - 1] === h && this.equals(e - 1, words, length)) return e - 1;
    }
  }

  /** The words of entry `id` (a view valid until the next `intern`). */
  words(id: number): Uint32Array {
    return this.arena.subarray(this.offsets[id]!, this.offsets[id + 1]!);
  }

  get bytes(): number {
    return this.arena.byteLength + this.offsets.byteLength + this.hashes.byteLength + this.index.byteLength;
  }

  private equals(id: number, words: Uint32Array, length: number): boolean {
    const from = this.offsets[id]!;
    if (this.offsets[id + 1]! - from !== length) return false;
    for (let i = 0; i < length; i++) if (this.arena[from + i] !== words[i]) return false;
    return true;
  }

  private add(words: Uint32Array, length: number, hash: number): number {
    while (this.used + length > this.arena.length) {
      const bigger = new Uint32Array(this.arena.length * 2);
      bigger.set(this.arena);
      this.arena = bigger;
    }
    this.arena.set(words.subarray(0, length), this.used);
    this.used += length;
    const id = this.count++;
    if (this.count + 1 > this.offsets.length) {
      this.offsets = grown(this.offsets);
      this.hashes = grown(this.hashes);
    }
    this.offsets[id + 1] = this.used;
    this.hashes[id] = hash;
    return id;
  }

  private grow(): void {
    const index = new Int32Array(this.index.length * 2);
    const mask = index.length - 1;
    for (let id = 0; id < this.size; id++) {
      let slot = this.hashes[id]! & mask;
      while (index[slot] !== 0) slot = (slot + 1) & mask;
      index[slot] = id + 1;
    }
    this.index = index;
  }
}

function grown(a: Uint32Array): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}
