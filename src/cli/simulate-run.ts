/**
 * `kvmuf simulate`'s runs, in the supervised worker: the configuration is composed as for
 * `check`, then each run of this shard samples one schedule (PCT or a random walk) of at
 * most --max-steps steps, checking every invariant at every state and deadlock at the
 * end, as the exhaustive search does. The first run of each failure (kind and property) is
 * shrunk with fast-check and explained step by step like a check counterexample.
 */
import { specRefinement } from '../../properties/refinement.ts';
import type { Failure } from '../checker/index.ts';
import { runSeed } from '../checker/sampling/prng.ts';
import { sampleRun, type RunEnding } from '../checker/sampling/sample-run.ts';
import { makeScheduler, type ScheduleKind } from '../checker/sampling/scheduler.ts';
import { shrinkRun, type Shrunk } from '../checker/sampling/shrink.ts';
import { stateFingerprinter, traceAlong } from '../checker/sampling/trace-along.ts';
import { explainFailure } from '../report/counterexample.ts';
import { composeSystem, systemModel, type System } from '../system/model.ts';
import type { SystemState } from '../system/state.ts';
import { stuckText, stuckThreads } from '../system/stuck-threads.ts';
import type { SystemConfig } from '../system/config.ts';
import type { ParsedFlags } from './args.ts';
import { commandWordsFor, configFromFlags, resolveHandler, runtimeFor, type RunHooks } from './check-command.ts';
import { configName } from './config-name.ts';
import { configSha256, replayFileHeader, runRecord } from './replay-record.ts';
import { inShard, parseShard, WHOLE, type Shard } from './shard.ts';
import { writePath } from './path-sink.ts';
import { shellCommand } from './shell-quote.ts';
import { DEFAULT_DEPTH, DEFAULT_MAX_STEPS, DEFAULT_RUNS } from './simulate-flags.ts';
import { exitStatusOf, sumRecords } from './simulate-merge.ts';
import { RESULTS_FORMAT, type SimFailure, type SimResults, type SimSummary } from './simulate-results.ts';
import type { HandlerFileRecord } from './handler-file.ts';

export interface SimParams {
  readonly schedule: ScheduleKind;
  readonly depth: number;
  readonly runs: number;
  readonly maxSteps: number;
  readonly seed: number;
  readonly shard: Shard;
}

/** The default seed: the first 32 bits of the configuration's sha256, so one configuration always samples the same runs. */
export function defaultSeed(cfg: SystemConfig): number {
  return parseInt(configSha256(cfg).slice(0, 8), 16);
}

export function simParams(flags: ParsedFlags, cfg: SystemConfig): SimParams {
  return {
    schedule: flags.schedule === 'random' ? 'random' : 'pct',
    depth: (flags.depth as number | undefined) ?? DEFAULT_DEPTH,
    runs: (flags.runs as number | undefined) ?? DEFAULT_RUNS,
    maxSteps: (flags['max-steps'] as number | undefined) ?? DEFAULT_MAX_STEPS,
    seed: (flags.seed as number | undefined) ?? defaultSeed(cfg),
    shard: typeof flags.shard === 'string' ? parseShard(flags.shard) : WHOLE,
  };
}

/** The words of the simulate command line that samples these runs (the shard left out). */
export function simulateWords(cfg: SystemConfig, handler: string | undefined, p: SimParams): string[] {
  const [kvmuf = 'kvmuf', , ...rest] = commandWordsFor(cfg, handler);
  return [kvmuf, 'simulate', ...rest, '--schedule', p.schedule, ...(p.schedule === 'pct' ? ['--depth', String(p.depth)] : []), '--runs', String(p.runs), '--max-steps', String(p.maxSteps), '--seed', String(p.seed)];
}

interface Found {
  readonly run: number;
  readonly seed: number;
  readonly choices: readonly number[];
  readonly ending: 'violation' | 'deadlock';
  readonly property?: string;
}

function explain(sys: System, model: ReturnType<typeof systemModel>, f: Found, shrunk: Shrunk, replayWords: readonly string[]): SimFailure {
  const path = shrunk.choices;
  const trace = traceAlong(model, 0, path);
  const failure: Failure = f.ending === 'violation' ? { kind: 'invariant', property: f.property ?? '', trace } : { kind: 'deadlock', trace };
  const cx = explainFailure(sys, model, failure);
  const last = cx?.states.at(-1) as SystemState | undefined;
  const stuck = f.ending === 'deadlock' && last ? stuckText(stuckThreads(sys, last)) : '';
  const title = f.ending === 'violation' ? `invariant violated: ${f.property ?? ''}` : `deadlock: no thread can move${stuck ? `; not finished: ${stuck}` : ''}`;
  const p = ['0', ...path.map(String)].join('/');
  return {
    kind: failure.kind === 'invariant' ? 'invariant' : 'deadlock',
    ...(f.property !== undefined ? { property: f.property } : {}),
    run: f.run,
    seed: f.seed,
    originalSteps: f.choices.length,
    ...(shrunk.capped ? { shrinkReplays: shrunk.replays } : {}),
    title,
    path: p,
    fingerprints: trace.fingerprints,
    steps: (cx?.steps ?? []).map((s) => ({ label: s.label, changes: s.changes })),
    ...(cx?.specMessage ? { spec: cx.specMessage } : {}),
    replay: shellCommand(['kvmuf', 'replay', ...replayWords, '--path', p]),
  };
}

export async function runSimulate(flags: ParsedFlags, hooks: RunHooks = {}): Promise<SimResults> {
  const cfg = configFromFlags(flags);
  const handlerFlag = flags.handler as string | undefined;
  const handler = await resolveHandler(handlerFlag, cfg.design);
  const sys = composeSystem(cfg, handler.strategy, { runtime: runtimeFor(handler, flags, hooks.watch) });
  const refinement = specRefinement(sys);
  const model = systemModel(sys, { refinement });
  const edge = (t: { machine: string; from: string; event: string; to: string }) => `${t.machine}: ${t.from} -${t.event}-> ${t.to}`;
  const p = simParams(flags, cfg);
  const fingerprint = stateFingerprinter(model);
  const states = new Set<string>();
  const fired = new Map<string, number>();
  const endings: Record<RunEnding, number> = { deadlock: 0, end: 0, 'max-steps': 0, stopped: 0, violation: 0 };
  const found = new Map<string, Found>();
  const threadOf = (_s: SystemState, t: number) => t;
  const sink = handler.fromFile ? hooks.expandingPath : undefined;
  let runsDone = 0;
  let runsInShard = 0;
  let interrupted = false;
  for (let run = 0; run < p.runs; run++) {
    if (!inShard(run, p.shard)) continue;
    runsInShard++;
    if (interrupted || hooks.signal?.aborted) {
      interrupted = true;
      continue;
    }
    const seed = runSeed(p.seed, run);
    const scheduler = makeScheduler(p.schedule, seed, { threads: sys.threads.length, depth: p.depth, maxSteps: p.maxSteps });
    const o = sampleRun(model, (threads, step) => scheduler.pick(threads, step), {
      maxSteps: p.maxSteps,
      threadOf,
      onState: (s, choices) => {
        writePath(sink, choices);
        states.add(fingerprint(s));
      },
      onAction: (s, t) => {
        const kind = model.actionKind?.(s, t) ?? String(t);
        fired.set(kind, (fired.get(kind) ?? 0) + 1);
      },
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
    if (o.ending === 'stopped') {
      interrupted = true;
      continue;
    }
    runsDone++;
    endings[o.ending]++;
    if (o.ending === 'violation' || o.ending === 'deadlock') {
      const key = `${o.ending}:${o.property ?? ''}`;
      if (!found.has(key)) found.set(key, { run, seed, choices: o.choices, ending: o.ending, ...(o.property !== undefined ? { property: o.property } : {}) });
    }
  }
  // Spec coverage of the runs themselves (read before shrinking replays anything).
  const transitions = { taken: refinement.taken().map(edge).sort(), all: refinement.taken().length + refinement.uncovered().length };
  const words = simulateWords(cfg, handlerFlag, p);
  const replayWords = commandWordsFor(cfg, handlerFlag).slice(2);
  const failures = [...found.values()]
    .sort((a, b) => a.run - b.run)
    .map((f) => {
      const target = { ending: f.ending, ...(f.property !== undefined ? { property: f.property } : {}) };
      const shrunk = shrinkRun(model, f.choices, target, f.seed, { threadOf });
      return explain(sys, model, f, shrunk, replayWords);
    });
  const record = runRecord(cfg, sys.strategy.name, handlerFlag);
  const handlerFile = record.handlerFile as HandlerFileRecord | undefined;
  const simulate: SimSummary = {
    identity: { configurationSha256: configSha256(cfg), handler: sys.strategy.name, handlerSha256: handlerFile?.sha256 ?? null, schedule: p.schedule, depth: p.schedule === 'pct' ? p.depth : 0, maxSteps: p.maxSteps, seed: p.seed, runs: p.runs },
    shard: p.shard,
    runsDone,
    runsInShard,
    endings: sumRecords([endings]),
    interrupted,
    coverage: { fired: sumRecords([Object.fromEntries(fired)]), declared: model.actionKinds ?? [], states: [...states].sort(), transitions: transitions.taken, specTransitions: transitions.all },
    parts: [p.shard],
  };
  return {
    format: RESULTS_FORMAT,
    kvmuf: replayFileHeader().kvmuf as string,
    exitStatus: exitStatusOf(simulate, failures, false),
    runs: [{ configuration: cfg, configurationSha256: configSha256(cfg), handler: sys.strategy.name, ...(handlerFile ? { handlerFile } : {}), configurationName: configName(sys.config), command: shellCommand(words), failures }],
    simulate,
  };
}
