/**
 * The {@link Space} of a {@link PackedModel}: the state is its own encoding; successors
 * and representatives are written into reused scratch buffers (no allocation per state).
 */
import { kindOfName } from './action-kinds.ts';
import type { PackedModel } from './model.ts';
import type { Property } from './property.ts';
import type { Space } from './space.ts';

export class PackedSpace implements Space<Uint32Array> {
  readonly fixedWidth: number;
  readonly decodes = true;
  readonly hasSymmetry: boolean;
  /** Packed models have no ample sets (partial-order reduction is on the object path). */
  readonly hasAmple: boolean;
  readonly ampleCycleFree = false;
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
    this.hasAmple = false;
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
  ample(): undefined {
    return undefined;
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
  encodeStable(state: Uint32Array): number {
    return this.encode(state);
  }
  encodingBytes(): number {
    return 0;
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
