/**
 * The gmem-minor design as a user meets it: `kvmuf list` names it; a scenario file in the
 * user's own folder (with the gmemUffd key) is checked; a handler file of the user's own,
 * written against the step API (c.gmem.write, c.uffd.read/continue), passes when its
 * reader CONTINUEs after write() and is convicted of a deadlock when it does not; the
 * mainline kernel (--gmem-uffd einval) is refused with a coded error; MINOR-only
 * registration lets the ITS restore read a zero-filled page (a finding about that setup).
 */
import { describe, expect, it } from 'vitest';
import { hasStackTrace, userDir } from './user-dir.ts';

/** A user's handler: vCPU exits write() then clear the bit; the reader write()s, then (if `cont`) CONTINUEs. */
function handlerFile(name: string, cont: boolean): string {
  return `import { defineHandler, Errno, REG_GFN } from 'kvmuf';

export default defineHandler({
  name: '${name}',
  description: 'write() into the guest_memfd${cont ? ', then UFFDIO_CONTINUE' : ' only'}',
  designs: ['gmem-minor'],
  vcpuExit: [
    {
      label: 'write',
      run(c) {
        const err = c.gmem.write(c.reg(REG_GFN));
        if (err !== 0 && err !== Errno.ENOSPC) c.panic('write failed: ' + err);
      },
    },
    { label: 'clear-bit', run: (c) => c.bitmap.set(c.reg(REG_GFN), false) },
  ],
  threads: () => [
    {
      name: 'reader',
      regs: 1,
      steps: [
        {
          label: 'read',
          run(c) {
            const r = c.uffd.read({ nonblock: false });
            const msg = r.msgs[0];
            if (!msg || !('address' in msg)) return c.goto(0);
            c.setReg(0, (msg.address - c.env.hva) / 4096);
          },
        },
        {
          label: 'write',
          run(c) {
            const err = c.gmem.write(c.reg(0));
            if (err !== 0 && err !== Errno.ENOSPC) c.panic('write failed: ' + err);
            ${cont ? '' : 'c.goto(0);'}
          },
        },
        {
          label: 'continue',
          run(c) {
            const r = c.uffd.continue(c.reg(0));
            if (r.errno === Errno.EEXIST) c.uffd.wake(c.reg(0));
            c.goto(0);
          },
        },
      ],
    },
  ],
});
`;
}

describe('the gmem-minor design (guest_memfd + userfaultfd, Firecracker secret hiding)', { timeout: 120_000 }, () => {
  const dir = userDir('kvmuf-gmem-minor-');
  const scenario = dir.write('scenario.json', JSON.stringify({ design: 'gmem-minor', gmemUffd: 'vm-uffd-ops', vcpus: ['r0 w1=7', 'r1'], control: { kvmClock: 1 } }));

  it('kvmuf list names the design, its reference handler and the wrong one', () => {
    const r = dir.run(['list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/designs: .*\bgmem-minor\b/);
    expect(r.stdout).toMatch(/^ {2}gmem-minor +\[gmem-minor\] /m);
    expect(r.stdout).toMatch(/^ {2}gmem-write-no-continue +\[gmem-minor\] WRONG:/m);
  });

  it('checks a scenario file in the user’s folder; the reproduce line spells the variant out', () => {
    const r = dir.run(['check', '--scenario', scenario, '--handler', 'gmem-write-no-continue']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^gmem-minor x86 guest_memfd 2v×2p \+kvm-clock 1 +gmem-write-no-continue +FAIL/m);
    expect(r.stdout).toMatch(/reproduce: kvmuf check --design gmem-minor --arch x86 --backing guest_memfd .*--gmem-uffd vm-uffd-ops/);
    const reference = dir.run(['check', '--scenario', scenario]);
    expect(reference.stdout).toMatch(/ gmem-minor +PASS /);
    expect(reference.status).toBe(0);
  });

  it('a user’s handler file passes with write() + CONTINUE and is convicted of a deadlock without CONTINUE', () => {
    const good = dir.write('good.ts', handlerFile('write-then-continue', true));
    const bad = dir.write('bad.ts', handlerFile('write-only', false));
    const ok = dir.run(['check', '--scenario', scenario, '--handler', good]);
    expect(ok.stdout).toMatch(/write-then-continue +PASS/);
    expect(ok.status).toBe(0);
    const r = dir.run(['check', '--scenario', scenario, '--handler', bad]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/deadlock: no thread can move; .*control at restore-msr-kvm-clock \(sleeping in userfaultfd\)/);
    expect(r.stdout).toMatch(/reader +write: write\(guest_memfd\) gfn 1 → (ok|ENOSPC)/);
  });

  it('mainline (--gmem-uffd einval) cannot set the design up: KVMUF105, a hint, exit 2, no stack trace', () => {
    const r = dir.run(['check', '--scenario', scenario, '--gmem-uffd', 'einval']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[KVMUF105\]: mainline refuses userfaultfd on a guest_memfd mapping/m);
    expect(r.stderr).toMatch(/^hint: use --gmem-uffd vm-uffd-ops/m);
    expect(hasStackTrace(r.stderr)).toBe(false);
  });

  it('with MINOR alone, the ITS restore reads a zero-filled page: a page not in the guest_memfd is no MINOR fault', () => {
    const args = ['check', '--design', 'gmem-minor', '--arch', 'arm64', '--series', 'v2-firecracker', '--its', '1'];
    const both = dir.run(args);
    expect(both.status).toBe(0);
    const r = dir.run([...args, '--uffd', 'minor']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('invariant violated: no access observes a page without its content');
    expect(r.stdout).toMatch(/its-restore-tables: KVM read gfn 1 = 0/);
  });
});
