/** What a check run returns. */
import type { SearchBytes } from './bfs.ts';
import type { LimitKind } from './limit-error.ts';
import type { Lasso } from './liveness.ts';
import type { LivenessRefusal } from './memory-budget.ts';
import type { Trace } from './trace.ts';

export type Failure =
  /** An `always` property is false in a reachable state; `trace` is a shortest path to one. */
  | { readonly kind: 'invariant'; readonly property: string; readonly trace: Trace }
  /** A reachable state with no enabled action that is not a declared end state. */
  | { readonly kind: 'deadlock'; readonly trace: Trace }
  /** A `sometimes` property held in no reachable state (only reported for complete runs). */
  | { readonly kind: 'unwitnessed'; readonly property: string }
  /** An `eventually` / `leadsTo` property is postponed forever along a fair lasso. */
  | { readonly kind: 'liveness'; readonly property: string; readonly lasso: Lasso };

export interface Stats {
  readonly generated: number;
  readonly distinct: number;
  readonly queueLeft: number;
  /** Deepest state discovered (initial states: 0). */
  readonly depth: number;
  /** Every state at depth <= this was expanded. */
  readonly depthFullyExplored: number;
  readonly elapsedMs: number;
  /** Distinct states per second of search time. */
  readonly statesPerSecond: number;
  /**
   * Bytes held per distinct state: the fingerprint table, parent pointers and action
   * indices, the peak of the frontier's chunks, the liveness graph, the model's encoding
   * tables and exact-mode encodings, divided by distinct states. JS objects (the frontier
   * of a model without `decode`) are not in it: they are only seen as process memory.
   */
  readonly bytesPerState: number;
  readonly bytes: SearchBytes;
  /** Estimated probability that a fingerprint collision merged two states (fingerprint.ts). */
  readonly collisionProbability: { birthday: number; optimistic: number };
  /** Exact mode: fingerprint matches whose encodings differed (real collisions avoided). */
  readonly fingerprintMatchesRejected: number;
}

export interface Coverage {
  /** Times each action kind fired (was taken from an expanded state). */
  readonly fired: Readonly<Record<string, number>>;
  /** Declared kinds (`actionKinds`) that never fired, hence were never enabled in an expanded state. */
  readonly neverFired: readonly string[];
}

export interface CheckResult {
  /** `fail` if any failure was found; else `incomplete` if a limit ended the run; else `pass`. */
  readonly status: 'pass' | 'fail' | 'incomplete';
  readonly failures: readonly Failure[];
  /** A shortest witness trace for each witnessed `sometimes` property. */
  readonly witnesses: readonly { readonly property: string; readonly trace: Trace }[];
  /**
   * What limit ended the run early, and how. A liveness limit (`liveness-size`,
   * `liveness-memory`) comes after a complete safety search: the message says
   * "safety: complete (…); liveness: not checked (why)".
   */
  readonly incomplete?: { readonly limit: LimitKind | LivenessRefusal['limit']; readonly message: string };
  readonly stats: Stats;
  readonly coverage: Coverage;
  /** Whether symmetry reduction and liveness checking were used, and why not. */
  readonly symmetry: boolean;
  /**
   * Present when partial-order reduction was used: how many states were expanded by their
   * ample set alone, and how many fell back to a full expansion (cycle proviso, bfs.ts).
   */
  readonly partialOrder?: { readonly reducedExpansions: number; readonly provisoFallbacks: number };
  /**
   * `complete`: the search explored every reachable state, so each invariant and deadlock
   * freedom was checked exhaustively (even if liveness then could not run).
   */
  readonly safety: 'complete' | 'incomplete';
  readonly liveness: 'checked' | 'not requested' | 'skipped';
  readonly notes: readonly string[];
}
