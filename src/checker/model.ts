/**
 * The model interface: what a system must provide to be explored. It knows nothing
 * about how it is checked (BFS, liveness, symmetry and replay are separate consumers).
 *
 * Two shapes are accepted:
 *
 * - {@link Model} — any state type `S` (e.g. the kernel simulation's immutable,
 *   copy-on-write objects) and any action type `A`. The model lists the enabled actions
 *   of a state; the checker identifies an action by its *index* in that list, so a path
 *   is a list of small integers (`0/2/1`) that replays deterministically.
 * - {@link PackedModel} — the state *is* a fixed-width `Uint32Array` of words and the
 *   model writes successors into a buffer the checker owns: no allocation per state.
 *   This is the fast path used by the benchmark.
 *
 * Everything a model does must be a pure function of its arguments (no clocks, no
 * randomness, no iteration-order surprises): replay of a counterexample re-executes the
 * model and fails, naming nondeterminism, if it does not reach the recorded states.
 */
import type { Property } from './property.ts';

/** Sink for a state's canonical encoding: a sequence of 32-bit words. */
export interface WordWriter {
  /** Appends one word; only the low 32 bits are kept (`word >>> 0`). */
  push(word: number): void;
}

export interface Model<S, A = unknown> {
  /** The initial states, in a fixed order (a trace names one by its index). */
  initialStates(): readonly S[];
  /**
   * Pushes the actions enabled in `state` into `out` (which the caller empties first).
   * The order must be deterministic: a path refers to actions by index in this list.
   * No enabled action means the state is terminal (a deadlock unless {@link isEndState}).
   */
  actions(state: S, out: A[]): void;
  /** The successor of `state` by `action` (which `actions(state)` listed). Pure. */
  next(state: S, action: A): S;
  /** A readable name for an action, e.g. `vcpu1.fault(gfn 3)`. */
  formatAction(state: S, action: A): string;
  /**
   * Canonical encoding: equal states (in the model's sense) must write equal word
   * sequences, different states different ones. The 64-bit fingerprint is computed from
   * these words; in exact mode the words themselves are stored and compared.
   */
  encode(state: S, out: WordWriter): void;
  /**
   * Optional inverse of {@link encode}. When present the BFS frontier holds compact
   * encodings instead of JS objects (needed for large runs). `words` is only valid
   * during the call.
   */
  decode?(words: Uint32Array): S;
  /**
   * Optional run-independent canonical encoding, for when `encode` writes ids that only
   * mean something in this run (e.g. interned parts): the fingerprints that leave the
   * process — in traces, JSON output and replay files — are taken from it. Default: `encode`.
   */
  stableEncode?(state: S, out: WordWriter): void;
  /** Bytes the model holds for its encoding (intern tables), counted in the run's memory per state. */
  encodingBytes?(): number;
  /** Named properties: `always`, `sometimes`, `eventually` (see property.ts). */
  properties(): readonly Property<S>[];
  /** Declared end states: terminal states that are not deadlocks. */
  isEndState?(state: S): boolean;
  /**
   * Symmetry: a canonical member of the state's orbit under permutation of
   * interchangeable threads. Must satisfy `representative(σ(s)) === representative(s)`
   * (as encodings) and every property must be symmetric. Used only for safety.
   */
  representative?(state: S): S;
  /**
   * Partial-order reduction: an ample set of `state` as indices into `actions` (the list
   * `actions(state)` just produced), or undefined to expand every action. The model
   * promises conditions C0–C2 of Clarke, Grumberg & Peled (Model Checking, ch. 10): the
   * set is non-empty, no action outside it that depends on it can run before one of it,
   * and its actions are invisible to every property. The explorer adds C3 (bfs.ts). Used
   * only for safety (the proviso and why: bfs.ts porRest).
   */
  ample?(state: S, actions: readonly A[]): readonly number[] | undefined;
  /**
   * The model's promise that no cycle of the state graph is made of ample actions alone
   * (e.g. a measure that every ample action increases): then every cycle of the reduced
   * graph has a fully expanded state, which is C3, and the explorer skips its proviso.
   */
  readonly ampleCycleFree?: boolean;
  /** The coverage kind of an action; default: its formatted name up to `(` or space. */
  actionKind?(state: S, action: A): string;
  /** All kinds the model declares; the ones never fired are reported as uncovered. */
  readonly actionKinds?: readonly string[];
  /**
   * Weak-fairness class of an action (0..31, typically the thread that performs it),
   * or -1 when the action is not fair. Absent: no fairness assumption at all.
   */
  fairness?(state: S, action: A): number;
}

/**
 * A model whose state is a `Uint32Array` of exactly `width` words, which is also its
 * canonical encoding. Actions are the integers `0 .. actionCount(state) - 1`.
 *
 * Calling contract (lets a model cache per-state work): the checker always calls
 * `actionCount(state)` first, then any number of `next` / `formatAction` / `actionKind` /
 * `fairness` calls for that same state and its actions, before `actionCount` is called
 * for another state. The `state` buffer may be reused by the checker afterwards.
 */
export interface PackedModel {
  readonly width: number;
  initialStates(): readonly Uint32Array[];
  /** Number of enabled actions; action `k` is the k-th of them. */
  actionCount(state: Uint32Array): number;
  /** Writes the successor of `state` by action `k` into `out` (`width` words). */
  next(state: Uint32Array, action: number, out: Uint32Array): void;
  formatAction(state: Uint32Array, action: number): string;
  properties(): readonly Property<Uint32Array>[];
  isEndState?(state: Uint32Array): boolean;
  /** Symmetry: writes the representative of `state` into `out`. */
  representative?(state: Uint32Array, out: Uint32Array): void;
  /** Declared action kinds; `actionKind` returns an index into this list. */
  readonly actionKinds?: readonly string[];
  actionKind?(state: Uint32Array, action: number): number;
  fairness?(state: Uint32Array, action: number): number;
}

export function isPackedModel(m: object): m is PackedModel {
  return typeof (m as { width?: unknown }).width === 'number' && 'actionCount' in m;
}
