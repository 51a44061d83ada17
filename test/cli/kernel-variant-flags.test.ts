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

  it('a value that is not a variant is a coded error (exit 2)', () => {
    const r = kvmuf(['check', '--design', 'uffd', '--uffd-eagain-field', 'sometimes']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[KVMUF003\]: kvmuf check: --uffd-eagain-field sometimes is not one of written, untouched/);
  });
});
