/**
 * `kvmuf simulate --jobs J`: J local processes, each the same command line on one
 * sub-shard (shard i/N split J ways: i + N·j / N·J), writing a results file; the results
 * are then merged as `kvmuf merge` merges shards, so the output is the same as with one
 * process. Each child is a whole `kvmuf simulate`, supervised in its own worker.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../system/config-error.ts';
import { InternalError } from './internal-error.ts';
import { exitStatusOf, mergeResults } from './simulate-merge.ts';
import { readResults, type SimResults } from './simulate-results.ts';
import { formatShard, subShard, type Shard } from './shard.ts';

/** The arguments without --jobs, --shard, --out and --json (the children get their own). */
function childArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const name = a.startsWith('--') ? (a.slice(2).split('=')[0] ?? '') : '';
    if (['jobs', 'shard', 'out'].includes(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    if (name === 'json' || name === 'progress') continue;
    out.push(a);
  }
  return out;
}

function runChild(args: readonly string[]): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [process.argv[1] ?? '', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ status: code ?? 4, stderr }));
  });
}

export async function simulateInJobs(argv: readonly string[], shard: Shard, jobs: number): Promise<SimResults> {
  const dir = mkdtempSync(join(tmpdir(), 'kvmuf-jobs-'));
  try {
    const files = Array.from({ length: jobs }, (_, j) => join(dir, `part-${j}.json`));
    const base = childArgs(argv);
    // Ctrl-C reaches the children too: each stops and writes its partial results, which are merged.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    const ended = await Promise.all(files.map((file, j) => runChild(['simulate', ...base, '--shard', formatShard(subShard(shard, j, jobs)), '--out', file])));
    process.off('SIGINT', ignore);
    const failed = ended.find((e) => e.status === 2 || e.status === 4);
    if (failed) {
      const m = /^error\[(KVMUF\d+)\]: (.*)\nhint: (.*)$/m.exec(failed.stderr);
      if (failed.status === 2 && m) throw new ConfigError(m[1] ?? 'KVMUF000', m[2] ?? '', m[3] ?? '');
      throw new InternalError(`a --jobs process failed: ${failed.stderr.split('\n')[0] ?? ''}`, failed.stderr);
    }
    const merged = mergeResults(files.map((file) => ({ file, results: readResults(file) })));
    // The sub-shards together are exactly `shard`: say so, as one process would.
    const simulate = { ...merged.simulate, shard, parts: [shard] };
    return { ...merged, simulate, exitStatus: exitStatusOf(simulate, merged.runs[0].failures, false) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
