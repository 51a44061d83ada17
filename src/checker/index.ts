/** The checker's public API. */
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
export { ReplayError } from './replay-error.ts';
export { formatSummary, formatFailure, formatProgress } from './summary.ts';
export { collisionProbability } from './fingerprint.ts';
export { graphModel, type GraphSpec } from './graph-model.ts';
export { xstateModel, type XStateModelOptions } from './xstate-adapter.ts';
