/**
 * `--format columns`: a counterexample as an interleaving table in Lincheck's layout, one
 * column per thread and one row per step, on the terminal (check and replay). The real
 * binary, in a folder outside the repository.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { userDir } from './user-dir.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const u = userDir();
u.write('clear-first.ts', readFileSync(new URL('../handlers/clear-first.ts', import.meta.url), 'utf8'));
const GMEM = ['--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', 'clear-first.ts'];

/** The lines of the first table in the output, from its header to the line before `path`. */
function firstTable(stdout: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => /^ +# \|/.test(l));
  const end = lines.findIndex((l, i) => i > start && !/^ +(\d+\.|#|----|end|) *\|/.test(l) && !/^ +-{4}\+/.test(l));
  return lines.slice(start, end);
}

describe('kvmuf check --format columns', () => {
  it('puts each step in its thread’s column and marks the violating step', () => {
    const r = u.run(['check', ...GMEM, '--format', 'columns']);
    expect(r.status).toBe(1);
    const table = firstTable(r.stdout);
    expect(table[0]).toMatch(/^ {4}# \| vcpu0 +\| vcpu1 +\|$/);
    expect(table[1]).toMatch(/^ {2}----\+-+\+-+\+$/);
    expect(table[2]).toMatch(/^ {3}1\. \| KVM_RUN +\| +\|$/);
    // vCPU 1's steps are in the second column; the last one read the zero page.
    expect(table.at(-1)).toMatch(/^ {2}12\. \| +\| run: guest reads gfn 1 = 0 +\| <- violation$/);
    // Every table line is as wide as the header: the columns line up.
    for (const line of table) expect(line.replace(/ <- violation$/, '').length).toBe(table[0]!.length);
    expect(r.stdout).toMatch(/^ {2}path 0\/0\/0\/0\/0\/0\/0\/0\/0\/0\/1\/1\/1$/m);
    // The README shows this very table.
    expect(README).toContain(`\n${table.join('\n')}\n`);
  });

  it('marks where each thread is stuck at a deadlock', () => {
    const r = u.run(['check', '--design', 'kvm-userfault', '--arch', 'arm64', '--its', '1', '--handler', 'no-uffd-reader', '--format', 'columns']);
    expect(r.status).toBe(1);
    // The restore sleeps holding every vCPU mutex (lock_all_vcpus), so the vCPUs are stuck
    // at KVM_RUN too; each column says where, the control's wrapped.
    expect(r.stdout).toMatch(/^ {2}end \| STUCK at KVM_RUN \| STUCK at KVM_RUN \| STUCK at its-restore-tables \(asleep in +\|\n {6}\| +\| +\| userfaultfd\) +\|$/m);
  });

  it('kvmuf replay --format columns prints the replayed trace the same way', () => {
    const r = u.run(['replay', ...GMEM, '--path', '0/0/0/0/0/0/0/0/0/0/1/1/1', '--format', 'columns']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ {2}12\. \| +\| run: guest reads gfn 1 = 0 +\| <- violation$/m);
    expect(r.stdout).toContain('the trace ends where these properties are violated: no access observes a page without its content');
  });

  it('an unknown format is bad input (exit 2)', () => {
    const r = u.run(['check', ...GMEM, '--format', 'table']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[KVMUF003\]: kvmuf check: --format table is not one of text, columns\nhint: e\.g\. --format text\n$/);
  });
});
