/**
 * The flags that shape a configuration (--remote, --program, --huge-pages and the
 * control plan): the table names what was checked, the printed command lines carry the
 * flags so they reproduce the same configuration, and bad values are coded errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inShell, kvmuf } from './run-cli.ts';
import { hasStackTrace } from './user-dir.ts';

interface JsonRun {
  readonly configuration: Record<string, unknown>;
  readonly configurationSha256: string;
  readonly command: string;
  readonly failures: { readonly replay?: string }[];
}

function jsonRun(stdout: string): JsonRun {
  const run = (JSON.parse(stdout) as { runs: JsonRun[] }).runs[0];
  if (!run) throw new Error('no run');
  return run;
}

describe('configuration flags', { timeout: 60_000 }, () => {
  it('the table names the pages the guests touch, the remote pages and the control plan', () => {
    const r = kvmuf(['check', '--design', 'uffd', '--vcpus', '2', '--pages', '6', '--program', 'r0 w1=101;r2', '--remote', '0,2', '--balloon', '1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^uffd x86 anon 2v×6p touches 0,1,2 remote 0,2 \+balloon 1 +uffd +PASS/m);
  });

  it('the command a run records reproduces the same configuration (same sha256), guest programs and control plan included', () => {
    const args = ['check', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '4', '--program', 'r0 w3=7 r3', '--remote', '0,1', '--huge-pages', '4', '--dirty-log-round', '--control-first', '--json'];
    const first = jsonRun(kvmuf(args).stdout);
    expect(first.command).toBe("kvmuf check --design kvm-userfault --arch x86 --backing anon --vcpus 1 --pages 4 --remote 0,1 --program 'r0 w3=7 r3' --huge-pages 4 --dirty-log-round --control-first");
    const again = inShell(`${first.command} --json`);
    expect(again.status).toBe(0);
    expect(jsonRun(again.stdout).configurationSha256).toBe(first.configurationSha256);
    expect(first.configuration).toMatchObject({ remote: [0, 1], hugePages: 4, control: { toggleDirtyLog: true, vcpusWait: true } });
  });

  it('the replay line of a ballooned counterexample carries the flags and replays it', () => {
    const r = kvmuf(['check', '--design', 'uffd', '--vcpus', '1', '--program', 'r1', '--balloon', '1', '--handler', 'ignores-remove']);
    expect(r.status).toBe(1);
    const replay = /replay: +(kvmuf replay .*)$/m.exec(r.stdout)?.[1] ?? '';
    expect(replay).toContain("--program r1 --balloon 1");
    const again = inShell(replay);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain('no content served stale after a REMOVE');
  });

  it('a saved replay file carries the configuration flags: kvmuf replay FILE re-runs the ballooned counterexample', () => {
    const r = kvmuf(['check', '--design', 'uffd', '--vcpus', '1', '--program', 'r1', '--balloon', '1', '--handler', 'ignores-remove', '--json']);
    expect(r.status).toBe(1);
    const dir = mkdtempSync(join(tmpdir(), 'kvmuf-flags-'));
    const file = join(dir, 'run.json');
    writeFileSync(file, r.stdout);
    const again = kvmuf(['replay', file]);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain('no content served stale after a REMOVE');
  });

  it('--control-first orders the control plan before the vCPUs: fewer interleavings, named in the table', () => {
    // With a uffd reader both orders are safe; without one, clearing the bit of a clock
    // page shared with other data is wrong in any order (KVM writes 32 bytes over a zero
    // page: partial-pages.test.ts).
    const base = ['check', '--design', 'kvm-userfault', '--vcpus', '1', '--uffd', 'missing', '--program', 'r1 r0', '--kvm-clock', '1'];
    const states = (out: string) => Number(/ PASS +(\d+) /.exec(out)?.[1] ?? NaN);
    const racing = kvmuf(base);
    expect(racing.stdout).toMatch(/^kvm-userfault x86 anon 1v×2p \+kvm-clock 1 +kvm-userfault +PASS/m);
    const ordered = kvmuf([...base, '--control-first']);
    expect(ordered.stdout).toMatch(/^kvm-userfault x86 anon 1v×2p \+kvm-clock 1 control first +kvm-userfault +PASS/m);
    expect(ordered.status).toBe(0);
    expect(states(ordered.stdout)).toBeLessThan(states(racing.stdout));
    const noUffd = kvmuf([...base.slice(0, 6), 'none', ...base.slice(7), '--kvm-clock-page', 'shared', '--control-first']);
    expect(noUffd.status).toBe(1);
    expect(noUffd.stdout).toContain('invariant violated: memory holds the content it should');
  });

  it('--help names each value and its range', () => {
    const help = kvmuf(['check', '--help']).stdout;
    expect(help).toMatch(/--program PROGRAMS +guest programs/);
    expect(help).toMatch(/--remote PAGES\|none /);
    expect(help).toMatch(/--balloon PAGES /);
    expect(help).toMatch(/--kvm-clock GFN .*\(0 to 4095\)/);
    expect(help).toMatch(/--huge-pages N .*\(2 to 64; default 2\)/);
    for (const flag of ['--late-enable', '--dirty-log-round', '--disable-at-end', '--control-first']) expect(help).toContain(`  ${flag} `);
  });

  it.each([
    ['an access that is not rG or wG=V', ['--program', 'x1'], 'KVMUF003', /'x1' is not an access/],
    ['a write of 0', ['--program', 'w1=0'], 'KVMUF003', /writes 0, outside 1 to 9999/],
    ['an empty program', ['--program', 'r0;'], 'KVMUF003', /the program of vCPU 1 is empty/],
    ['a program per vCPU missing', ['--vcpus', '2', '--program', 'r0'], 'KVMUF106', /1 guest programs for 2 vCPUs/],
    ['a page outside the guest', ['--vcpus', '1', '--program', 'r5'], 'KVMUF102', /a guest program names page 5/],
    ['a remote page outside the guest', ['--remote', '7'], 'KVMUF102', /remote names page 7/],
    ['a malformed page list', ['--balloon', '1,,2'], 'KVMUF003', /--balloon 1,,2: expected page numbers/],
    ['a balloon on shmem', ['--backing', 'shmem', '--balloon', '1'], 'KVMUF105', /frees pages only on anonymous memory/],
    ['the kvm-clock on arm64', ['--arch', 'arm64', '--kvm-clock', '0'], 'KVMUF105', /kvm-clock MSR restore is x86/],
    ['late enable with uffd', ['--design', 'uffd', '--late-enable'], 'KVMUF105', /only the kvm-userfault design/],
    ['a huge page of one base page', ['--huge-pages', '1'], 'KVMUF103', /--huge-pages 1: must be 2 to 64/],
  ])('refuses %s with a coded error, a hint and exit 2', (_name, args, code, what) => {
    const r = kvmuf(['check', ...args]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error[${code}]`);
    expect(r.stderr).toMatch(what);
    expect(r.stderr).toMatch(/^hint: /m);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
});
