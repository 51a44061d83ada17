/**
 * The checker's internal view of a model: one interface over both model shapes, so the
 * BFS, replay and trace reconstruction are written once. A space is stateful and
 * single-threaded: `expand(s)` enumerates the enabled actions of `s`, after which
 * `successor(k)`, `label(k)`, `kindId(k)` and `fairness(k)` refer to them.
 */
import type { Property } from './property.ts';

export interface Space<S> {
  /** > 0 when every encoding has this many words (packed models). */
  readonly fixedWidth: number;
  /** True when states can be rebuilt from encodings (compact frontier). */
  readonly decodes: boolean;
  readonly hasSymmetry: boolean;
  /** Whether the model offers ample sets (partial-order reduction). */
  readonly hasAmple: boolean;
  /** The model promises that ample actions alone form no cycle (C3 holds without the proviso). */
  readonly ampleCycleFree: boolean;
  readonly hasFairness: boolean;
  readonly properties: readonly Property<S>[];
  /** Declared action kinds (coverage), in declaration order. */
  readonly declaredKinds: readonly string[];
  initialStates(): S[];
  expand(state: S): number;
  /** The ample set of the state last expanded (indices of its actions), or undefined: expand all. */
  ample(): readonly number[] | undefined;
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
  /** Like `encode`, with the model's run-independent encoding (fingerprints that leave the run). */
  encodeStable(state: S): number;
  /** Bytes the model holds for its encoding, beyond the checker's own stores. */
  encodingBytes(): number;
  /** The words of the last `encode` or `encodeStable` (valid until the next call). */
  buffer(): Uint32Array;
  /** Rebuilds a state from `words[offset .. offset+size)` (requires `decodes`). */
  decode(words: Uint32Array, offset: number, size: number): S;
  /** A copy that survives later calls (packed scratch buffers are reused). */
  keep(state: S): S;
}
