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

  it('--async-pf-scope: the RFC as posted (sw-protected) is the default, so on anon every exit is synchronous, said in a note; any is named, reproduced and far larger', () => {
    type Runs = { runs: { command: string; verdict: string; stats: { distinct: number } }[] };
    const rfc = JSON.parse(kvmuf(['check', '--design', 'async-pf-user', '--json']).stdout) as Runs;
    const any = JSON.parse(kvmuf(['check', '--design', 'async-pf-user', '--async-pf-scope', 'any', '--json']).stdout) as Runs;
    expect(rfc.runs[0]?.verdict).toBe('pass');
    expect(any.runs[0]?.verdict).toBe('pass');
    expect(any.runs[0]?.command).toContain('--async-pf-scope any');
    // No parked ops, tokens or READY calls under the default: far fewer states (335 vs 8,659, matrix-pins.ts).
    expect(rfc.runs[0]?.stats.distinct).toBeLessThan((any.runs[0]?.stats.distinct ?? 0) / 10);
    const table = kvmuf(['check', '--design', 'async-pf-user']);
    expect(table.stdout).toMatch(/^async-pf-user x86 anon 2v×2p +async-pf-user +PASS/m);
    expect(table.stdout).toContain('NOTE async-pf-user x86 anon 2v×2p: every userfault exit is synchronous: the RFC goes asynchronous only on KVM_X86_SW_PROTECTED_VM (--backing guest_memfd); --async-pf-scope any takes them asynchronously on anon too');
    const named = kvmuf(['check', '--design', 'async-pf-user', '--async-pf-scope', 'any']);
    expect(named.stdout).toMatch(/^async-pf-user x86 anon 2v×2p async-pf any +async-pf-user +PASS/m);
    expect(named.stdout).not.toContain('NOTE');
    const gmem = kvmuf(['check', '--design', 'async-pf-user', '--backing', 'guest_memfd']);
    expect(gmem.stdout).toMatch(/^async-pf-user x86 guest_memfd 2v×2p +async-pf-user +PASS/m);
    expect(gmem.stdout).not.toContain('NOTE');
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
