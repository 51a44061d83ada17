/**
 * Partial pages as a user meets them (issue 12 item 4, review M6): a scenario file in the
 * user's own folder whose guest reads steal time at offset 0x40 of the kvm-clock page. The
 * MSR restore only activates the pvclock cache (a zero page without uffd), KVM writes its
 * 32 bytes at the first KVM_RUN, and the VMM cleared the page's bit: the read finds zeros
 * where the source's content never arrived. With a uffd reader the same scenario passes.
 */
import { describe, expect, it } from 'vitest';
import { inShell } from './run-cli.ts';
import { hasStackTrace, userDir } from './user-dir.ts';

const SCENARIO = { design: 'kvm-userfault', arch: 'x86', pages: 2, uffd: 'none', vcpus: ['r1+0x40 r0'], control: { kvmClock: 1, controlFirst: true } };

describe('partial pages from the command line', { timeout: 60_000 }, () => {
  const dir = userDir('kvmuf-partial-');
  const file = dir.write('steal-time.json', JSON.stringify(SCENARIO));

  it('convicts clearing the kvm-clock bit with no uffd: a read at 0x40 of that page sees zeros, and the exit gpa stays page-aligned', () => {
    const r = dir.run(['check', '--scenario', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^kvm-userfault x86 anon 1v×2p \+kvm-clock 1 control first +kvm-userfault +FAIL/m);
    expect(r.stdout).toContain('KVM_SET_MSRS(MSR_KVM_SYSTEM_TIME_NEW) vcpu 0 gfn 1: pvclock cache active, written at the next KVM_RUN');
    expect(r.stdout).toContain('kvm_guest_time_update writes the pvclock: gfn 1 bytes 0x0..0x1f');
    expect(r.stdout).toContain('page1.content: 0 → 0, 50 at 0x0..0x1f');
    expect(r.stdout).toMatch(/guest reads gfn 1 at 0x40 = 0\n.*violation: - → code 1 at gfn 1: got 0, expected 2/);
    const reproduce = /reproduce: (kvmuf .*)$/m.exec(r.stdout)?.[1] ?? '';
    expect(reproduce).toContain("--program 'r1+0x40 r0'");
    const again = inShell(reproduce, dir.dir);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain('guest reads gfn 1 at 0x40 = 0');
  });

  it('passes when a uffd reader serves the activation GUP with the source page first', () => {
    const r = dir.run(['check', '--scenario', file, '--uffd', 'missing']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^kvm-userfault x86 anon 1v×2p \+kvm-clock 1 control first +kvm-userfault +PASS/m);
    expect(r.status).toBe(0);
  });

  it('a guest read at an offset exits with the page-aligned gpa', () => {
    const r = dir.run(['replay', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '2', '--uffd', 'none', '--program', 'r1+0x123', '--path', '0/0/0']);
    expect(r.stdout).toContain('KVM_RUN → -EFAULT, KVM_EXIT_MEMORY_FAULT gpa 0x1000 flags 0x10');
    expect(r.status).toBe(0);
  });

  it.each([
    ['past the page', 'r1+0xff9', /offset 0xff9, past 0xff8/],
    ['not a number', 'r1+x', /'r1\+x' is not an access/],
  ])('refuses an offset %s with KVMUF003, a hint and exit 2', (_name, program, what) => {
    const r = dir.run(['check', '--design', 'kvm-userfault', '--vcpus', '1', '--pages', '2', '--program', program]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error[KVMUF003]');
    expect(r.stderr).toMatch(what);
    expect(r.stderr).toMatch(/^hint: /m);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });
});
