/**
 * userfaultfd on a guest_memfd mapping under the vm_uffd_ops series (--gmem-uffd
 * vm-uffd-ops; Message-ID 20260306171815.3160826-14-rppt and its selftests -15-rppt):
 * MISSING and MINOR register; a page written into the guest_memfd but not mapped in the
 * VMA is a MINOR fault, a page not in the guest_memfd a MISSING fault; CONTINUE maps the
 * page-cache page and wakes; write() populates without waking anyone. Mainline: EINVAL
 * (the M3 test in userfaultfd.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import { GUEST_MEMFD_FLAG_MMAP } from '../../src/mm/guest-memfd.ts';
import { Errno, UFFDIO_REGISTER_MODE_MINOR, UFFDIO_REGISTER_MODE_MISSING, UFFD_EVENT_PAGEFAULT, UFFD_PAGEFAULT_FLAG_MINOR } from '../../src/kvm/uapi.ts';
import { access, accessBlocks, backing, expectErrno, expectOk, mapped, P, VMM } from './fixtures.ts';

const MISSING = UFFDIO_REGISTER_MODE_MISSING;
const MINOR = UFFDIO_REGISTER_MODE_MINOR;

/** A 2-page mappable guest_memfd, mapped, registered with a new uffd in `mode`. */
function gmemRegistered(mode: number): { sim: KvmSim; fd: number; hva: number; uffd: number } {
  const sim = new KvmSim({ privateMem: true, variant: { gmemUffd: 'vm-uffd-ops' } });
  const fd = sim.createGuestMemfd(2 * P, GUEST_MEMFD_FLAG_MMAP).ret;
  const hva = sim.mmapGuestMemfd(fd, 2);
  const uffd = sim.userfaultfd();
  expectOk(sim.uffdRegister(uffd, hva, 2 * P, mode));
  return { sim, fd, hva, uffd };
}

describe('userfaultfd on a guest_memfd mapping (vm_uffd_ops series)', () => {
  it('registers in MISSING, MINOR and both (mainline refuses all three: see userfaultfd.test.ts)', () => {
    for (const mode of [MISSING, MINOR, MISSING | MINOR]) {
      const { sim, uffd } = gmemRegistered(mode);
      expect(sim.uffdPoll(uffd)).toBe(false);
    }
  });

  it('a page written into the guest_memfd but not mapped is a MINOR fault; CONTINUE maps it and wakes the waiter', () => {
    const { sim, fd, hva, uffd } = gmemRegistered(MISSING | MINOR);
    expectOk(sim.gmemWrite(fd, P, 42), P);
    // write() fills the page cache only: the VMA does not map the page.
    expect(mapped(sim, hva + P)).toBe('unmapped');
    accessBlocks(sim, VMM, hva + P);
    const r = sim.uffdRead(uffd);
    expect(r.msg).toEqual({ event: UFFD_EVENT_PAGEFAULT, address: hva + P, flags: UFFD_PAGEFAULT_FLAG_MINOR });
    expect(sim.uffdContinue(uffd, hva + P, P).mapped).toBe(P);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(access(sim, VMM, hva + P)).toBe(42);
  });

  it('a page not in the guest_memfd is a MISSING fault; write() then CONTINUE serves it', () => {
    const { sim, fd, hva, uffd } = gmemRegistered(MISSING | MINOR);
    accessBlocks(sim, VMM, hva);
    expect(sim.uffdRead(uffd).msg).toEqual({ event: UFFD_EVENT_PAGEFAULT, address: hva, flags: 0 });
    // CONTINUE before the page is in the page cache: EFAULT (get_folio_noalloc finds nothing).
    expectErrno(sim.uffdContinue(uffd, hva, P).result, Errno.EFAULT);
    expectOk(sim.gmemWrite(fd, 0, 7), P);
    // write() put the page in place but woke nobody: the faulting task still sleeps.
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    expectOk(sim.uffdContinue(uffd, hva, P).result);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(access(sim, VMM, hva)).toBe(7);
    // A second CONTINUE finds the page mapped: EEXIST.
    expectErrno(sim.uffdContinue(uffd, hva, P).result, Errno.EEXIST);
  });

  it('with MINOR alone, a page not in the guest_memfd faults in zeroed and no message is sent (what the ITS restore then reads)', () => {
    const { sim, fd, hva, uffd } = gmemRegistered(MINOR);
    expect(access(sim, VMM, hva)).toBe(0);
    expect(sim.uffdPoll(uffd)).toBe(false);
    expect(backing(sim, hva)).toBe(0);
    // The folio is now uptodate: the content arrives too late (v1–v5 write(): ENOSPC).
    expectErrno(sim.gmemWrite(fd, 0, 7), Errno.ENOSPC);
  });

  it('UFFDIO_COPY allocates the page (alloc_folio + filemap_add), EEXIST once the page is in the guest_memfd; ZEROPAGE stays EINVAL', () => {
    const { sim, fd, hva, uffd } = gmemRegistered(MISSING);
    expect(sim.uffdCopy(uffd, hva, P, 5).copy).toBe(P);
    expect(access(sim, VMM, hva)).toBe(5);
    expectOk(sim.gmemWrite(fd, P, 6), P);
    expectErrno(sim.uffdCopy(uffd, hva + P, P, 9).result, Errno.EEXIST);
    expectErrno(sim.uffdZeropage(uffd, hva + P, P).result, Errno.EINVAL);
  });
});
