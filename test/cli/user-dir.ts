/**
 * A user's own folder outside the repository: write handler files there and run the real
 * `kvmuf` binary from it, as a user does.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliResult } from './run-cli.ts';

export const BIN = fileURLToPath(new URL('../../bin/kvmuf.js', import.meta.url));

export interface UserDir {
  readonly dir: string;
  write(name: string, text: string): string;
  run(args: readonly string[], env?: Record<string, string>): CliResult;
  /**
   * Start the binary; `whenRunning` is called once with the child, after `afterMs`, or as
   * soon as `ready()` holds when it is given (polled every 20 ms).
   */
  runAsync(args: readonly string[], afterMs: number, whenRunning: (pid: number) => void, ready?: () => boolean): Promise<CliResult & { readonly ms: number; readonly endedAt: number }>;
}

export function userDir(prefix = 'kvmuf-user-'): UserDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(name, text) {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    run(args, env = {}) {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    runAsync(args, afterMs, whenRunning, ready) {
      const started = Date.now();
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let fired = false;
      const fire = () => {
        if (fired) return;
        fired = true;
        whenRunning(child.pid ?? 0);
      };
      const timer = ready ? setInterval(() => ready() && fire(), 20) : setTimeout(fire, afterMs);
      return new Promise((resolve) => {
        child.on('close', (code) => {
          clearInterval(timer);
          clearTimeout(timer);
          resolve({ status: code ?? -1, stdout, stderr, ms: Date.now() - started, endedAt: Date.now() });
        });
      });
    },
  };
}

/** A handler file's text: kvm-userfault, with the given exit steps (TypeScript source). */
export function exitStepsHandler(name: string, steps: string, extra = ''): string {
  return `import { defineHandler, Errno, REG_GFN } from 'kvmuf';
${extra}
export default defineHandler({
  name: '${name}',
  description: 'test handler',
  designs: ['kvm-userfault'],
  vcpuExit: [
${steps}
  ],
});
`;
}

export const POPULATE = `    { label: 'populate', run(c) { const err = c.populate(c.reg(REG_GFN), { wake: false }); if (err !== 0 && err !== Errno.EEXIST) c.panic('errno ' + err); } },`;
export const CLEAR = `    { label: 'clear-bit', run: (c) => c.setUserfaultBit(c.reg(REG_GFN), false) },`;

/** Output shows no stack trace (no "    at f (file:line)" frames). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[:(]/m.test(text);
}
