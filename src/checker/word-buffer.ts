import type { WordWriter } from './model.ts';

/** A reusable, growable word buffer: the checker encodes every state into one of these. */
export class WordBuffer implements WordWriter {
  words: Uint32Array;
  length = 0;

  constructor(capacity = 64) {
    this.words = new Uint32Array(capacity);
  }

  push(word: number): void {
    if (this.length === this.words.length) {
      const bigger = new Uint32Array(this.words.length * 2);
      bigger.set(this.words);
      this.words = bigger;
    }
    this.words[this.length++] = word >>> 0;
  }

  reset(): void {
    this.length = 0;
  }

  /** A copy of the written words. */
  toArray(): Uint32Array {
    return this.words.slice(0, this.length);
  }
}
