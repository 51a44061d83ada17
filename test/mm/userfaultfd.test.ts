/**
 * userfaultfd: registration, fault delivery, resolution (COPY / ZEROPAGE / CONTINUE,
 * DONTWAKE, WAKE), EEXIST and EAGAIN, huge pages, close
 * (shared/reference/userfaultfd-and-vmms.md, "userfaultfd semantics").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import { GUEST_MEMFD_FLAG_MMAP } from '../../src/mm/guest-memfd.ts';
import {
  Errno,
  KVM_EXIT_HLT,
  UFFDIO_CONTINUE_MODE_DONTWAKE,
  UFFDIO_COPY_MODE_DONTWAKE,
  UFFDIO_REGISTER_MODE_MINOR,
  UFFDIO_REGISTER_MODE_MISSING,
  UFFDIO_REGISTER_MODE_WP,
  UFFDIO_ZEROPAGE_MODE_DONTWAKE,
  UFFD_EVENT_PAGEFAULT,
  UFFD_EVENT_REMOVE,
  UFFD_FEATURE_EVENT_REMOVE,
  UFFD_PAGEFAULT_FLAG_MINOR,
  UFFD_PAGEFAULT_FLAG_WRITE,
} from '../../src/kvm/uapi.ts';
import {
  access,
  accessBlocks,
  anonRegistered,
  backing,
  dontneed,
  expectErrno,
  expectOk,
  mapped,
  P,
  shmemMapped,
  VMM,
  VMM2,
  VMM3,
} from './fixtures.ts';

const MISSING = UFFDIO_REGISTER_MODE_MISSING;
const MINOR = UFFDIO_REGISTER_MODE_MINOR;

/** Read one message; it must be a page fault at `address` with exactly `flags`. */
function expectFault(sim: KvmSim, uffd: number, address: number, flags = 0): void {
  const r = sim.uffdRead(uffd);
  expect(r.result.ret).toBeGreaterThan(0);
  expect(r.msg).toEqual({ event: UFFD_EVENT_PAGEFAULT, address, flags });
}

function expectNoMessage(sim: KvmSim, uffd: number): void {
  expect(sim.uffdPoll(uffd)).toBe(false);
  const r = sim.uffdRead(uffd);
  expectErrno(r.result, Errno.EAGAIN);
  expect(r.msg).toBeUndefined();
}

describe('UFFDIO_REGISTER', () => {
  it('MISSING on anonymous memory succeeds, and an absent page then faults instead of reading zeros', () => {
    const { sim, hva } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    expect(backing(sim, hva)).toBe('absent');
  });

  it('MINOR on anonymous memory is EINVAL (and the range stays unregistered)', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(1);
    const uffd = sim.userfaultfd();
    expectErrno(sim.uffdRegister(uffd, hva, P, MINOR), Errno.EINVAL);
    expectErrno(sim.uffdRegister(uffd, hva, P, MINOR | MISSING), Errno.EINVAL);
    expect(access(sim, VMM, hva)).toBe(0);
  });

  it('MINOR on shmem and on hugetlbfs succeeds; MISSING|MINOR together too', () => {
    const sim = new KvmSim();
    const shm = sim.mmapFile(sim.createFile('shmem', 1), 1);
    const huge = sim.mmapFile(sim.createFile('hugetlb', 4, 4), 4);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, shm, P, MINOR | MISSING));
    expectOk(sim.uffdRegister(uffd, huge, 4 * P, MINOR));
  });

  it('a guest_memfd mapping is EINVAL in every mode (mainline vma_can_userfault: anon, hugetlbfs, shmem only)', () => {
    const sim = new KvmSim({ privateMem: true });
    const fd = sim.createGuestMemfd(P, GUEST_MEMFD_FLAG_MMAP).ret;
    const hva = sim.mmapGuestMemfd(fd, 1);
    const uffd = sim.userfaultfd();
    expectErrno(sim.uffdRegister(uffd, hva, P, MISSING), Errno.EINVAL);
    expectErrno(sim.uffdRegister(uffd, hva, P, MINOR), Errno.EINVAL);
    expectErrno(sim.uffdRegister(uffd, hva, P, MINOR | MISSING), Errno.EINVAL);
    // Nothing was registered: a touch allocates the page instead of faulting into the uffd.
    expect(access(sim, VMM, hva)).toBe(0);
    expect(sim.uffdPoll(uffd)).toBe(false);
  });

  it('a VMA already registered with another uffd is EBUSY; the same uffd may re-register', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    const other = sim.userfaultfd();
    expectErrno(sim.uffdRegister(other, hva, P, MISSING), Errno.EBUSY);
    expectOk(sim.uffdRegister(uffd, hva, P, MISSING));
    // Faults still go to the first uffd.
    accessBlocks(sim, VMM, hva);
    expect(sim.uffdPoll(uffd)).toBe(true);
    expect(sim.uffdPoll(other)).toBe(false);
  });

  it('an unaligned start or length, or an empty range, is EINVAL', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(2);
    const uffd = sim.userfaultfd();
    expectErrno(sim.uffdRegister(uffd, hva + 1, P, MISSING), Errno.EINVAL);
    expectErrno(sim.uffdRegister(uffd, hva, 2 * P - 1, MISSING), Errno.EINVAL);
    expectErrno(sim.uffdRegister(uffd, hva, 0, MISSING), Errno.EINVAL);
    expect(access(sim, VMM, hva)).toBe(0); // nothing was registered
  });

  it('an empty or unknown mode is EINVAL (write-protect is not modelled)', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(1);
    const uffd = sim.userfaultfd();
    expectErrno(sim.uffdRegister(uffd, hva, P, 0), Errno.EINVAL);
    expectErrno(sim.uffdRegister(uffd, hva, P, 1 << 7), Errno.EINVAL);
    expectErrno(sim.uffdRegister(uffd, hva, P, UFFDIO_REGISTER_MODE_WP), Errno.EINVAL);
  });

  it('a range with no mapping is ENOMEM', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(1);
    const uffd = sim.userfaultfd();
    expectErrno(sim.uffdRegister(uffd, hva + 2 * P, P, MISSING), Errno.ENOMEM);
  });

  it('a closed or never-opened fd is EBADF', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(1);
    const uffd = sim.userfaultfd();
    expectOk(sim.close(uffd));
    expectErrno(sim.uffdRegister(uffd, hva, P, MISSING), Errno.EBADF);
    expectErrno(sim.uffdRegister(77, hva, P, MISSING), Errno.EBADF);
    expect(access(sim, VMM, hva)).toBe(0);
  });

  it('pages already present when the range is registered do not fault', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(2);
    access(sim, VMM, hva, 4);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, 2 * P, MISSING));
    expect(access(sim, VMM, hva)).toBe(4);
    accessBlocks(sim, VMM, hva + P);
  });
});

describe('fault delivery: sleep, read, poll', () => {
  it('a faulting VMM thread sleeps until a resolving ioctl wakes it, then its retry sees the content', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    accessBlocks(sim, VMM, hva + P + 8);
    expect(sim.isTaskBlocked(VMM2)).toBe(false);
    expectFault(sim, uffd, hva + P);
    expect(sim.isTaskBlocked(VMM)).toBe(true); // reading the message does not wake it
    expectOk(sim.uffdCopy(uffd, hva + P, P, 6).result);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(access(sim, VMM, hva + P + 8)).toBe(6);
  });

  it('KVM\'s own access (kvm_read_guest) to a missing registered page sleeps in userfaultfd', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(2);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, 2 * P, MISSING));
    expectOk(sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: 2 * P, userspace_addr: hva }));
    expect(sim.kvmReadGuest(VMM, P).kind).toBe('blocked');
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    expectFault(sim, uffd, hva + P);
    expectOk(sim.uffdCopy(uffd, hva + P, P, 2).result);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    const r = sim.kvmReadGuest(VMM, P);
    expect(r.kind === 'done' && r.value).toBe(2);
  });

  it('a vCPU whose stage-2 fault needs a missing registered page sleeps until COPY wakes it', () => {
    const sim = new KvmSim({ programs: [[{ kind: 'read', gfn: 0 }]] });
    const hva = sim.mmapAnonymous(1);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, P, MISSING));
    expectOk(sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: P, userspace_addr: hva }));
    expect(sim.runUntilExit(0).kind).toBe('blocked');
    expect(sim.isTaskBlocked(0)).toBe(true);
    expect(sim.runnable(0)).toBe(false);
    expectFault(sim, uffd, hva);
    expectOk(sim.uffdCopy(uffd, hva, P, 3).result);
    const r = sim.runUntilExit(0);
    expect(r.kind === 'exit' && r.run.exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess).toEqual({ gfn: 0, write: false, value: 3 });
  });

  it('the message carries the page-aligned address and WRITE only for writes', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    accessBlocks(sim, VMM, hva + 100);
    accessBlocks(sim, VMM2, hva + P + 4095, 7);
    expectFault(sim, uffd, hva, 0);
    expectFault(sim, uffd, hva + P, UFFD_PAGEFAULT_FLAG_WRITE);
    expectNoMessage(sim, uffd);
  });

  it('a write fault does not store the value: the thread must retry after the page is installed', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva, 7);
    expect(backing(sim, hva)).toBe('absent');
    expectOk(sim.uffdZeropage(uffd, hva, P).result);
    expect(mapped(sim, hva)).toBe(0);
    expect(access(sim, VMM, hva, 7)).toBe(7);
  });

  it('on hugetlbfs the message address is aligned to the huge page', () => {
    const sim = new KvmSim();
    const file = sim.createFile('hugetlb', 8, 4);
    const hva = sim.mmapFile(file, 8);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, 8 * P, MISSING));
    accessBlocks(sim, VMM, hva + 6 * P + 12, 1);
    expectFault(sim, uffd, hva + 4 * P, UFFD_PAGEFAULT_FLAG_WRITE);
  });

  it('a hugetlbfs mapping at a file offset aligns the message to the file\'s huge pages', () => {
    const sim = new KvmSim();
    const file = sim.createFile('hugetlb', 8, 4);
    const hva = sim.mmapFile(file, 4, 4);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, 4 * P, MISSING));
    accessBlocks(sim, VMM, hva + 3 * P);
    expectFault(sim, uffd, hva);
  });

  it('a page-cache page that is not mapped raises a MINOR fault (MINOR flag, plus WRITE for a write)', () => {
    const { sim, hva } = shmemMapped(2, [5, 6]);
    expect(dontneed(sim, VMM, hva, 2 * P).kind).toBe('done');
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, 2 * P, MINOR));
    accessBlocks(sim, VMM, hva + P + 1);
    accessBlocks(sim, VMM2, hva, 9);
    expectFault(sim, uffd, hva + P, UFFD_PAGEFAULT_FLAG_MINOR);
    expectFault(sim, uffd, hva, UFFD_PAGEFAULT_FLAG_MINOR | UFFD_PAGEFAULT_FLAG_WRITE);
  });

  it('with MISSING|MINOR on shmem, an absent page is a MISSING fault and a cached unmapped page a MINOR fault', () => {
    const { sim, hva } = shmemMapped(2, [5]);
    expect(dontneed(sim, VMM, hva, 2 * P).kind).toBe('done');
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, 2 * P, MINOR | MISSING));
    accessBlocks(sim, VMM, hva + P);
    accessBlocks(sim, VMM2, hva);
    expectFault(sim, uffd, hva + P, 0);
    expectFault(sim, uffd, hva, UFFD_PAGEFAULT_FLAG_MINOR);
  });

  it('on hugetlbfs a MINOR fault is huge-page aligned and CONTINUE maps the whole huge page', () => {
    const sim = new KvmSim();
    const file = sim.createFile('hugetlb', 4, 4);
    const hva = sim.mmapFile(file, 4);
    access(sim, VMM, hva + 2 * P, 8);
    expect(dontneed(sim, VMM, hva, 4 * P).kind).toBe('done');
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, 4 * P, MINOR));
    accessBlocks(sim, VMM, hva + 3 * P);
    expectFault(sim, uffd, hva, UFFD_PAGEFAULT_FLAG_MINOR);
    expectErrno(sim.uffdContinue(uffd, hva, P).result, Errno.EINVAL);
    expectOk(sim.uffdContinue(uffd, hva, 4 * P).result);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect([0, 1, 2, 3].map((i) => mapped(sim, hva + i * P))).toEqual([0, 0, 8, 0]);
  });

  it('read() on an empty queue is EAGAIN and poll() says there is nothing', () => {
    const { sim, uffd } = anonRegistered(1, MISSING);
    expectNoMessage(sim, uffd);
  });

  it('poll() reports a queued fault; reading it consumes it (each fault is read once)', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    expect(sim.uffdPoll(uffd)).toBe(true);
    expectFault(sim, uffd, hva);
    expectNoMessage(sim, uffd);
  });

  it('every sleeping thread queues its own message, in fault order', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    accessBlocks(sim, VMM, hva + P);
    accessBlocks(sim, VMM2, hva);
    accessBlocks(sim, VMM3, hva + P);
    expectFault(sim, uffd, hva + P);
    expectFault(sim, uffd, hva);
    expectFault(sim, uffd, hva + P);
    expectNoMessage(sim, uffd);
  });

  it('a fault resolved and woken before anyone read it leaves nothing to read: read() is EAGAIN', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    expect(sim.uffdPoll(uffd)).toBe(true);
    expectOk(sim.uffdCopy(uffd, hva, P, 1).result);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expectNoMessage(sim, uffd);
  });

  it('read() and poll() on a closed uffd: EBADF, nothing readable', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    expectOk(sim.close(uffd));
    expectErrno(sim.uffdRead(uffd).result, Errno.EBADF);
    expect(sim.uffdPoll(uffd)).toBe(false);
    expectErrno(sim.close(uffd), Errno.EBADF);
  });
});

describe('UFFDIO_COPY / ZEROPAGE / CONTINUE and WAKE', () => {
  it('COPY installs the content and wakes the waiters on the range (read or not)', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    accessBlocks(sim, VMM, hva);
    accessBlocks(sim, VMM2, hva + P);
    expectFault(sim, uffd, hva); // one read, one still queued
    const r = sim.uffdCopy(uffd, hva, 2 * P, [4, 5]);
    expectOk(r.result);
    expect(r.copy).toBe(2 * P);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(sim.isTaskBlocked(VMM2)).toBe(false);
    expect(mapped(sim, hva)).toBe(4);
    expect(mapped(sim, hva + P)).toBe(5);
    expectNoMessage(sim, uffd);
  });

  it('COPY wakes only the waiters inside the copied range', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    accessBlocks(sim, VMM, hva);
    accessBlocks(sim, VMM2, hva + P);
    expectOk(sim.uffdCopy(uffd, hva, P, 1).result);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(sim.isTaskBlocked(VMM2)).toBe(true);
    expectFault(sim, uffd, hva + P);
  });

  it('ZEROPAGE installs a zero page and wakes the waiter', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    expectFault(sim, uffd, hva);
    const r = sim.uffdZeropage(uffd, hva, P);
    expectOk(r.result);
    expect(r.zeropage).toBe(P);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(access(sim, VMM, hva)).toBe(0);
  });

  it('COPY with DONTWAKE installs the page but leaves the thread asleep until UFFDIO_WAKE', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    expectFault(sim, uffd, hva);
    expectOk(sim.uffdCopy(uffd, hva, P, 3, UFFDIO_COPY_MODE_DONTWAKE).result);
    expect(mapped(sim, hva)).toBe(3);
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    expectOk(sim.uffdWake(uffd, hva, P));
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(access(sim, VMM, hva)).toBe(3);
  });

  it('ZEROPAGE with DONTWAKE leaves the thread asleep until UFFDIO_WAKE', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    expectOk(sim.uffdZeropage(uffd, hva, P, UFFDIO_ZEROPAGE_MODE_DONTWAKE).result);
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    expectOk(sim.uffdWake(uffd, hva, P));
    expect(sim.isTaskBlocked(VMM)).toBe(false);
  });

  it('CONTINUE with DONTWAKE maps the page but leaves the thread asleep until UFFDIO_WAKE', () => {
    const { sim, hva } = shmemMapped(1, [5]);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('done');
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, P, MINOR));
    accessBlocks(sim, VMM2, hva);
    const r = sim.uffdContinue(uffd, hva, P, UFFDIO_CONTINUE_MODE_DONTWAKE);
    expectOk(r.result);
    expect(r.mapped).toBe(P);
    expect(mapped(sim, hva)).toBe(5);
    expect(sim.isTaskBlocked(VMM2)).toBe(true);
    expectOk(sim.uffdWake(uffd, hva, P));
    expect(sim.isTaskBlocked(VMM2)).toBe(false);
    expect(access(sim, VMM2, hva)).toBe(5);
  });

  it('a DONTWAKE install before the read leaves the message queued for the reader', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    expectOk(sim.uffdCopy(uffd, hva, P, 3, UFFDIO_COPY_MODE_DONTWAKE).result);
    expectFault(sim, uffd, hva);
    expect(sim.isTaskBlocked(VMM)).toBe(true);
  });

  it('UFFDIO_WAKE wakes only the given range and rejects unaligned ranges', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    accessBlocks(sim, VMM, hva);
    accessBlocks(sim, VMM2, hva + P);
    expectErrno(sim.uffdWake(uffd, hva + 1, P), Errno.EINVAL);
    expectErrno(sim.uffdWake(uffd, hva, 0), Errno.EINVAL);
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    expectOk(sim.uffdWake(uffd, hva + P, P));
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    expect(sim.isTaskBlocked(VMM2)).toBe(false);
    // A thread woken with nothing installed faults again on its retry.
    accessBlocks(sim, VMM2, hva + P);
  });

  it('COPY of a present page is EEXIST and does NOT wake the waiters: the handler must UFFDIO_WAKE', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    // Another handler (a vCPU thread serving its own exit) installs without waking.
    expectOk(sim.uffdCopy(uffd, hva, P, 3, UFFDIO_COPY_MODE_DONTWAKE).result);
    expectFault(sim, uffd, hva);
    const r = sim.uffdCopy(uffd, hva, P, 9);
    expectErrno(r.result, Errno.EEXIST);
    expect(r.copy).toBe(-Errno.EEXIST);
    expect(mapped(sim, hva)).toBe(3); // not overwritten
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    expectOk(sim.uffdWake(uffd, hva, P));
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(access(sim, VMM, hva)).toBe(3);
  });

  it('ZEROPAGE of a present page is EEXIST and does not wake', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    expectOk(sim.uffdCopy(uffd, hva, P, 3, UFFDIO_COPY_MODE_DONTWAKE).result);
    expectErrno(sim.uffdZeropage(uffd, hva, P).result, Errno.EEXIST);
    expect(mapped(sim, hva)).toBe(3);
    expect(sim.isTaskBlocked(VMM)).toBe(true);
  });

  it('CONTINUE of a page already mapped is EEXIST and does not wake', () => {
    const { sim, hva } = shmemMapped(1, [5]);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('done');
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, P, MINOR));
    accessBlocks(sim, VMM2, hva);
    expectOk(sim.uffdContinue(uffd, hva, P, UFFDIO_CONTINUE_MODE_DONTWAKE).result);
    expectErrno(sim.uffdContinue(uffd, hva, P).result, Errno.EEXIST);
    expect(sim.isTaskBlocked(VMM2)).toBe(true);
  });

  it('COPY into shmem whose page-cache page exists (unmapped) is EEXIST', () => {
    const { sim, hva } = shmemMapped(1, [5]);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('done');
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, P, MISSING | MINOR));
    expectErrno(sim.uffdCopy(uffd, hva, P, 9).result, Errno.EEXIST);
    expect(backing(sim, hva)).toBe(5);
  });

  it('COPY into shmem fills the page cache: another (unregistered) mapping of the file sees it', () => {
    const sim = new KvmSim();
    const file = sim.createFile('shmem', 1);
    const a = sim.mmapFile(file, 1);
    const b = sim.mmapFile(file, 1);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, a, P, MISSING));
    accessBlocks(sim, VMM, a);
    expectOk(sim.uffdCopy(uffd, a, P, 4).result);
    expect(access(sim, VMM2, b)).toBe(4);
    expect(access(sim, VMM, a)).toBe(4);
  });

  it('a partial COPY stops at the first present page: EAGAIN with the copied length, wakes only that part', () => {
    const { sim, hva, uffd } = anonRegistered(3, MISSING);
    accessBlocks(sim, VMM, hva);
    accessBlocks(sim, VMM3, hva + 2 * P);
    expectOk(sim.uffdCopy(uffd, hva + P, P, 7, UFFDIO_COPY_MODE_DONTWAKE).result);
    const r = sim.uffdCopy(uffd, hva, 3 * P, [1, 2, 3]);
    expectErrno(r.result, Errno.EAGAIN);
    expect(r.copy).toBe(P);
    expect([0, 1, 2].map((i) => mapped(sim, hva + i * P))).toEqual([1, 7, 'unmapped']);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(sim.isTaskBlocked(VMM3)).toBe(true);
    // The caller retries the rest from the first page not copied (skipping the present one).
    expectErrno(sim.uffdCopy(uffd, hva + P, 2 * P, [2, 3]).result, Errno.EEXIST);
    expectOk(sim.uffdCopy(uffd, hva + 2 * P, P, 3).result);
    expect(sim.isTaskBlocked(VMM3)).toBe(false);
  });

  it('COPY with an unaligned destination or length, or unknown mode bits, is EINVAL', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    expectErrno(sim.uffdCopy(uffd, hva + 1, P, 1).result, Errno.EINVAL);
    expectErrno(sim.uffdCopy(uffd, hva, P + 1, 1).result, Errno.EINVAL);
    expectErrno(sim.uffdCopy(uffd, hva, 0, 1).result, Errno.EINVAL);
    expectErrno(sim.uffdCopy(uffd, hva, P, 1, 1 << 4).result, Errno.EINVAL);
    expect(backing(sim, hva)).toBe('absent');
  });

  it('COPY into a range not registered with this uffd is ENOENT', () => {
    const { sim, hva } = anonRegistered(1, MISSING);
    const other = sim.userfaultfd();
    const plain = sim.mmapAnonymous(1);
    expectErrno(sim.uffdCopy(other, hva, P, 1).result, Errno.ENOENT);
    const uffd2 = sim.userfaultfd();
    expectErrno(sim.uffdCopy(uffd2, plain, P, 1).result, Errno.ENOENT);
    expect(backing(sim, hva)).toBe('absent');
  });

  it('COPY / ZEROPAGE / CONTINUE / WAKE on a closed uffd are EBADF', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    expectOk(sim.close(uffd));
    expectErrno(sim.uffdCopy(uffd, hva, P, 1).result, Errno.EBADF);
    expectErrno(sim.uffdZeropage(uffd, hva, P).result, Errno.EBADF);
    expectErrno(sim.uffdContinue(uffd, hva, P).result, Errno.EBADF);
    expectErrno(sim.uffdWake(uffd, hva, P), Errno.EBADF);
  });

  it('CONTINUE on a range registered only MISSING maps the page-cache page all the same (mfill_atomic checks shmem, not VM_UFFD_MINOR; review C1)', () => {
    const { sim, hva } = shmemMapped(1, [5]);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('done');
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, P, MISSING));
    expectOk(sim.uffdContinue(uffd, hva, P).result);
    expect(mapped(sim, hva)).toBe(5);
  });

  it('CONTINUE on anonymous memory is EINVAL (no page cache to map from)', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    expectErrno(sim.uffdContinue(uffd, hva, P).result, Errno.EINVAL);
  });

  it('CONTINUE of a page that is not in the page cache is EFAULT and maps nothing', () => {
    const { sim, hva } = shmemMapped(2);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, 2 * P, MINOR | MISSING));
    accessBlocks(sim, VMM, hva); // a MISSING fault: nothing in the page cache
    const r = sim.uffdContinue(uffd, hva, P);
    expectErrno(r.result, Errno.EFAULT);
    expect(r.mapped).toBe(-Errno.EFAULT);
    expect(mapped(sim, hva)).toBe('unmapped');
    expect(sim.isTaskBlocked(VMM)).toBe(true);
  });
});

describe('hugetlbfs installs', () => {
  const HUGE = 4;
  function hugeRegistered(mode = MISSING): { sim: KvmSim; hva: number; uffd: number } {
    const sim = new KvmSim();
    const file = sim.createFile('hugetlb', 2 * HUGE, HUGE);
    const hva = sim.mmapFile(file, 2 * HUGE);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, 2 * HUGE * P, mode));
    return { sim, hva, uffd };
  }

  it('COPY of part of a huge page, or at a misaligned address, is EINVAL and installs nothing', () => {
    const { sim, hva, uffd } = hugeRegistered();
    accessBlocks(sim, VMM, hva + P);
    expectErrno(sim.uffdCopy(uffd, hva, P, 1).result, Errno.EINVAL);
    expectErrno(sim.uffdCopy(uffd, hva, (HUGE + 1) * P, 1).result, Errno.EINVAL);
    expectErrno(sim.uffdCopy(uffd, hva + P, HUGE * P, 1).result, Errno.EINVAL);
    expect(backing(sim, hva)).toBe('absent');
    expect(sim.isTaskBlocked(VMM)).toBe(true);
  });

  it('ZEROPAGE on hugetlbfs while a REMOVE event is pending is EAGAIN: mmap_changing is checked before the VMA kind (review C2)', () => {
    const sim = new KvmSim();
    const file = sim.createFile('hugetlb', 2 * HUGE, HUGE);
    const hva = sim.mmapFile(file, 2 * HUGE);
    const uffd = sim.userfaultfd(UFFD_FEATURE_EVENT_REMOVE);
    expectOk(sim.uffdRegister(uffd, hva, 2 * HUGE * P, MISSING));
    expect(dontneed(sim, VMM2, hva + HUGE * P, HUGE * P).kind).toBe('blocked');
    expectErrno(sim.uffdZeropage(uffd, hva, HUGE * P).result, Errno.EAGAIN);
  });

  it('ZEROPAGE is EINVAL on hugetlbfs, even for a whole aligned huge page', () => {
    const { sim, hva, uffd } = hugeRegistered();
    accessBlocks(sim, VMM, hva);
    expectErrno(sim.uffdZeropage(uffd, hva, HUGE * P).result, Errno.EINVAL);
    expect(backing(sim, hva)).toBe('absent');
    expect(sim.isTaskBlocked(VMM)).toBe(true);
  });

  it('COPY of a whole aligned huge page installs every base page and wakes a waiter on any of them', () => {
    const { sim, hva, uffd } = hugeRegistered();
    accessBlocks(sim, VMM, hva + HUGE * P + 3 * P);
    expectFault(sim, uffd, hva + HUGE * P);
    const r = sim.uffdCopy(uffd, hva + HUGE * P, HUGE * P, [1, 2, 3, 4]);
    expectOk(r.result);
    expect(r.copy).toBe(HUGE * P);
    expect([0, 1, 2, 3].map((i) => mapped(sim, hva + (HUGE + i) * P))).toEqual([1, 2, 3, 4]);
    expect(mapped(sim, hva)).toBe('unmapped');
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(access(sim, VMM, hva + HUGE * P + 3 * P)).toBe(4);
  });

  it('COPY of a huge page that is present is EEXIST', () => {
    const { sim, hva, uffd } = hugeRegistered();
    expectOk(sim.uffdCopy(uffd, hva, HUGE * P, 1).result);
    expectErrno(sim.uffdCopy(uffd, hva, HUGE * P, 2).result, Errno.EEXIST);
    expect(mapped(sim, hva + P)).toBe(1);
  });
});

describe('close(uffd)', () => {
  it('wakes every waiter (read or not), and the anonymous range then behaves as ordinary memory (zero pages)', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    accessBlocks(sim, VMM, hva);
    accessBlocks(sim, VMM2, hva + P);
    expectFault(sim, uffd, hva);
    expectOk(sim.close(uffd));
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(sim.isTaskBlocked(VMM2)).toBe(false);
    expect(access(sim, VMM, hva)).toBe(0);
    expect(access(sim, VMM2, hva + P, 5)).toBe(5);
  });

  it('wakes a vCPU sleeping in a stage-2 fault, which then maps a zero page', () => {
    const sim = new KvmSim({ programs: [[{ kind: 'read', gfn: 0 }]] });
    const hva = sim.mmapAnonymous(1);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, P, MISSING));
    expectOk(sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: P, userspace_addr: hva }));
    expect(sim.runUntilExit(0).kind).toBe('blocked');
    expectOk(sim.close(uffd));
    const r = sim.runUntilExit(0);
    expect(r.kind === 'exit' && r.run.exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess).toEqual({ gfn: 0, write: false, value: 0 });
  });

  it('unregisters the range: a new uffd may register it (no EBUSY)', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    expectOk(sim.close(uffd));
    const next = sim.userfaultfd();
    expect(next).not.toBe(uffd);
    expectOk(sim.uffdRegister(next, hva, P, MISSING));
    accessBlocks(sim, VMM, hva);
    expectFault(sim, next, hva);
  });

  it('after close, a MINOR-registered shmem page maps its page-cache content without a fault', () => {
    const { sim, hva } = shmemMapped(1, [5]);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('done');
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, P, MINOR));
    accessBlocks(sim, VMM, hva);
    expectOk(sim.close(uffd));
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(access(sim, VMM, hva)).toBe(5);
  });

  it('while the uffd stays open and nobody serves it, the faulting thread stays asleep', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    accessBlocks(sim, VMM, hva);
    expectFault(sim, uffd, hva);
    // Unrelated activity does not wake it.
    const other = sim.mmapAnonymous(1);
    access(sim, VMM2, other, 1);
    expectNoMessage(sim, uffd);
    expect(sim.isTaskBlocked(VMM)).toBe(true);
  });
});

describe('REMOVE events and installs', () => {
  it('while a REMOVE event is pending, COPY / ZEROPAGE / CONTINUE are EAGAIN and do nothing; once it is read and its caller has run, they work', () => {
    const sim = new KvmSim();
    const anon = sim.mmapAnonymous(2);
    const shmFile = sim.createFile('shmem', 1);
    const shm = sim.mmapFile(shmFile, 1);
    access(sim, VMM, shm, 5);
    expect(dontneed(sim, VMM, shm, P).kind).toBe('done'); // unmapped, still in the page cache
    access(sim, VMM, anon + P, 1);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, anon, 2 * P, MISSING));
    expectOk(sim.uffdRegister(uffd, shm, P, MINOR));
    accessBlocks(sim, VMM, anon);
    expect(dontneed(sim, VMM2, anon + P, P).kind).toBe('blocked');

    const copy = sim.uffdCopy(uffd, anon, P, 3);
    expectErrno(copy.result, Errno.EAGAIN);
    expect(copy.copy).toBe(-Errno.EAGAIN);
    expectErrno(sim.uffdZeropage(uffd, anon, P).result, Errno.EAGAIN);
    expectErrno(sim.uffdContinue(uffd, shm, P).result, Errno.EAGAIN);
    expect(mapped(sim, anon)).toBe('unmapped');
    expect(mapped(sim, shm)).toBe('unmapped');
    expect(sim.isTaskBlocked(VMM)).toBe(true);

    // Faults are read before events; the install still fails until the event itself is read.
    expectFault(sim, uffd, anon);
    expectErrno(sim.uffdCopy(uffd, anon, P, 3).result, Errno.EAGAIN);
    const ev = sim.uffdRead(uffd);
    expect(ev.msg).toEqual({ event: UFFD_EVENT_REMOVE, start: anon + P, end: anon + 2 * P });
    // Read, but mmap_changing is still raised until the madvise() caller runs (review V1).
    expectErrno(sim.uffdCopy(uffd, anon, P, 3).result, Errno.EAGAIN);
    expectErrno(sim.uffdContinue(uffd, shm, P).result, Errno.EAGAIN);
    expect(dontneed(sim, VMM2, anon + P, P).kind).toBe('resumed');
    expectOk(sim.uffdCopy(uffd, anon, P, 3).result);
    expectOk(sim.uffdContinue(uffd, shm, P).result);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(access(sim, VMM, anon)).toBe(3);
    expect(access(sim, VMM, shm)).toBe(5);
  });

  it('EAGAIN for a pending event is checked before EEXIST (the operation did nothing, retry later)', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    expectOk(sim.uffdCopy(uffd, hva, P, 1).result);
    expect(dontneed(sim, VMM, hva + P, P).kind).toBe('blocked');
    expectErrno(sim.uffdCopy(uffd, hva, P, 2).result, Errno.EAGAIN);
    expect(mapped(sim, hva)).toBe(1);
  });
});

describe('property: random userfaultfd sessions agree with a reference model of the rules', () => {
  type Op =
    | { kind: 'access'; task: number; page: number; write: boolean }
    | { kind: 'read' }
    | { kind: 'copy' | 'zero'; page: number; dontwake: boolean }
    | { kind: 'wake'; page: number }
    | { kind: 'dontneed'; task: number; page: number };

  const NPAGES = 3;
  const tasks = [VMM, VMM2, VMM3];
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('access' as const), task: fc.constantFrom(...tasks), page: fc.nat(NPAGES - 1), write: fc.boolean() }),
    fc.record({ kind: fc.constant('read' as const) }),
    fc.record({ kind: fc.constantFrom('copy' as const, 'zero' as const), page: fc.nat(NPAGES - 1), dontwake: fc.boolean() }),
    fc.record({ kind: fc.constant('wake' as const), page: fc.nat(NPAGES - 1) }),
    fc.record({ kind: fc.constant('dontneed' as const), task: fc.constantFrom(...tasks), page: fc.nat(NPAGES - 1) }),
  );

  it('sleep/wake, message order, EEXIST/EAGAIN and page contents match the reference model', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { sim, hva, uffd } = anonRegistered(NPAGES, MISSING);
        const addr = (page: number) => hva + page * P;
        // The reference model: what each page holds (undefined = not present), who sleeps on
        // which page, unread fault messages in order, unread REMOVE events, madvise callers.
        const page: (number | undefined)[] = new Array<number | undefined>(NPAGES).fill(undefined);
        const sleeping = new Map<number, number>();
        const unread: { task: number; page: number; write: boolean }[] = [];
        const events: { task: number; page: number }[] = [];
        const inMadvise = new Set<number>(); // waiting for its event to be read
        // Event read: the woken caller first drops mmap_changing (changing → false), then zaps.
        const zapDue = new Map<number, { page: number; changing: boolean }>();
        const mmapChanging = () => events.length > 0 || [...zapDue.values()].some((z) => z.changing);
        let next = 10;
        const busy = (t: number) => sleeping.has(t) || inMadvise.has(t);
        const wake = (p: number) => {
          for (let i = unread.length - 1; i >= 0; i--) if (unread[i]?.page === p) unread.splice(i, 1);
          for (const [t, q] of [...sleeping]) if (q === p) sleeping.delete(t);
        };

        for (const o of ops) {
          switch (o.kind) {
            case 'access': {
              if (busy(o.task) || zapDue.has(o.task)) break;
              const value = o.write ? 50 + o.page : undefined;
              const r = sim.userAccess(o.task, addr(o.page), value);
              const held = page[o.page];
              if (held === undefined) {
                expect(r.kind).toBe('blocked');
                sleeping.set(o.task, o.page);
                unread.push({ task: o.task, page: o.page, write: o.write });
              } else {
                expect(r.kind === 'done' && r.value).toBe(value ?? held);
                if (value !== undefined) page[o.page] = value;
              }
              break;
            }
            case 'read': {
              const r = sim.uffdRead(uffd);
              const fault = unread.shift();
              if (fault) {
                expect(r.msg).toEqual({ event: UFFD_EVENT_PAGEFAULT, address: addr(fault.page), flags: fault.write ? UFFD_PAGEFAULT_FLAG_WRITE : 0 });
                break;
              }
              const ev = events.shift();
              if (ev) {
                expect(r.msg).toEqual({ event: UFFD_EVENT_REMOVE, start: addr(ev.page), end: addr(ev.page) + P });
                inMadvise.delete(ev.task);
                zapDue.set(ev.task, { page: ev.page, changing: true });
                break;
              }
              expectErrno(r.result, Errno.EAGAIN);
              break;
            }
            case 'copy':
            case 'zero': {
              const mode = o.dontwake ? UFFDIO_COPY_MODE_DONTWAKE : 0;
              const content = o.kind === 'copy' ? next++ : 0;
              const r = o.kind === 'copy' ? sim.uffdCopy(uffd, addr(o.page), P, content, mode) : sim.uffdZeropage(uffd, addr(o.page), P, mode);
              if (mmapChanging()) expectErrno(r.result, Errno.EAGAIN);
              else if (page[o.page] !== undefined) expectErrno(r.result, Errno.EEXIST);
              else {
                expectOk(r.result);
                page[o.page] = content;
                if (!o.dontwake) wake(o.page);
              }
              break;
            }
            case 'wake':
              expectOk(sim.uffdWake(uffd, addr(o.page), P));
              wake(o.page);
              break;
            case 'dontneed': {
              if (busy(o.task)) break;
              const due = zapDue.get(o.task);
              const p = due?.page ?? o.page;
              const r = dontneed(sim, o.task, addr(p), P);
              if (due === undefined) {
                expect(r.kind).toBe('blocked');
                events.push({ task: o.task, page: p });
                inMadvise.add(o.task);
              } else if (due.changing) {
                expect(r.kind).toBe('resumed');
                zapDue.set(o.task, { page: p, changing: false });
              } else {
                expect(r.kind === 'done' && r.result.ret).toBe(0);
                zapDue.delete(o.task);
                page[p] = undefined;
              }
              break;
            }
          }
          // After every step the simulation agrees with the model.
          for (let p = 0; p < NPAGES; p++) expect(mapped(sim, addr(p))).toBe(page[p] ?? 'unmapped');
          for (const t of tasks) expect(sim.isTaskBlocked(t)).toBe(busy(t));
          expect(sim.uffdPoll(uffd)).toBe(unread.length + events.length > 0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('property: hugetlbfs pages are never half-populated', () => {
  const HUGE = 4;
  const NHUGE = 2;
  type Op =
    | { kind: 'access'; task: number; page: number; write: boolean }
    | { kind: 'read' }
    | { kind: 'copy' | 'continue' | 'wake' | 'dontneed'; huge: number; dontwake: boolean };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('access' as const), task: fc.constantFrom(VMM, VMM2, VMM3), page: fc.nat(HUGE * NHUGE - 1), write: fc.boolean() }),
    fc.record({ kind: fc.constant('read' as const) }),
    fc.record({ kind: fc.constantFrom('copy' as const, 'continue' as const, 'wake' as const, 'dontneed' as const), huge: fc.nat(NHUGE - 1), dontwake: fc.boolean() }),
  );

  it('whatever the interleaving, each huge page is mapped whole or not at all, and messages are huge-page aligned', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const sim = new KvmSim();
        const file = sim.createFile('hugetlb', HUGE * NHUGE, HUGE);
        const hva = sim.mmapFile(file, HUGE * NHUGE);
        const uffd = sim.userfaultfd(0);
        expectOk(sim.uffdRegister(uffd, hva, HUGE * NHUGE * P, MISSING | MINOR));
        let next = 1;
        for (const o of ops) {
          if (o.kind === 'access') {
            if (!sim.isTaskBlocked(o.task)) sim.userAccess(o.task, hva + o.page * P + 8, o.write ? 100 : undefined);
          } else if (o.kind === 'read') {
            const r = sim.uffdRead(uffd);
            if (r.msg?.event === UFFD_EVENT_PAGEFAULT) expect((r.msg.address - hva) % (HUGE * P)).toBe(0);
          } else {
            const start = hva + o.huge * HUGE * P;
            const mode = o.dontwake ? UFFDIO_COPY_MODE_DONTWAKE : 0;
            if (o.kind === 'copy') {
              const c = next++;
              const r = sim.uffdCopy(uffd, start, HUGE * P, c, mode);
              if (r.result.ret === 0) for (let i = 0; i < HUGE; i++) expect(mapped(sim, start + i * P)).toBe(c);
            } else if (o.kind === 'continue') sim.uffdContinue(uffd, start, HUGE * P, mode);
            else if (o.kind === 'wake') expectOk(sim.uffdWake(uffd, start, HUGE * P));
            else expect(dontneed(sim, VMM3, start, HUGE * P).kind).toBe('done');
          }
          for (let h = 0; h < NHUGE; h++) {
            const base = hva + h * HUGE * P;
            const m = [...Array(HUGE).keys()].map((i) => mapped(sim, base + i * P) === 'unmapped');
            const b = [...Array(HUGE).keys()].map((i) => backing(sim, base + i * P) === 'absent');
            expect(new Set(m).size).toBe(1);
            expect(new Set(b).size).toBe(1);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
