/** Kernel variants chosen from the command line: named in the table and carried by the reproduce line. */
import { describe, expect, it } from 'vitest';
import { kvmuf } from './run-cli.ts';

describe('kernel variant flags', () => {
  it('--gmem-write overwrite (the write() series v6) is checked, named, and reproduced', () => {
    const r = kvmuf(['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--gmem-write', 'overwrite']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/kvm-userfault x86 guest_memfd 2v×2p gmem-write overwrite +kvm-userfault +PASS/);
    const json = JSON.parse(kvmuf(['check', '--design', 'kvm-userfault', '--backing', 'guest_memfd', '--gmem-write', 'overwrite', '--json']).stdout) as { runs: { command: string; configuration: { gmemWrite: string } }[] };
    expect(json.runs[0]?.configuration.gmemWrite).toBe('overwrite');
    expect(json.runs[0]?.command).toContain('--gmem-write overwrite');
  });

  it('--uffd-eagain-field untouched is named in the table', () => {
    const r = kvmuf(['check', '--design', 'uffd', '--uffd-eagain-field', 'untouched']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/uffd x86 anon 2v×2p eagain-field untouched/);
  });

  it('--async-pf-scope sw-protected (the RFC as posted) takes no exit asynchronously on the default VM type: a smaller graph, named, reproduced', () => {
    const args = ['check', '--design', 'async-pf-user', '--async-pf-scope', 'sw-protected', '--json'];
    type Runs = { runs: { command: string; verdict: string; stats: { distinct: number } }[] };
    const rfc = JSON.parse(kvmuf(args).stdout) as Runs;
    const any = JSON.parse(kvmuf(['check', '--design', 'async-pf-user', '--json']).stdout) as Runs;
    expect(rfc.runs[0]?.verdict).toBe('pass');
    expect(rfc.runs[0]?.command).toContain('--async-pf-scope sw-protected');
    // No parked ops, tokens or READY calls: far fewer states than the default scope's run.
    expect(rfc.runs[0]?.stats.distinct).toBeLessThan((any.runs[0]?.stats.distinct ?? 0) / 10);
    const table = kvmuf(['check', '--design', 'async-pf-user', '--backing', 'guest_memfd', '--async-pf-scope', 'sw-protected']);
    expect(table.stdout).toMatch(/async-pf-user x86 guest_memfd 2v×2p async-pf sw-protected +async-pf-user +PASS/);
  });

  it('a value that is not a variant is a coded error (exit 2)', () => {
    const r = kvmuf(['check', '--design', 'uffd', '--uffd-eagain-field', 'sometimes']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[KVMUF003\]: kvmuf check: --uffd-eagain-field sometimes is not one of written, untouched/);
  });

  it('--arm64-wp-fault no-check is named in the table and carried by the reproduce line; on x86 it is refused', () => {
    const r = kvmuf(['check', '--design', 'kvm-userfault', '--arch', 'arm64', '--arm64-wp-fault', 'no-check', '--dirty-log-round']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/kvm-userfault arm64 anon .*wp-fault no-check/);
    const x86 = kvmuf(['check', '--design', 'kvm-userfault', '--arch', 'x86', '--arm64-wp-fault', 'no-check']);
    expect(x86.status).toBe(2);
    expect(x86.stderr).toMatch(/^error\[KVMUF105\]: --arm64-wp-fault no-check is an arm64 choice/);
  });
});
