/** Options of a check run, passed as data. */
import { memoryAvailable } from './memory-budget.ts';

export interface Progress {
  readonly distinct: number;
  readonly generated: number;
  readonly statesPerSecond: number;
  readonly queue: number;
  readonly depth: number;
  readonly elapsedMs: number;
}

export interface CheckOptions {
  /** Stop (incomplete) once this many distinct states are stored. Default 2^31 - 2. */
  readonly maxStates?: number;
  /** States deeper than this are not generated. Default unbounded. */
  readonly maxDepth?: number;
  /** Wall-clock budget in ms, checked every 1024 expanded states. Default unbounded. */
  readonly maxTimeMs?: number;
  /** Use the model's `representative` (safety only). Default: on when the model has one. */
  readonly symmetry?: boolean;
  /**
   * Use the model's ample sets (partial-order reduction; safety only, so not with liveness).
   * Default: on when the model has them and liveness is off.
   */
  readonly partialOrder?: boolean;
  /** Store full encodings and compare them on fingerprint match (tests). Default off. */
  readonly exact?: boolean;
  /** Report terminal states that are not declared end states. Default on. */
  readonly deadlock?: boolean;
  /** Stop at the first invariant violation or deadlock. Default on. */
  readonly stopAtFirst?: boolean;
  /** Check `eventually` properties (stores the graph). Default: on when there are any. */
  readonly liveness?: boolean;
  /**
   * Refuse liveness above this many states. Default: no fixed count; liveness runs while
   * its graph and pass fit in memory (memory-budget.ts).
   */
  readonly maxLivenessStates?: number;
  /** Count fired actions per kind. Default on. */
  readonly coverage?: boolean;
  /** Set `aborted` (e.g. on Ctrl-C) to end the search with an incomplete result; polled every 1024 states. */
  readonly signal?: { readonly aborted: boolean };
  /** Called at most every `progressIntervalMs` (default 1000) during the search. */
  readonly progress?: (p: Progress) => void;
  readonly progressIntervalMs?: number;
  /**
   * Testing aid: keep only this many low bits of each fingerprint (default 64), to force
   * collisions and show what exact mode protects against.
   */
  readonly fingerprintBits?: number;
  /**
   * The memory the run may use, in bytes. With `memoryUsed`, the search stops (incomplete)
   * once it uses more; checked with the time limit. Liveness is skipped, and its graph
   * dropped, when the graph and its pass would not fit under it (memory-budget.ts).
   * Default: no stop; for liveness, V8's heap limit (node --max-old-space-size).
   */
  readonly maxMemoryBytes?: number;
  /**
   * Bytes in use now (e.g. heap plus typed arrays); required for the search to stop at
   * maxMemoryBytes. Default for the liveness budget: the heap in use plus external memory.
   */
  readonly memoryUsed?: () => number;
  /**
   * For a watchdog in another thread: before each state is expanded, the path to it is
   * written here as [length, initial, actions...] (length -1 when it does not fit).
   */
  readonly expandingPath?: Int32Array;
}

export interface ResolvedOptions {
  readonly maxStates: number;
  readonly maxDepth: number;
  readonly maxTimeMs: number;
  readonly symmetry: boolean;
  readonly partialOrder: boolean;
  readonly exact: boolean;
  readonly deadlock: boolean;
  readonly stopAtFirst: boolean;
  readonly liveness: boolean;
  readonly maxLivenessStates: number;
  /** Bytes the run may still allocate (read when needed: before and during liveness). */
  readonly memoryAvailable: () => number;
  readonly coverage: boolean;
  readonly progress: ((p: Progress) => void) | undefined;
  readonly progressIntervalMs: number;
  readonly signal: { readonly aborted: boolean } | undefined;
  readonly fingerprintBits: number;
  readonly maxMemoryBytes: number | undefined;
  readonly memoryUsed: (() => number) | undefined;
  readonly expandingPath: Int32Array | undefined;
}

export const DEFAULT_MAX_STATES = 2 ** 31 - 2;

export function resolveOptions(
  o: CheckOptions,
  model: { hasSymmetry: boolean; hasEventually: boolean; hasAmple?: boolean },
): ResolvedOptions {
  const liveness = o.liveness ?? model.hasEventually;
  return {
    maxStates: Math.min(o.maxStates ?? DEFAULT_MAX_STATES, DEFAULT_MAX_STATES),
    maxDepth: o.maxDepth ?? Number.POSITIVE_INFINITY,
    maxTimeMs: o.maxTimeMs ?? Number.POSITIVE_INFINITY,
    symmetry: (o.symmetry ?? model.hasSymmetry) && model.hasSymmetry && !liveness,
    partialOrder: (o.partialOrder ?? model.hasAmple === true) && model.hasAmple === true && !liveness,
    exact: o.exact ?? false,
    deadlock: o.deadlock ?? true,
    stopAtFirst: o.stopAtFirst ?? true,
    liveness,
    maxLivenessStates: o.maxLivenessStates ?? Number.POSITIVE_INFINITY,
    memoryAvailable: () => memoryAvailable(o.maxMemoryBytes, o.memoryUsed),
    coverage: o.coverage ?? true,
    progress: o.progress,
    progressIntervalMs: o.progressIntervalMs ?? 1000,
    signal: o.signal,
    fingerprintBits: o.fingerprintBits ?? 64,
    maxMemoryBytes: o.maxMemoryBytes,
    memoryUsed: o.memoryUsed,
    expandingPath: o.expandingPath,
  };
}
