/**
 * `kvmuf simulate` and `kvmuf merge` from the command line. simulate runs in the supervised
 * worker like check (step watchdog, --timeout, Ctrl-C, memory limit); with --jobs J it runs
 * J sub-shards as child processes and merges them. merge reads results files, checks they
 * belong together, and prints the combined verdict.
 */
import { ConfigError } from '../system/config-error.ts';
import { parseArgs, type CommandSpec } from './args.ts';
import { CONFIG_FLAG_NAMES } from './check-command.ts';
import { superviseCheck } from './check-supervisor.ts';
import { checkOutFile, writeOutFile } from './out-file.ts';
import { parseShard, WHOLE } from './shard.ts';
import { SIMULATE_FLAGS } from './simulate-flags.ts';
import { simulateInJobs } from './simulate-jobs.ts';
import { mergeResults } from './simulate-merge.ts';
import { simulateText } from './simulate-output.ts';
import { readResults, type SimResults } from './simulate-results.ts';

export const MERGE_COMMAND: CommandSpec = {
  name: 'merge',
  summary: 'combine the results files of kvmuf simulate shards: counts, coverage, failures, one verdict',
  operands: 'FILE...',
  flags: [
    { name: 'out', kind: 'string', value: 'FILE', help: 'write the merged results file (a results and replay file like simulate --out)', example: 'merged.json' },
    { name: 'json', kind: 'boolean', help: 'print the merged results as JSON' },
  ],
};

/** The results as the user asked for them: written to --out, printed as text or JSON. */
export function emitResults(r: SimResults, out: string | undefined, json: boolean, command: 'simulate' | 'merge'): string {
  const doc = `${JSON.stringify(r, null, 2)}\n`;
  if (out !== undefined) writeOutFile('out', out, doc);
  return json ? doc : simulateText(r, command);
}

export async function simulate(argv: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs('simulate', argv, SIMULATE_FLAGS);
  if (positionals.length > 0) throw new ConfigError('KVMUF004', `kvmuf simulate: unexpected argument '${positionals[0]}'`, 'flags start with --; see kvmuf simulate --help');
  const shard = typeof flags.shard === 'string' ? parseShard(flags.shard) : WHOLE;
  const out = flags.out as string | undefined;
  if (out !== undefined) checkOutFile('out', out);
  const jobs = (flags.jobs as number | undefined) ?? 1;
  if (jobs > 1) {
    const r = await simulateInJobs(argv, shard, jobs);
    process.stdout.write(emitResults(r, out, flags.json === true, 'simulate'));
    return r.exitStatus;
  }
  // One configuration, always: without configuration flags, check's defaults (not its matrix).
  const single = CONFIG_FLAG_NAMES.some((f) => flags[f] !== undefined) ? flags : { design: 'kvm-userfault', ...flags };
  return superviseCheck(single, false, { kind: 'simulate' });
}

export function merge(argv: readonly string[]): number {
  const { flags, positionals } = parseArgs('merge', argv, MERGE_COMMAND.flags);
  if (positionals.length === 0) throw new ConfigError('KVMUF505', 'kvmuf merge: no results files given', 'kvmuf merge shard-0.json shard-1.json …');
  const out = flags.out as string | undefined;
  if (out !== undefined) checkOutFile('out', out);
  const r = mergeResults(positionals.map((file) => ({ file, results: readResults(file) })));
  process.stdout.write(emitResults(r, out, flags.json === true, 'merge'));
  return r.exitStatus;
}
