/**
 * The checker's public API: an explicit-state model checker generic over a small pure
 * model interface (stateright-like).
 *
 * ```ts
 * import { always, check, formatSummary, replay } from './checker/index.ts';
 * const result = check(model, { maxStates: 10_000_000, maxTimeMs: 60_000 });
 * console.log(formatSummary(result));
 * for (const f of result.failures) if (f.kind === 'invariant') replay(model, f.trace);
 * ```
 *
 * - model.ts: `Model<S, A>` (any immutable state type, encoded to 32-bit words) and
 *   `PackedModel` (the state is a `Uint32Array`; allocation-free fast path).
 * - property.ts: `always`, `sometimes`, `eventually`, `leadsTo`.
 * - check.ts → bfs.ts: BFS with shortest counterexamples from parent pointers, deadlock
 *   detection, coverage, limits, symmetry; liveness.ts: fair lassos on the stored graph.
 * - fingerprint.ts / fingerprint-table.ts: 64-bit fingerprints in an open-addressing
 *   typed-array table; exact mode stores full encodings.
 * - trace.ts / replay.ts: `0/2/1` paths that replay deterministically, or fail naming
 *   nondeterminism.
 * - xstate-adapter.ts: explore an XState v5 machine through its `transition()`.
 */
export type { Model, PackedModel, WordWriter } from './model.ts';
export { isPackedModel } from './model.ts';
export type { Property, PropertyKind } from './property.ts';
export { always, sometimes, eventually, leadsTo } from './property.ts';
export { check } from './check.ts';
export type { CheckOptions, Progress } from './options.ts';
export type { CheckResult, Failure, Stats, Coverage } from './result.ts';
export type { Trace } from './trace.ts';
export { formatPath, parsePath } from './trace.ts';
export type { Lasso } from './liveness.ts';
export { replay } from './replay.ts';
export { ReplayError, type ReplayFailure } from './replay-error.ts';
export { ExpansionError } from './expansion-error.ts';
export { formatSummary, formatFailure, formatProgress } from './summary.ts';
export { collisionProbability } from './fingerprint.ts';
export { canonicalString } from './canonical.ts';
export { WordInterner } from './word-interner.ts';
export { PairTree } from './pair-tree.ts';
export { WordBuffer } from './word-buffer.ts';
export { graphModel, type GraphSpec } from './graph-model.ts';
export { xstateModel, snapshotKey, type XStateModelOptions } from './xstate-adapter.ts';
