/** The flags of `kvmuf simulate`: check's configuration flags, the schedule, and how runs are split. */
import type { CommandSpec, FlagSpec } from './args.ts';
import { CHECK_FLAGS, CONFIG_FLAG_NAMES } from './check-command.ts';

const shared = (names: readonly string[]) => CHECK_FLAGS.filter((f) => names.includes(f.name));

export const DEFAULT_RUNS = 1000;
export const DEFAULT_MAX_STEPS = 1000;
export const DEFAULT_DEPTH = 3;

export const SIMULATE_FLAGS: readonly FlagSpec[] = [
  ...shared(CONFIG_FLAG_NAMES),
  { name: 'schedule', kind: 'string', choices: ['pct', 'random'], help: 'pct: probabilistic concurrency testing (random priorities, --depth - 1 priority change points); random: a uniformly random thread each step', default: 'pct' },
  { name: 'depth', kind: 'int', range: { min: 1, max: 64 }, help: 'PCT bug depth d: d - 1 priority change points per run', default: String(DEFAULT_DEPTH) },
  { name: 'runs', kind: 'int', range: { min: 1 }, help: 'runs in all shards together', default: String(DEFAULT_RUNS) },
  { name: 'max-steps', kind: 'int', range: { min: 1 }, help: 'steps per run at most (also PCT\'s step bound k)', default: String(DEFAULT_MAX_STEPS) },
  { name: 'seed', kind: 'int', range: { min: 0, max: 2 ** 32 - 1 }, help: 'the seed of every run (run r uses a seed derived from it and r)', default: 'derived from the configuration, printed' },
  { name: 'shard', kind: 'string', value: 'i/N', help: 'run only the runs r with r mod N = i and write them to --out (kvmuf merge combines shards)', example: '0/4' },
  { name: 'jobs', kind: 'int', range: { min: 1, max: 64 }, help: 'local processes running sub-shards at once (2 uses both cores of a 2-core machine)', default: '1' },
  { name: 'out', kind: 'string', value: 'FILE', help: 'write the results file (JSON: runs, coverage, failures; kvmuf replay FILE replays its failures, kvmuf merge combines files)', example: 'shard-0.json' },
  ...shared(['timeout', 'json', 'max-memory', 'step-timeout', 'determinism-check', 'debug']),
];

export const SIMULATE_COMMAND: CommandSpec = {
  name: 'simulate',
  summary: 'sample schedules (PCT or random walks) past the exhaustive bound; failures are shrunk and replayable',
  flags: SIMULATE_FLAGS,
};
