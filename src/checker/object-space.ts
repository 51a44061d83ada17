/** The {@link Space} of a generic {@link Model}: JS states, encoded on demand. */
import { KindTable, kindOfName } from './action-kinds.ts';
import type { Model } from './model.ts';
import type { Property } from './property.ts';
import type { Space } from './space.ts';
import { WordBuffer } from './word-buffer.ts';

export class ObjectSpace<S, A> implements Space<S> {
  readonly fixedWidth = 0;
  readonly decodes: boolean;
  readonly hasSymmetry: boolean;
  readonly hasAmple: boolean;
  readonly ampleCycleFree: boolean;
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
    this.hasAmple = model.ample !== undefined;
    this.ampleCycleFree = model.ampleCycleFree === true;
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
  ample(): readonly number[] | undefined {
    return this.model.ample?.(this.current as S, this.acts);
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
  encodeStable(state: S): number {
    this.buf.reset();
    (this.model.stableEncode ?? this.model.encode).call(this.model, state, this.buf);
    return this.buf.length;
  }
  encodingBytes(): number {
    return this.model.encodingBytes?.() ?? 0;
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
