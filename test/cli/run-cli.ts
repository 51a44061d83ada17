/** Run the real `kvmuf` command (bin/kvmuf.js) and capture its exit status and output. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/kvmuf.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function kvmuf(args: readonly string[]): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Output with timings blanked, for comparing two runs. */
export function withoutTimes(text: string): string {
  return text.replace(/\d+\.\d+ s/g, 'T s');
}
