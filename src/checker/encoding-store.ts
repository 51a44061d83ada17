/** Exact mode: every state's full encoding, back to back, to compare on fingerprint match. */
import { ChunkedU32 } from './chunked-array.ts';

export class EncodingStore {
  private arena = new Uint32Array(1 << 12);
  private used = 0;
  private readonly offsets = new ChunkedU32();

  constructor() {
    this.offsets.push(0);
  }

  add(words: Uint32Array, length: number): void {
    while (this.used + length > this.arena.length) {
      const bigger = new Uint32Array(this.arena.length * 2);
      bigger.set(this.arena);
      this.arena = bigger;
    }
    this.arena.set(words.subarray(0, length), this.used);
    this.used += length;
    this.offsets.push(this.used);
  }

  equals(index: number, words: Uint32Array, length: number): boolean {
    const from = this.offsets.get(index);
    if (this.offsets.get(index + 1) - from !== length) return false;
    for (let i = 0; i < length; i++) if (this.arena[from + i] !== words[i]) return false;
    return true;
  }

  get bytes(): number {
    return this.arena.byteLength + this.offsets.bytes;
  }
}
