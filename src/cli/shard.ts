/** `--shard i/N`: this process runs the runs r with r mod N = i (0 ≤ i < N). */
import { ConfigError } from '../system/config-error.ts';

export interface Shard {
  readonly index: number;
  readonly count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) throw new ConfigError('KVMUF501', `--shard ${text}: expected i/N, e.g. 0/4`, 'shards are numbered from 0: --shard 0/4 … --shard 3/4');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new ConfigError('KVMUF501', `--shard ${text}: the index must be below the count (0 ≤ i < N)`, `shards of ${Math.max(count, 1)}: --shard 0/${Math.max(count, 1)} … --shard ${Math.max(count, 1) - 1}/${Math.max(count, 1)}`);
  return { index, count };
}

/** Shard j of `jobs` within `shard`: runs with r mod (N·J) = i + N·j, a partition of the shard's runs. */
export function subShard(shard: Shard, job: number, jobs: number): Shard {
  return { index: shard.index + shard.count * job, count: shard.count * jobs };
}

export function inShard(run: number, shard: Shard): boolean {
  return run % shard.count === shard.index;
}

export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}
