/**
 * Combining results files of one simulation (shards, or the sub-shards of --jobs): the
 * files must share the configuration, handler, schedule and seed (a coded error names what
 * differs) and cover disjoint shards of the same split. Counts add up, the state
 * fingerprints are united, and of each failure (kind and property) the one found by the
 * lowest run is kept, which is the one an unsharded run keeps.
 */
import { ConfigError } from '../system/config-error.ts';
import type { RunEnding } from '../checker/sampling/sample-run.ts';
import { EXIT } from './output.ts';
import type { SimFailure, SimIdentity, SimResults, SimSummary } from './simulate-results.ts';
import { formatShard, type Shard } from './shard.ts';

export function failureKey(f: Pick<SimFailure, 'kind' | 'property'>): string {
  return `${f.kind}:${f.property ?? ''}`;
}

/** The failures to report: the lowest run's of each key, in run order. */
export function firstOfEach(failures: readonly SimFailure[]): SimFailure[] {
  const best = new Map<string, SimFailure>();
  for (const f of failures) {
    const had = best.get(failureKey(f));
    if (had === undefined || f.run < had.run) best.set(failureKey(f), f);
  }
  return [...best.values()].sort((a, b) => a.run - b.run);
}

/** 1 on a failure; 3 when interrupted or (merging) when shards are missing; else 0. */
export function exitStatusOf(s: SimSummary, failures: readonly SimFailure[], requireWhole: boolean): number {
  if (failures.length > 0) return EXIT.fail;
  return s.interrupted || (requireWhole && !isWhole(s)) ? EXIT.incomplete : EXIT.pass;
}

/** Whether the parts cover every shard of their split. */
export function isWhole(s: SimSummary): boolean {
  const count = s.parts[0]?.count ?? 1;
  return new Set(s.parts.map((p) => p.index)).size === count;
}

function identityDiff(a: SimIdentity, b: SimIdentity): string | undefined {
  for (const k of Object.keys(a) as (keyof SimIdentity)[]) {
    if (a[k] !== b[k]) return `${k} differs (${String(a[k])} vs ${String(b[k])})`;
  }
  return undefined;
}

/** Counts added key by key; keys in sorted order, so equal counts print and serialize equally. */
export function sumRecords<K extends string>(records: readonly Readonly<Record<K, number>>[]): Record<K, number> {
  const out = new Map<K, number>();
  for (const r of records) for (const [k, v] of Object.entries(r) as [K, number][]) out.set(k, (out.get(k) ?? 0) + v);
  return Object.fromEntries([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as Record<K, number>;
}

export function mergeResults(files: readonly { readonly file: string; readonly results: SimResults }[]): SimResults {
  const [first] = files;
  if (!first) throw new ConfigError('KVMUF505', 'kvmuf merge: no results files given', 'kvmuf merge shard-0.json shard-1.json …');
  const seen = new Map<number, string>();
  const count = first.results.simulate.parts[0]?.count ?? 1;
  for (const { file, results } of files) {
    const diff = identityDiff(first.results.simulate.identity, results.simulate.identity);
    if (diff !== undefined) throw new ConfigError('KVMUF503', `kvmuf merge: ${file} is not from the same simulation as ${first.file}: ${diff}`, 'merge only the shards of one kvmuf simulate command line (same configuration, handler, schedule, --runs and --seed)');
    for (const p of results.simulate.parts) {
      const other = seen.get(p.index);
      if (p.count !== count || other !== undefined) {
        throw new ConfigError('KVMUF504', `kvmuf merge: ${file} covers shard ${formatShard(p)}, which ${other !== undefined ? `${other} covers too` : `does not split the runs like ${first.file} (${count} shards)`}`, 'give each shard of one split once (--shard 0/N … --shard N-1/N)');
      }
      seen.set(p.index, file);
    }
  }
  const all = files.map((f) => f.results);
  const sims = all.map((r) => r.simulate);
  const parts: Shard[] = sims.flatMap((s) => s.parts).sort((a, b) => a.index - b.index);
  const failures = firstOfEach(all.flatMap((r) => r.runs[0].failures));
  const simulate: SimSummary = {
    identity: first.results.simulate.identity,
    shard: parts.length === count ? { index: 0, count: 1 } : (parts[0] as Shard),
    runsDone: sims.reduce((n, s) => n + s.runsDone, 0),
    runsInShard: sims.reduce((n, s) => n + s.runsInShard, 0),
    endings: sumRecords<RunEnding>(sims.map((s) => s.endings)),
    interrupted: sims.some((s) => s.interrupted),
    coverage: {
      fired: sumRecords(sims.map((s) => s.coverage.fired)),
      declared: first.results.simulate.coverage.declared,
      states: [...new Set(sims.flatMap((s) => s.coverage.states))].sort(),
      transitions: [...new Set(sims.flatMap((s) => s.coverage.transitions))].sort(),
      specTransitions: first.results.simulate.coverage.specTransitions,
    },
    parts,
  };
  const run = { ...first.results.runs[0], failures };
  return { ...first.results, exitStatus: exitStatusOf(simulate, failures, true), runs: [run], simulate };
}
