/**
 * The compact encoding of composed-system states (issue 14 item 1). Each part of a state
 * (state-parts.ts) is interned by its exact word encoding into a dense per-part id, and
 * the vector of part ids is tree-compressed into one root id (checker/pair-tree.ts): a
 * state is then stored and queued as a single word, and rebuilt on demand by `decode`.
 *
 * Encoding cost follows what changed: parts are plain data replaced as a whole by the
 * step that changes them (copy on write), so a successor shares every unchanged part
 * with the state being expanded by object identity. Those are recognised by `===`
 * against the last decoded state's parts; only the parts a step replaced are encoded
 * into words and looked up. (A WeakMap of every part object met was tried as a second
 * cache: it almost never hits, since a step's new parts are new objects, and it makes
 * the garbage collector trace ephemerons.)
 *
 * The ids depend on the order states were met in one run, so they never leave the
 * process: fingerprints shown to users and written to replay files come from the full
 * encoding (`encodeSystem`), the model's `stableEncode`.
 */
import { PairTree, WordBuffer, WordInterner, type WordWriter } from '../checker/index.ts';
import type { VmConfig } from '../kvm/state.ts';
import type { SystemState } from './state.ts';
import { assemble, groupContainer, systemParts, type PartGroup, type StatePart } from './state-parts.ts';

export class StateCodec {
  private readonly parts: readonly StatePart[];
  private readonly interners: WordInterner[];
  /** The first value met with each id, per part: what `decode` hands out. */
  private readonly values: unknown[][];
  private readonly tree: PairTree;
  private readonly vector: Uint32Array;
  /** The name of the state last encoded: `tree.roots` words. */
  private readonly ids: Uint32Array;
  private readonly buf = new WordBuffer();
  private readonly push = (w: number): void => this.buf.push(w);
  /** The parts (and their ids) of the state decoded last: its successors share most of them. */
  private readonly lastValues: unknown[];
  private readonly lastIds: Uint32Array;
  /** The state decoded last (its containers tell which groups of parts a successor shares). */
  private lastState: SystemState | undefined;
  /** Part indices by group, and the groups in order. */
  private readonly groups: { readonly group: PartGroup; readonly parts: readonly number[] }[];

  constructor(
    private readonly config: VmConfig,
    private readonly vcpus: number,
    private readonly threads: number,
  ) {
    this.parts = systemParts(vcpus, threads);
    const n = this.parts.length;
    this.interners = Array.from({ length: n }, () => new WordInterner());
    this.values = Array.from({ length: n }, () => []);
    this.tree = new PairTree(n, OPEN_LEVELS);
    this.ids = new Uint32Array(this.tree.roots);
    this.vector = new Uint32Array(n);
    this.lastValues = new Array<unknown>(n).fill(NOT_A_PART);
    this.lastIds = new Uint32Array(n);
    const byGroup = new Map<PartGroup, number[]>();
    this.parts.forEach((p, i) => byGroup.set(p.group, [...(byGroup.get(p.group) ?? []), i]));
    this.groups = [...byGroup].map(([group, parts]) => ({ group, parts }));
  }

  /** Number of words in a state's name. */
  get width(): number {
    return this.tree.roots;
  }

  /** Writes the name of `s` (`width` words), interning its new parts. */
  encode(s: SystemState, out: WordWriter): void {
    const parts = this.parts;
    const vector = this.vector;
    const last = this.lastState;
    for (const { group, parts: members } of this.groups) {
      if (last !== undefined && groupContainer(group, s) === groupContainer(group, last)) {
        for (const i of members) vector[i] = this.lastIds[i]!;
        continue;
      }
      for (const i of members) {
        const v = parts[i]!.get(s);
        vector[i] = v === this.lastValues[i] ? this.lastIds[i]! : this.idOf(i, v);
      }
    }
    this.tree.insert(vector, this.ids);
    for (let i = 0; i < this.ids.length; i++) out.push(this.ids[i]!);
  }

  /** The state named by `words[0 .. width)`. */
  decode(words: Uint32Array): SystemState {
    this.tree.read(words, this.lastIds);
    const values = this.lastValues;
    for (let i = 0; i < values.length; i++) values[i] = this.values[i]![this.lastIds[i]!];
    const s = assemble(this.config, this.vcpus, this.threads, values);
    this.lastState = s;
    return s;
  }

  /** Bytes held by the intern tables and the tree (the encoding's share of memory per state). */
  get bytes(): number {
    let b = this.tree.bytes;
    for (const t of this.interners) b += t.bytes;
    return b;
  }

  /** Distinct values interned per part (for reports and tests). */
  partSizes(): { name: string; distinct: number }[] {
    return this.parts.map((p, i) => ({ name: p.name, distinct: this.interners[i]!.size }));
  }

  private idOf(i: number, v: unknown): number {
    this.buf.reset();
    this.parts[i]!.encode(this.push, v);
    const interner = this.interners[i]!;
    const id = interner.intern(this.buf.words, this.buf.length);
    if (id === this.values[i]!.length) this.values[i]!.push(v);
    return id;
  }
}

const NOT_A_PART = Symbol('not a part');

/**
 * The top tree levels left open: a state is named by 2^OPEN_LEVELS words. The top
 * levels hold about one new pair per distinct state each (8 bytes + index); leaving
 * them open costs words per queued state instead. Measured on kvm-userfault x86 4 vCPUs
 * × 2 pages (193,808 states), encoding tables per state: 44 B with 0 open levels, 25 B
 * with 1, 11.6 B with 2 (frontier peak 0.5 → 0.75 MiB).
 */
const OPEN_LEVELS = 2;
