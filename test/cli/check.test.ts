/** `kvmuf check` as a user runs it: exit statuses, the table, counterexamples, errors. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inShell, kvmuf, withoutTimes } from './run-cli.ts';

const GMEM = ['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd'];

describe('kvmuf check', () => {
  it('with no options checks the default matrix, prints its table and exits 0', () => {
    const r = kvmuf(['check']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^kvmuf check \(version \d+\.\d+\.\d+\)\n/);
    for (const design of ['kvm-userfault', 'uffd', 'exit-on-missing']) {
      for (const arch of ['x86', 'arm64']) expect(r.stdout).toMatch(new RegExp(`${design} ${arch} anon 3v×2p +\\S+ +PASS`));
    }
    expect(r.stdout).toMatch(/kvm-userfault arm64 anon 2v×2p \+ITS .* PASS/);
    for (const arch of ['x86', 'arm64']) expect(r.stdout).toMatch(new RegExp(`demand-paging ${arch} anon 3v×2p +\\S+ +PASS`));
    expect(r.stdout).toMatch(/demand-paging arm64 anon 2v×2p \+ITS .* PASS/);
    // guest_memfd: the only backing on which the RFC takes exits asynchronously (review M5).
    expect(r.stdout).toMatch(/async-pf-user x86 guest_memfd 2v×2p +\S+ +PASS/);
    expect(r.stdout).toMatch(/gmem-minor x86 guest_memfd 2v×2p \+kvm-clock 1 +gmem-minor +PASS/);
    expect(r.stdout).toMatch(/gmem-minor arm64 guest_memfd 2v×2p v2-firecracker \+ITS +gmem-minor +PASS/);
    expect(r.stdout).toMatch(/kvm-userfault x86 anon 4v×2p +kvm-userfault +PASS/);
    for (const arch of ['x86', 'arm64']) expect(r.stdout).toMatch(new RegExp(`kvm-userfault ${arch} hugetlb 3v×2p \\+disable-at-end +kvm-userfault +PASS`));
    expect(r.stdout).toMatch(/kvm-userfault arm64 anon 3v×2p \+late-enable +kvm-userfault +PASS/);
    expect(r.stdout).toMatch(/kvm-userfault x86 anon 3v×2p \+dirty-log-round +kvm-userfault +PASS/);
    expect(r.stdout).toMatch(/uffd x86 anon 3v×2p \+balloon 1 +uffd +PASS/);
    expect(r.stdout).toMatch(/^20 passed, 0 failed: 20 configurations/m);
    // The README shows this very table (timings and column widths aside).
    const table = r.stdout.split('\n\n')[0] ?? '';
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const shown = /```\n(kvmuf check \(version[^`]*?)\n```/.exec(readme)?.[1] ?? '';
    const normal = (t: string) => t.split('\n').map((l) => l.replace(/\d+\.\d+ s/g, 'T s').replace(/ +/g, ' ').replace(/-+/g, '-').trim());
    expect(normal(shown)).toEqual(normal(table));
  }, 120_000); // twenty exhaustive checks in a child process (about 20 s alone): slow when the suite shares two cores

  it('is deterministic: the same command prints the same output (timings aside)', () => {
    const a = kvmuf([...GMEM, '--vcpus', '3']);
    const b = kvmuf([...GMEM, '--vcpus', '3']);
    expect(withoutTimes(a.stdout)).toBe(withoutTimes(b.stdout));
  });

  it('convicts a wrong handler file with a numbered shortest trace and exit 1; the printed command reproduces it', () => {
    const r = kvmuf([...GMEM, '--handler', 'test/handlers/clear-first.ts']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL kvm-userfault x86 guest_memfd 2v×2p (handler clear-first)');
    expect(r.stdout).toContain('invariant violated: memory holds the content it should');
    expect(r.stdout).toMatch(/ {3}1\. vcpu0 +KVM_RUN/);
    expect(r.stdout).toMatch(/clear-bit: clear bit \d/);
    expect(r.stdout).toMatch(/a zero page is allocated/);
    const reproduce = /reproduce: (kvmuf .*)$/m.exec(r.stdout)?.[1];
    expect(reproduce).toBeDefined();
    const again = inShell(reproduce ?? '');
    expect(again.status).toBe(1);
    expect(withoutTimes(again.stdout)).toBe(withoutTimes(r.stdout));
  });

  it('passes the fixed handler file with exit 0', () => {
    const r = kvmuf([...GMEM, '--handler', 'test/handlers/populate-first.ts']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/populate-first +PASS/);
  });

  it('accepts a bundled handler by name', () => {
    const r = kvmuf(['check', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '1', '--handler', 'forgets-to-clear']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('liveness violated: every vCPU finishes its guest program');
    expect(r.stdout).toContain('--- the cycle starts here and repeats forever ---');
  });

  it('a run that hits a limit says it is incomplete, what it covered, and exits 3', () => {
    const r = kvmuf(['check', '--design', 'kvm-userfault', '--vcpus', '3', '--max-states', '50']);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/INCOMPLETE kvm-userfault x86 anon 3v×2p: .*explored \d+ states, every state to depth \d+/);
  });

  it('a run whose safety search finished but whose liveness graph did not fit says safety is complete, and exits 3', () => {
    const args = ['check', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '1', '--max-memory', '1'];
    const r = kvmuf(args);
    expect(r.status).toBe(3);
    const states = /kvm-userfault x86 anon 1v×1p +kvm-userfault +INCOMPLETE \(safety complete\) +(\d+) /.exec(r.stdout)?.[1];
    expect(states).toBeDefined();
    // The line names the same number of states as the table: all of them were explored.
    expect(r.stdout).toContain(`INCOMPLETE kvm-userfault x86 anon 1v×1p: safety: complete (every invariant holds in all ${states} reachable states); liveness: not checked (at ${states} states the liveness pass needs`);
    expect(r.stdout).toMatch(/ of memory is left under the limit; .*\); exit status 3 because liveness was not checked/);
    expect(r.stdout).toMatch(/^0 passed, 0 failed, 1 incomplete \(1 with safety complete\): 1 configurations/m);
    const data = JSON.parse(kvmuf([...args, '--json']).stdout) as { exitStatus: number; runs: { verdict: string; safety: string; liveness: string; incomplete: { limit: string; message: string } }[] };
    expect(data.exitStatus).toBe(3);
    expect(data.runs[0]).toMatchObject({ verdict: 'incomplete', safety: 'complete', liveness: 'skipped', incomplete: { limit: 'liveness-memory' } });
    expect(data.runs[0]?.incomplete.message).toMatch(/^safety: complete \(every invariant holds in all \d+ reachable states\); liveness: not checked/);
  }, 30_000); // two child processes

  it('--json prints the same results as data', () => {
    const r = kvmuf([...GMEM, '--handler', 'test/handlers/clear-first.ts', '--json']);
    expect(r.status).toBe(1);
    const data = JSON.parse(r.stdout) as { exitStatus: number; runs: { verdict: string; handler: string; failures: { kind: string; steps: { label: string }[] }[] }[] };
    expect(data.exitStatus).toBe(1);
    expect(data.runs[0]?.verdict).toBe('fail');
    expect(data.runs[0]?.handler).toBe('clear-first');
    expect(data.runs[0]?.failures[0]?.kind).toBe('invariant');
    expect(data.runs[0]?.failures[0]?.steps[0]).toMatchObject({ label: 'vcpu0.KVM_RUN' });
  });
});

describe('bad input: a stable code, a hint, exit 2, no stack trace', () => {
  it.each([
    [['check', '--frobnicate'], 'KVMUF001'],
    [['check', '--vcpus'], 'KVMUF002'],
    [['check', '--vcpus', 'two'], 'KVMUF003'],
    [['check', '--design', 'nope'], 'KVMUF003'],
    [['check', '--vcpus', '0'], 'KVMUF103'],
    [['check', '--backing', 'hugetlb', '--pages', '3'], 'KVMUF104'],
    [['check', '--design', 'uffd', '--backing', 'guest_memfd'], 'KVMUF105'],
    [['check', '--handler', 'does-not-exist.ts'], 'KVMUF201'],
    [['check', '--handler', 'test/handlers/malformed.ts'], 'KVMUF202'],
    [['frobnicate'], 'KVMUF000'],
  ])('kvmuf %j → %s', (args, code) => {
    const r = kvmuf(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error\\[${code}\\]: .+\\nhint: .+\\n$`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });
});
