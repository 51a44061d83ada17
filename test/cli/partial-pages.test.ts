/**
 * Partial pages as a user meets them (issue 12 item 4, review M6): a scenario file in the
 * user's own folder whose guest reads other data at offset 0x40 of a kvm-clock page it
 * shares with that data (kvmClockPage "shared"). The MSR restore only activates the
 * pvclock cache (a zero page without uffd), KVM writes its 32 bytes at the first KVM_RUN,
 * and the VMM cleared the page's bit: the read finds zeros where the source's content
 * never arrived. With a uffd reader the same scenario passes, and so it does on a
 * dedicated clock page (the default, as Linux's hv_clock_boot), whose rest is zeros.
 * Steal time (MSR_KVM_STEAL_TIME) shares its page with other per-cpu data in Linux: the
 * same shortcut is convicted there.
 */
import { describe, expect, it } from 'vitest';
import { inShell } from './run-cli.ts';
import { hasStackTrace, userDir } from './user-dir.ts';

const SCENARIO = { design: 'kvm-userfault', arch: 'x86', pages: 2, uffd: 'none', vcpus: ['r1+0x40 r0'], control: { kvmClock: 1, kvmClockPage: 'shared', controlFirst: true } };
const DEDICATED = { ...SCENARIO, control: { kvmClock: 1, controlFirst: true } };
const STEAL_TIME = { design: 'kvm-userfault', arch: 'x86', pages: 2, uffd: 'none', vcpus: ['r1+0x100 r1+0x40 r0'], control: { stealTime: 1, controlFirst: true } };

describe('partial pages from the command line', { timeout: 60_000 }, () => {
  const dir = userDir('kvmuf-partial-');
  const file = dir.write('shared-clock.json', JSON.stringify(SCENARIO));
  const dedicated = dir.write('dedicated-clock.json', JSON.stringify(DEDICATED));
  const stealTime = dir.write('steal-time.json', JSON.stringify(STEAL_TIME));

  it('convicts clearing the bit of a shared kvm-clock page with no uffd: a read at 0x40 of that page sees zeros, and the exit gpa stays page-aligned', () => {
    const r = dir.run(['check', '--scenario', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^kvm-userfault x86 anon 1v×2p \+kvm-clock 1 shared control first +kvm-userfault +FAIL/m);
    expect(r.stdout).toContain('KVM_SET_MSRS(MSR_KVM_SYSTEM_TIME_NEW) vcpu 0 gfn 1: pvclock cache active, written at the next KVM_RUN');
    expect(r.stdout).toContain('kvm_guest_time_update writes the pvclock: gfn 1 bytes 0x0..0x1f');
    expect(r.stdout).toContain('page1.content: 0 → 0, 50 at 0x0..0x1f');
    expect(r.stdout).toMatch(/guest reads gfn 1 at 0x40 = 0\n.*violation: - → code 1 at gfn 1: got 0, expected 2/);
    const reproduce = /reproduce: (kvmuf .*)$/m.exec(r.stdout)?.[1] ?? '';
    expect(reproduce).toContain("--program 'r1+0x40 r0' --kvm-clock 1 --kvm-clock-page shared");
    const again = inShell(reproduce, dir.dir);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain('guest reads gfn 1 at 0x40 = 0');
  });

  it('passes when a uffd reader serves the activation GUP with the source page first', () => {
    const r = dir.run(['check', '--scenario', file, '--uffd', 'missing']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^kvm-userfault x86 anon 1v×2p \+kvm-clock 1 shared control first +kvm-userfault +PASS/m);
    expect(r.status).toBe(0);
  });

  it('passes the same shortcut on a dedicated kvm-clock page (the default): the rest of it is zeros on the source too', () => {
    const r = dir.run(['check', '--scenario', dedicated]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^kvm-userfault x86 anon 1v×2p \+kvm-clock 1 control first +kvm-userfault +PASS/m);
    expect(r.status).toBe(0);
    // Said explicitly, it names the same configuration; a kind that is not one is refused.
    expect(dir.run(['check', '--scenario', dedicated, '--kvm-clock-page', 'dedicated']).stdout).toMatch(/\+kvm-clock 1 control first +kvm-userfault +PASS/);
    const bad = dir.run(['check', '--scenario', dedicated, '--kvm-clock-page', 'private']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error\[KVMUF003\]: .*--kvm-clock-page private is not one of dedicated, shared/m);
    expect(hasStackTrace(bad.stderr)).toBe(false);
  });

  it('convicts restoring steal time and clearing its bit with no uffd: record_steal_time writes its bytes over a zero page at the first KVM_RUN', () => {
    const r = dir.run(['check', '--scenario', stealTime]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^kvm-userfault x86 anon 1v×2p \+steal-time 1 control first +kvm-userfault +FAIL/m);
    expect(r.stdout).toContain('KVM_SET_MSRS(MSR_KVM_STEAL_TIME) vcpu 0 gfn 1: KVM_REQ_STEAL_UPDATE, written at the next KVM_RUN');
    expect(r.stdout).toContain('record_steal_time writes steal time: gfn 1 struct at 0x40..0x7f');
    expect(r.stdout).toMatch(/guest reads gfn 1 at 0x100 = 0\n.*violation: - → code 1 at gfn 1: got 0, expected 2/);
    const reproduce = /reproduce: (kvmuf .*)$/m.exec(r.stdout)?.[1] ?? '';
    expect(reproduce).toContain('--steal-time 1 --control-first');
    expect(inShell(reproduce, dir.dir).status).toBe(1);
  });

  it('passes steal time with a uffd reader: the vCPU thread’s user access sleeps in userfaultfd until the source page is in', () => {
    const r = dir.run(['check', '--scenario', stealTime, '--uffd', 'missing']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^kvm-userfault x86 anon 1v×2p \+steal-time 1 control first +kvm-userfault +PASS/m);
    expect(r.status).toBe(0);
  });

  it('refuses steal time on a dedicated kvm-clock page, and on arm64, with KVMUF105 and a hint', () => {
    for (const args of [['--kvm-clock', '1'], ['--arch', 'arm64']]) {
      const r = dir.run(['check', '--scenario', stealTime, ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^error\[KVMUF105\]: /);
      expect(r.stderr).toMatch(/^hint: /m);
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
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
