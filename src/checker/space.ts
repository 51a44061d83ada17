/**
 * The checker's internal view of a model: one interface over both model shapes, so the
 * BFS, replay and trace reconstruction are written once. A space is stateful and
 * single-threaded: `expand(s)` enumerates the enabled actions of `s`, after which
 * `successor(k)`, `label(k)`, `kindId(k)` and `fairness(k)` refer to them.
 */
import type { Model, PackedModel } from './model.ts';
import type { Property } from './property.ts';
import { WordBuffer } from './word-buffer.ts';

export interface Space<S> {
  /** > 0 when every encoding has this many words (packed models). */
  readonly fixedWidth: number;
  /** True when states can be rebuilt from encodings (compact frontier). */
  readonly decodes: boolean;
  readonly hasSymmetry: boolean;
  readonly hasFairness: boolean;
  readonly properties: readonly Property<S>[];
  /** Declared action kinds (coverage), in declaration order. */
  readonly declaredKinds: readonly string[];
  initialStates(): S[];
  expand(state: S): number;
  /** Successor by the k-th enabled action. Packed: a scratch buffer, see `keep`. */
  successor(k: number): S;
  label(k: number): string;
  /** Index into `kindNames()` of the k-th action's coverage kind. */
  kindId(k: number): number;
  kindNames(): readonly string[];
  /** Fairness class (0..31) of the k-th action, -1 if none. */
  fairness(k: number): number;
  isEnd(state: S): boolean;
  /** The symmetry representative (identity without symmetry or when disabled). */
  canonical(state: S, useSymmetry: boolean): S;
  /** Writes the encoding into `this.buffer` and returns its length. */
  encode(state: S): number;
  /** The words of the last `encode` (valid until the next call). */
  buffer(): Uint32Array;
  /** Rebuilds a state from `words[offset .. offset+size)` (requires `decodes`). */
  decode(words: Uint32Array, offset: number, size: number): S;
  /** A copy that survives later calls (packed scratch buffers are reused). */
  keep(state: S): S;
}

function kindOfName(name: string): string {
  const m = /^[^( ]*/.exec(name);
  return m !== null && m[0].length > 0 ? m[0] : name;
}

class KindTable {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  constructor(declared: readonly string[]) {
    for (const k of declared) this.id(k);
  }
  id(kind: string): number {
    let id = this.ids.get(kind);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(kind);
      this.ids.set(kind, id);
    }
    return id;
  }
}

export class ObjectSpace<S, A> implements Space<S> {
  readonly fixedWidth = 0;
  readonly decodes: boolean;
  readonly hasSymmetry: boolean;
  readonly hasFairness: boolean;
  readonly properties: readonly Property<S>[];
  readonly declaredKinds: readonly string[];
  private readonly kinds: KindTable;
  private readonly acts: A[] = [];
  private current: S | undefined;
  private readonly buf = new WordBuffer();

  constructor(private readonly model: Model<S, A>) {
    this.decodes = model.decode !== undefined;
    this.hasSymmetry = model.representative !== undefined;
    this.hasFairness = model.fairness !== undefined;
    this.properties = model.properties();
    this.declaredKinds = model.actionKinds ?? [];
    this.kinds = new KindTable(this.declaredKinds);
  }

  initialStates(): S[] {
    return [...this.model.initialStates()];
  }
  expand(state: S): number {
    this.current = state;
    this.acts.length = 0;
    this.model.actions(state, this.acts);
    return this.acts.length;
  }
  successor(k: number): S {
    return this.model.next(this.current as S, this.acts[k] as A);
  }
  label(k: number): string {
    return this.model.formatAction(this.current as S, this.acts[k] as A);
  }
  kindId(k: number): number {
    const s = this.current as S;
    const a = this.acts[k] as A;
    const kind = this.model.actionKind?.(s, a) ?? kindOfName(this.model.formatAction(s, a));
    return this.kinds.id(kind);
  }
  kindNames(): readonly string[] {
    return this.kinds.names;
  }
  fairness(k: number): number {
    return this.model.fairness?.(this.current as S, this.acts[k] as A) ?? -1;
  }
  isEnd(state: S): boolean {
    return this.model.isEndState?.(state) ?? false;
  }
  canonical(state: S, useSymmetry: boolean): S {
    return useSymmetry && this.model.representative ? this.model.representative(state) : state;
  }
  encode(state: S): number {
    this.buf.reset();
    this.model.encode(state, this.buf);
    return this.buf.length;
  }
  buffer(): Uint32Array {
    return this.buf.words;
  }
  decode(words: Uint32Array, offset: number, size: number): S {
    const decode = this.model.decode;
    if (decode === undefined) throw new Error('model has no decode');
    return decode.call(this.model, words.subarray(offset, offset + size));
  }
  keep(state: S): S {
    return state;
  }
}

export class PackedSpace implements Space<Uint32Array> {
  readonly fixedWidth: number;
  readonly decodes = true;
  readonly hasSymmetry: boolean;
  readonly hasFairness: boolean;
  readonly properties: readonly Property<Uint32Array>[];
  readonly declaredKinds: readonly string[];
  private readonly kindList: string[];
  private current: Uint32Array;
  private count = 0;
  private readonly out: Uint32Array;
  private readonly rep: Uint32Array;
  private readonly cur: Uint32Array;
  private last: Uint32Array;

  constructor(private readonly model: PackedModel) {
    this.fixedWidth = model.width;
    this.hasSymmetry = model.representative !== undefined;
    this.hasFairness = model.fairness !== undefined;
    this.properties = model.properties();
    this.declaredKinds = model.actionKinds ?? [];
    this.kindList = [...this.declaredKinds];
    this.out = new Uint32Array(model.width);
    this.rep = new Uint32Array(model.width);
    this.cur = new Uint32Array(model.width);
    this.current = this.cur;
    this.last = this.out;
  }

  initialStates(): Uint32Array[] {
    return this.model.initialStates().map((s) => s.slice());
  }
  expand(state: Uint32Array): number {
    this.current = state;
    this.count = this.model.actionCount(state);
    return this.count;
  }
  successor(k: number): Uint32Array {
    this.model.next(this.current, k, this.out);
    return this.out;
  }
  label(k: number): string {
    return this.model.formatAction(this.current, k);
  }
  kindId(k: number): number {
    if (this.model.actionKind === undefined) {
      const kind = kindOfName(this.model.formatAction(this.current, k));
      let id = this.kindList.indexOf(kind);
      if (id < 0) id = this.kindList.push(kind) - 1;
      return id;
    }
    return this.model.actionKind(this.current, k);
  }
  kindNames(): readonly string[] {
    return this.kindList;
  }
  fairness(k: number): number {
    return this.model.fairness?.(this.current, k) ?? -1;
  }
  isEnd(state: Uint32Array): boolean {
    return this.model.isEndState?.(state) ?? false;
  }
  canonical(state: Uint32Array, useSymmetry: boolean): Uint32Array {
    if (!useSymmetry || this.model.representative === undefined) return state;
    this.model.representative(state, this.rep);
    return this.rep;
  }
  encode(state: Uint32Array): number {
    this.last = state;
    return this.fixedWidth;
  }
  buffer(): Uint32Array {
    return this.last;
  }
  decode(words: Uint32Array, offset: number, size: number): Uint32Array {
    const cur = this.cur;
    for (let i = 0; i < size; i++) cur[i] = words[offset + i]!;
    return cur;
  }
  keep(state: Uint32Array): Uint32Array {
    return state.slice();
  }
}
