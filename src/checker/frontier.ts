/**
 * The BFS queue. `WordFrontier` holds encoded states back to back in 256 KiB
 * `Uint32Array` chunks (a length word before each entry unless the width is fixed);
 * consumed chunks are recycled, so memory follows the queue length, and its peak is
 * reported. `ObjectFrontier` holds JS states for models without `decode`.
 */
import { allocate } from './limit-error.ts';

const CHUNK_WORDS = 1 << 16;

export class WordFrontier {
  private readonly chunks: Uint32Array[] = [];
  private head = 0; // index into chunks of the read chunk
  private readPos = 0;
  private writePos = CHUNK_WORDS; // forces a chunk on first push
  private spare: Uint32Array | undefined;
  private live = 0;
  private peakChunks = 0;
  length = 0;
  private readonly chunkWords: number;

  /** `fixedWidth` > 0: every entry has this many words and no length prefix. */
  constructor(private readonly fixedWidth: number) {
    this.chunkWords = Math.max(CHUNK_WORDS, fixedWidth * 4);
  }

  push(words: Uint32Array, length: number): void {
    const need = this.fixedWidth > 0 ? length : length + 1;
    if (this.chunks.length === 0 || this.writePos + need > this.chunkOf(this.chunks.length - 1).length) {
      this.newChunk(need);
    }
    const chunk = this.chunks[this.chunks.length - 1]!;
    let p = this.writePos;
    if (this.fixedWidth === 0) chunk[p++] = length;
    for (let i = 0; i < length; i++) chunk[p + i] = words[i]!;
    this.writePos = p + length;
    this.length++;
  }

  /**
   * Removes the oldest entry; returns its chunk and sets `offset`/`size`. The words stay
   * valid until the next `pop` moves past that chunk.
   */
  offset = 0;
  size = 0;
  pop(): Uint32Array {
    let chunk = this.chunks[this.head]!;
    const end = this.head === this.chunks.length - 1 ? this.writePos : chunk.length;
    if (this.readPos >= end || (this.fixedWidth === 0 && chunk[this.readPos] === END)) {
      this.release();
      chunk = this.chunks[this.head]!;
    }
    let p = this.readPos;
    const size = this.fixedWidth > 0 ? this.fixedWidth : chunk[p++]!;
    if (this.fixedWidth > 0 && p + size > chunk.length) {
      this.release();
      chunk = this.chunks[this.head]!;
      p = 0;
    }
    this.offset = p;
    this.size = size;
    this.readPos = p + size;
    this.length--;
    return chunk;
  }

  /** Peak bytes held by queue chunks. */
  get peakBytes(): number {
    return this.peakChunks * this.chunkWords * 4;
  }

  private chunkOf(i: number): Uint32Array {
    return this.chunks[i]!;
  }

  private newChunk(need: number): void {
    if (this.chunks.length > 0 && this.fixedWidth === 0) {
      const last = this.chunks[this.chunks.length - 1]!;
      if (this.writePos < last.length) last[this.writePos] = END;
    }
    let chunk: Uint32Array;
    if (this.spare !== undefined && this.spare.length >= need) {
      chunk = this.spare;
      this.spare = undefined;
    } else {
      const words = Math.max(this.chunkWords, need + 1);
      chunk = allocate('frontier chunk', () => new Uint32Array(words));
    }
    this.chunks.push(chunk);
    this.writePos = 0;
    this.live++;
    if (this.live > this.peakChunks) this.peakChunks = this.live;
  }

  private release(): void {
    const done = this.chunks[this.head]!;
    this.chunks[this.head] = EMPTY;
    this.head++;
    this.readPos = 0;
    this.live--;
    if (done.length === this.chunkWords) this.spare = done;
    if (this.head > 1024) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** Marks the unused tail of a variable-width chunk (lengths are never this large). */
const END = 0xffffffff;
const EMPTY = new Uint32Array(0);

export class ObjectFrontier<S> {
  private items: (S | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(s: S): void {
    this.items.push(s);
  }

  pop(): S {
    const s = this.items[this.head]!;
    this.items[this.head++] = undefined;
    if (this.head > 65536 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return s;
  }
}
