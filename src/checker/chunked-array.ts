/**
 * Append-only arrays of small integers in fixed 64 Ki-entry typed-array chunks: no copy
 * on growth, no doubling slack (at most one partly filled chunk), and no 2^24 cap.
 * Used for per-state parent pointers, action indices, and the liveness graph.
 */
import { allocate } from './limit-error.ts';

const SHIFT = 16;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;

type Typed = Uint32Array | Uint16Array | Uint8Array;

abstract class Chunked<T extends Typed> {
  private readonly chunks: T[] = [];
  private tail: T | undefined;
  length = 0;

  protected abstract make(): T;

  push(v: number): void {
    const at = this.length & MASK;
    if (at === 0) {
      this.tail = allocate('chunked array', () => this.make());
      this.chunks.push(this.tail);
    }
    this.tail![at] = v;
    this.length++;
  }

  get(i: number): number {
    return this.chunks[i >>> SHIFT]![i & MASK]!;
  }

  set(i: number, v: number): void {
    this.chunks[i >>> SHIFT]![i & MASK] = v;
  }

  get bytes(): number {
    let b = 0;
    for (const c of this.chunks) b += c.byteLength;
    return b;
  }
}

export class ChunkedU32 extends Chunked<Uint32Array> {
  protected make(): Uint32Array {
    return new Uint32Array(CHUNK);
  }
}

export class ChunkedU16 extends Chunked<Uint16Array> {
  protected make(): Uint16Array {
    return new Uint16Array(CHUNK);
  }
}

export class ChunkedU8 extends Chunked<Uint8Array> {
  protected make(): Uint8Array {
    return new Uint8Array(CHUNK);
  }
}
