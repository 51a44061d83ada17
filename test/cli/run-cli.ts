/** Run the real `kvmuf` command (bin/kvmuf.js) and capture its exit status and output. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/kvmuf.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function kvmuf(args: readonly string[], cwd = ROOT): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A folder holding a `kvmuf` executable that runs this checkout's bin/kvmuf.js. */
function kvmufOnPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvmuf-bin-'));
  const script = join(dir, 'kvmuf');
  writeFileSync(script, `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  chmodSync(script, 0o755);
  return dir;
}

/** Run a command line as a user pastes it into a POSIX shell (`sh -c LINE`), with `kvmuf` on the PATH. */
export function inShell(line: string, cwd = ROOT): CliResult {
  const env = { ...process.env, PATH: `${kvmufOnPath()}${delimiter}${process.env.PATH ?? ''}` };
  const r = spawnSync('sh', ['-c', line], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Output with timings blanked, for comparing two runs. */
export function withoutTimes(text: string): string {
  return text.replace(/\d+\.\d+ s/g, 'T s');
}
