/**
 * Tree compression of fixed-width word vectors (as in LTSmin's tree tables, Laarman, van
 * de Pol and Weber, "Parallel recursive state compression for free", SPIN 2011): a vector
 * is split in halves recursively, and every inner node is a pair (left, right) interned
 * in one table, so a whole vector is named by one root id. Vectors that differ in a few
 * words share every subtree that does not contain them, so a new vector typically adds a
 * couple of pairs: the per-vector cost is a few words, not the width. Exact: equal
 * vectors get the same root, different vectors different roots.
 *
 * The split is fixed by the width, so a node's meaning follows from its position and one
 * table serves every level.
 *
 * `read` remembers the vector's nodes (its "base"); `insert` reuses every base node whose
 * children came out unchanged, so a vector that differs from the base in k words costs
 * about k·log2(width) table look-ups instead of width − 1. (Model checkers read a state,
 * then insert its successors, which differ from it in a few words.)
 */
import { ChunkedU32 } from './chunked-array.ts';
import { fmix32 } from './fingerprint.ts';

export class PairTree {
  private readonly pairs = new ChunkedU32();
  /** id + 1 of the pair in each slot, 0 when empty; length a power of two. */
  private index = new Int32Array(1 << 12);
  private count = 0;
  /** The ids of the last read vector's tree, in preorder (leaves hold their words). */
  private readonly base: Uint32Array;
  private hasBase = false;

  /** Number of ids naming a vector: the subtrees below the `openLevels` top levels. */
  readonly roots: number;
  private at = 0;

  /**
   * `openLevels`: how many top levels are not interned; a vector is then named by the
   * ids of 2^openLevels subtrees (fewer if the vector is narrow). The top nodes are one
   * per distinct vector, so leaving them open trades table entries for longer names.
   */
  constructor(
    readonly width: number,
    private readonly openLevels = 0,
  ) {
    if (!Number.isInteger(width) || width < 1) throw new Error(`pair tree width must be a positive integer, got ${width}`);
    this.base = new Uint32Array(2 * width - 1);
    this.roots = this.countRoots(0, width, openLevels);
  }

  /** Writes the ids naming `vector[0 .. width)` into `out[0 .. roots)`. */
  insert(vector: Uint32Array, out: Uint32Array): void {
    this.at = 0;
    this.top(vector, 0, this.width, 0, this.openLevels, out);
  }

  /** Writes the vector named by `ids[0 .. roots)` into `out[0 .. width)`, and makes it the base. */
  read(ids: Uint32Array, out: Uint32Array): void {
    this.at = 0;
    this.readTop(ids, out, 0, this.width, 0, this.openLevels);
    this.hasBase = true;
  }

  private countRoots(lo: number, hi: number, level: number): number {
    if (level === 0 || hi - lo === 1) return 1;
    const mid = (lo + hi + 1) >>> 1;
    return this.countRoots(lo, mid, level - 1) + this.countRoots(mid, hi, level - 1);
  }

  private top(v: Uint32Array, lo: number, hi: number, pos: number, level: number, out: Uint32Array): void {
    if (level === 0 || hi - lo === 1) {
      out[this.at++] = this.hasBase ? this.nodeFromBase(v, lo, hi, pos) : this.node(v, lo, hi);
      return;
    }
    const mid = (lo + hi + 1) >>> 1;
    this.top(v, lo, mid, pos + 1, level - 1, out);
    this.top(v, mid, hi, pos + 2 * (mid - lo), level - 1, out);
  }

  private readTop(ids: Uint32Array, out: Uint32Array, lo: number, hi: number, pos: number, level: number): void {
    if (level === 0 || hi - lo === 1) {
      this.unfold(ids[this.at++]!, out, lo, hi, pos);
      return;
    }
    const mid = (lo + hi + 1) >>> 1;
    this.readTop(ids, out, lo, mid, pos + 1, level - 1);
    this.readTop(ids, out, mid, hi, pos + 2 * (mid - lo), level - 1);
  }

  /** Number of distinct inner nodes. */
  get nodes(): number {
    return this.count;
  }

  get bytes(): number {
    return this.pairs.bytes + this.index.byteLength;
  }

  private node(v: Uint32Array, lo: number, hi: number): number {
    if (hi - lo === 1) return v[lo]!;
    const mid = (lo + hi + 1) >>> 1;
    return this.pair(this.node(v, lo, mid), this.node(v, mid, hi));
  }

  /** `pos`: the node's preorder position; its right child is at pos + 2·(left leaves). */
  private nodeFromBase(v: Uint32Array, lo: number, hi: number, pos: number): number {
    if (hi - lo === 1) return v[lo]!;
    const mid = (lo + hi + 1) >>> 1;
    const l = this.nodeFromBase(v, lo, mid, pos + 1);
    const rPos = pos + 2 * (mid - lo);
    const r = this.nodeFromBase(v, mid, hi, rPos);
    if (l === this.base[pos + 1] && r === this.base[rPos]) return this.base[pos]!;
    return this.pair(l, r);
  }

  private unfold(id: number, out: Uint32Array, lo: number, hi: number, pos: number): void {
    this.base[pos] = id;
    if (hi - lo === 1) {
      out[lo] = id;
      return;
    }
    const mid = (lo + hi + 1) >>> 1;
    this.unfold(this.pairs.get(2 * id), out, lo, mid, pos + 1);
    this.unfold(this.pairs.get(2 * id + 1), out, mid, hi, pos + 2 * (mid - lo));
  }

  private pair(a: number, b: number): number {
    const mask = this.index.length - 1;
    for (let slot = hashPair(a, b) & mask; ; slot = (slot + 1) & mask) {
      const e = this.index[slot]!;
      if (e === 0) {
        const id = this.count++;
        this.pairs.push(a);
        this.pairs.push(b);
        this.index[slot] = id + 1;
        if (this.count * 10 > this.index.length * 7) this.grow();
        return id;
      }
      if (this.pairs.get(2 * (e - 1)) === a && this.pairs.get(2 * (e - 1) + 1) === b) return e - 1;
    }
  }

  private grow(): void {
    const index = new Int32Array(this.index.length * 2);
    const mask = index.length - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = hashPair(this.pairs.get(2 * id), this.pairs.get(2 * id + 1)) & mask;
      while (index[slot] !== 0) slot = (slot + 1) & mask;
      index[slot] = id + 1;
    }
    this.index = index;
  }
}

/** A 32-bit mix of two words (a multiply-combine, then murmur3's finaliser). */
function hashPair(a: number, b: number): number {
  return fmix32(Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35)) >>> 0;
}
