/** kvmuf replay, --itf and Ctrl-C, as a user runs them. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inShell, kvmuf } from './run-cli.ts';

const WRONG = ['--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', 'test/handlers/clear-first.ts'];
const tmp = (name: string) => join(tmpdir(), `kvmuf-${process.pid}-${name}`);

describe('kvmuf replay', () => {
  it('re-runs the command printed after a counterexample, step by step, and ends in the violation (exit 1)', () => {
    const check = kvmuf(['check', ...WRONG]);
    const line = /replay: {4}(kvmuf .*)$/m.exec(check.stdout)?.[1] ?? '';
    expect(line).toMatch(/^kvmuf replay .* --path [\d/]+$/);
    const r = inShell(line);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/ {3}1\. vcpu0\.KVM_RUN/);
    expect(r.stdout).toMatch(/page1\.content: absent → 0/);
    expect(r.stdout).toMatch(/the trace ends where these properties are violated: no access observes a page without its content/);
  });

  it('replays every failure of a saved `check --json` file, checking each state against its fingerprint', () => {
    const file = tmp('trace.json');
    writeFileSync(file, kvmuf(['check', ...WRONG, '--json']).stdout);
    const r = kvmuf(['replay', file]);
    expect(r.status).toBe(1);
    expect(r.stdout.match(/^replay kvm-userfault x86 guest_memfd/gm)?.length).toBe(3);
  });


  it('replays a liveness lasso from its replay line pasted into a POSIX shell, and names what its cycle postpones forever', () => {
    const check = kvmuf(['check', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '1', '--handler', 'forgets-to-clear']);
    const line = /replay: {4}(kvmuf .*)$/m.exec(check.stdout)?.[1] ?? '';
    expect(line).toMatch(/ --path '[\d/]+\|[\d/]+'$/);
    const r = inShell(line);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('--- the cycle starts here and repeats forever ---');
    expect(r.stdout).toMatch(/every vCPU finishes its guest program \(never, on this cycle\)/);
  });

  it.each([
    [['replay'], 'KVMUF306'],
    [['replay', 'no-such-file.json'], 'KVMUF301'],
    [['replay', 'README.md'], 'KVMUF302'],
    [['replay', '--design', 'kvm-userfault', '--path', '0/x'], 'KVMUF304'],
    [['replay', '--design', 'kvm-userfault', '--path', '0/0|0/x'], 'KVMUF304'],
    [['replay', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '1', '--path', '0/0/7'], 'KVMUF310'],
    [['replay', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '1', '--handler', 'forgets-to-clear', '--path', '0/0/0/0|0/0/9'], 'KVMUF310'],
  ])('kvmuf %j → %s', (args, code) => {
    const r = kvmuf(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error\\[${code}\\]`));
  });
});

describe('Ctrl-C', () => {
  it('ends a long check with a partial summary and exit 3', async () => {
    const bin = fileURLToPath(new URL('../../bin/kvmuf.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'check', '--design', 'async-pf-user', '--backing', 'guest_memfd', '--vcpus', '3'], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    setTimeout(() => child.kill('SIGINT'), 2500);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(3);
    expect(stderr).toContain('interrupted: the summary below is partial');
    expect(stdout).toMatch(/INCOMPLETE async-pf-user x86 guest_memfd 3v×2p: interrupted .*explored \d+ states/);
    expect(stdout).toMatch(/0 passed, 0 failed, 1 incomplete/);
  }, 60_000);
});
