/**
 * The results file of `kvmuf simulate` (`--out FILE`, or `--json` on stdout). It is also a
 * replay file (replay-record.ts): `runs[0]` carries the configuration, the handler and the
 * failures with their paths and fingerprints, so `kvmuf replay FILE` re-runs them. The
 * `simulate` part says which runs it covers (its shard of the seed space) and what they
 * covered, so `kvmuf merge` can combine shards and refuse files that do not belong together.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../system/config-error.ts';
import type { SystemConfig } from '../system/config.ts';
import type { HandlerFileRecord } from './handler-file.ts';
import { isFile } from './handler-file.ts';
import type { Shard } from './shard.ts';
import type { RunEnding } from '../checker/sampling/sample-run.ts';

export const RESULTS_FORMAT = 'kvmuf-simulate-1';

export interface SimFailure {
  readonly kind: 'invariant' | 'deadlock';
  readonly property?: string;
  /** The run that found it and that run's seed. */
  readonly run: number;
  readonly seed: number;
  /** Steps of the run when it failed, before shrinking. */
  readonly originalSteps: number;
  /** Present when shrinking stopped at its replay budget: the candidates it replayed. */
  readonly shrinkReplays?: number;
  readonly title: string;
  readonly path: string;
  readonly fingerprints: readonly string[];
  readonly steps: readonly { readonly label: string; readonly changes: readonly string[] }[];
  /** A refinement failure: the spec step no machine allows. */
  readonly spec?: string;
  readonly replay: string;
}

/** What decides whether two results files are parts of the same simulation. */
export interface SimIdentity {
  readonly configurationSha256: string;
  readonly handler: string;
  readonly handlerSha256: string | null;
  readonly schedule: string;
  readonly depth: number;
  readonly maxSteps: number;
  readonly seed: number;
  readonly runs: number;
}

export interface SimSummary {
  readonly identity: SimIdentity;
  readonly shard: Shard;
  /** Runs of this file's shard that ran (fewer than its share when interrupted). */
  readonly runsDone: number;
  readonly runsInShard: number;
  readonly endings: Readonly<Record<RunEnding, number>>;
  readonly interrupted: boolean;
  readonly coverage: {
    readonly fired: Readonly<Record<string, number>>;
    readonly declared: readonly string[];
    /** Fingerprints of the distinct states the runs reached. */
    readonly states: readonly string[];
    /** The spec transitions the runs took (machine: from -event-> to), of `specTransitions` in all. */
    readonly transitions: readonly string[];
    readonly specTransitions: number;
  };
  /** Shards merged into this one (itself only, unless merged). */
  readonly parts: readonly Shard[];
}

export interface SimResults {
  readonly format: typeof RESULTS_FORMAT;
  readonly kvmuf: string;
  readonly exitStatus: number;
  readonly runs: readonly [
    {
      readonly configuration: SystemConfig;
      readonly configurationSha256: string;
      readonly handler: string;
      readonly handlerFile?: HandlerFileRecord;
      readonly configurationName: string;
      readonly command: string;
      readonly failures: readonly SimFailure[];
    },
  ];
  readonly simulate: SimSummary;
}

const HINT = 'results files are written by kvmuf simulate --out FILE';

function bad(file: string, what: string): never {
  throw new ConfigError('KVMUF502', `${file}: ${what}`, HINT);
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function readResults(file: string): SimResults {
  if (!isFile(file)) throw new ConfigError('KVMUF301', `cannot read results file '${file}'`, HINT);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    bad(file, `not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isRecord(data) || data.format !== RESULTS_FORMAT) bad(file, `not a kvmuf simulate results file (no "format": "${RESULTS_FORMAT}")`);
  const sim = data.simulate;
  const run = Array.isArray(data.runs) ? (data.runs[0] as unknown) : undefined;
  if (!isRecord(sim) || !isRecord(sim.identity) || !isRecord(sim.shard) || !isRecord(sim.coverage) || !isRecord(sim.endings) || !Array.isArray(sim.parts)) bad(file, 'its "simulate" part lacks identity, shard, coverage, endings or parts');
  if (!isRecord(run) || !Array.isArray(run.failures) || !isRecord(run.configuration)) bad(file, 'its run lacks the configuration or the failures');
  const cov = sim.coverage;
  if (!isRecord(cov.fired) || !Array.isArray(cov.states) || !Array.isArray(cov.declared) || !Array.isArray(cov.transitions)) bad(file, 'its coverage lacks fired step kinds, declared kinds, states or spec transitions');
  if (typeof sim.runsDone !== 'number' || typeof sim.runsInShard !== 'number') bad(file, 'it does not say how many runs it covers');
  return data as unknown as SimResults;
}
