/**
 * madvise(MADV_DONTNEED): the zap, the userfaultfd REMOVE event handshake (userfaultfd_remove:
 * the caller sleeps until the event is read, installs meanwhile are EAGAIN), and the MMU
 * notifier that zaps stage 2 (shared/reference/userfaultfd-and-vmms.md; kvm-userfault.md §3).
 */
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import {
  Errno,
  KVM_EXIT_HLT,
  MADV_DONTNEED,
  MADV_POPULATE_WRITE,
  UFFDIO_REGISTER_MODE_MINOR,
  UFFDIO_REGISTER_MODE_MISSING,
  UFFD_EVENT_PAGEFAULT,
  UFFD_EVENT_REMOVE,
  UFFD_PAGEFAULT_FLAG_MINOR,
  UFFD_PAGEFAULT_FLAG_WRITE,
} from '../../src/kvm/uapi.ts';
import { hostPteReadOnly } from '../../src/mm/host-fault.ts';
import { access, accessBlocks, anonRegistered, backing, dontneed, expectErrno, expectOk, mapped, P, shmemMapped, VMM, VMM2 } from './fixtures.ts';

const MISSING = UFFDIO_REGISTER_MODE_MISSING;
const MINOR = UFFDIO_REGISTER_MODE_MINOR;

/** The woken caller's next two calls: it drops mmap_changing, then it zaps. */
function resumeThenZap(sim: KvmSim, task: number, start: number, len: number): void {
  expect(dontneed(sim, task, start, len).kind).toBe('resumed');
  expectDone(dontneed(sim, task, start, len));
}

function expectDone(r: ReturnType<typeof dontneed>, errno = 0): void {
  expect(r.kind).toBe('done');
  if (r.kind !== 'done') return;
  if (errno === 0) expectOk(r.result);
  else expect(r.result).toEqual({ ret: -1, errno });
}

describe('madvise argument checks', () => {
  it('an unaligned start is EINVAL and zaps nothing', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(2);
    access(sim, VMM, hva, 1);
    expectDone(dontneed(sim, VMM, hva + 1, P), Errno.EINVAL);
    expect(mapped(sim, hva)).toBe(1);
  });

  it('the length is rounded up to whole pages; a zero length does nothing', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(3);
    [1, 2, 3].forEach((v, i) => access(sim, VMM, hva + i * P, v));
    expectDone(dontneed(sim, VMM, hva, 0));
    expect(mapped(sim, hva)).toBe(1);
    expectDone(dontneed(sim, VMM, hva, P + 1));
    expect([0, 1, 2].map((i) => mapped(sim, hva + i * P))).toEqual(['unmapped', 'unmapped', 3]);
  });

  it('a range that is not (entirely) mapped is ENOMEM', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(1);
    expectDone(dontneed(sim, VMM, hva + 4 * P, P), Errno.ENOMEM);
    expectDone(dontneed(sim, VMM, hva, 2 * P), Errno.ENOMEM); // runs into the guard page
  });

  it('an advice other than MADV_DONTNEED is EINVAL (not modelled)', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(1);
    access(sim, VMM, hva, 1);
    const r = sim.madvise(VMM, hva, P, MADV_DONTNEED + 1);
    expect(r.kind === 'done' && r.result.errno).toBe(Errno.EINVAL);
    expect(mapped(sim, hva)).toBe(1);
  });
});

describe('DONTNEED on a userfaultfd-registered range (UFFD_FEATURE_EVENT_REMOVE, the default)', () => {
  it('queues a REMOVE event and blocks the caller until it is read; nothing is zapped before that', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    expectOk(sim.uffdCopy(uffd, hva, 2 * P, [4, 5]).result);
    expect(dontneed(sim, VMM, hva, 2 * P).kind).toBe('blocked');
    expect(sim.isTaskBlocked(VMM)).toBe(true);
    expect(sim.uffdPoll(uffd)).toBe(true);
    expect(mapped(sim, hva)).toBe(4);
    expect(mapped(sim, hva + P)).toBe(5);

    const r = sim.uffdRead(uffd);
    expect(r.result.ret).toBeGreaterThan(0);
    expect(r.msg).toEqual({ event: UFFD_EVENT_REMOVE, start: hva, end: hva + 2 * P });
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(sim.uffdPoll(uffd)).toBe(false);
    // Reading the event does not zap: the caller's re-issued madvise does, after it has
    // dropped mmap_changing.
    expect(mapped(sim, hva)).toBe(4);
    expect(dontneed(sim, VMM, hva, 2 * P).kind).toBe('resumed');
    expect(mapped(sim, hva)).toBe(4);
    expectDone(dontneed(sim, VMM, hva, 2 * P));
    expect(mapped(sim, hva)).toBe('unmapped');
    expect(backing(sim, hva + P)).toBe('absent');
    // The handshake is over: nothing else is queued.
    expectErrno(sim.uffdRead(uffd).result, Errno.EAGAIN);
  });

  it('afterwards the anonymous page must be refilled: the next access faults MISSING again, and ZEROPAGE gives zeros', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    expectOk(sim.uffdCopy(uffd, hva, P, 4).result);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('blocked');
    expect(sim.uffdRead(uffd).msg?.event).toBe(UFFD_EVENT_REMOVE);
    resumeThenZap(sim, VMM, hva, P);

    accessBlocks(sim, VMM2, hva);
    expect(sim.uffdRead(uffd).msg).toEqual({ event: UFFD_EVENT_PAGEFAULT, address: hva, flags: 0 });
    expectOk(sim.uffdZeropage(uffd, hva, P).result);
    expect(sim.isTaskBlocked(VMM2)).toBe(false);
    expect(access(sim, VMM2, hva)).toBe(0); // zeros, not the old content 4
  });

  it('mmap_changing outlives the read: fills stay EAGAIN until the woken caller has run, with nothing left to read', () => {
    // userfaultfd_event_complete only wakes the caller; userfaultfd_event_wait_completion
    // drops mmap_changing when the caller runs (review V1).
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    expect(dontneed(sim, VMM, hva + P, P).kind).toBe('blocked');
    expect(sim.uffdRead(uffd).msg?.event).toBe(UFFD_EVENT_REMOVE);
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(sim.uffdPoll(uffd)).toBe(false);
    expectErrno(sim.uffdRead(uffd).result, Errno.EAGAIN);
    expectErrno(sim.uffdCopy(uffd, hva, P, 1).result, Errno.EAGAIN);
    expectErrno(sim.uffdZeropage(uffd, hva, P).result, Errno.EAGAIN);
    expect(dontneed(sim, VMM, hva + P, P).kind).toBe('resumed');
    expectOk(sim.uffdCopy(uffd, hva, P, 1).result);
  });

  it('race: a COPY between the caller dropping mmap_changing and its zap succeeds, and is then zapped', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('blocked');
    expect(sim.uffdRead(uffd).msg?.event).toBe(UFFD_EVENT_REMOVE);
    expectErrno(sim.uffdCopy(uffd, hva, P, 7).result, Errno.EAGAIN);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('resumed');
    // mmap_changing is over: the install is allowed again...
    expectOk(sim.uffdCopy(uffd, hva, P, 7).result);
    expect(mapped(sim, hva)).toBe(7);
    // ...and the madvise caller, resuming, zaps it.
    expectDone(dontneed(sim, VMM, hva, P));
    expect(mapped(sim, hva)).toBe('unmapped');
    expect(backing(sim, hva)).toBe('absent');
    accessBlocks(sim, VMM2, hva);
  });

  it('a pending fault is read before the REMOVE event, and an install stays EAGAIN until the event is read', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    accessBlocks(sim, VMM2, hva);
    expect(dontneed(sim, VMM, hva + P, P).kind).toBe('blocked');
    expect(sim.uffdRead(uffd).msg).toEqual({ event: UFFD_EVENT_PAGEFAULT, address: hva, flags: 0 });
    expectErrno(sim.uffdCopy(uffd, hva, P, 1).result, Errno.EAGAIN);
    expect(sim.isTaskBlocked(VMM2)).toBe(true);
    expect(sim.uffdRead(uffd).msg).toEqual({ event: UFFD_EVENT_REMOVE, start: hva + P, end: hva + 2 * P });
    expectErrno(sim.uffdCopy(uffd, hva, P, 1).result, Errno.EAGAIN);
    expect(dontneed(sim, VMM, hva + P, P).kind).toBe('resumed');
    expectOk(sim.uffdCopy(uffd, hva, P, 1).result);
    expect(sim.isTaskBlocked(VMM2)).toBe(false);
  });

  it('a MINOR-only registration also gets the REMOVE event; after the zap a shmem page raises a MINOR fault', () => {
    const { sim, hva } = shmemMapped(1, [5]);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, P, MINOR));
    expect(dontneed(sim, VMM, hva, P).kind).toBe('blocked');
    expect(sim.uffdRead(uffd).msg).toEqual({ event: UFFD_EVENT_REMOVE, start: hva, end: hva + P });
    resumeThenZap(sim, VMM, hva, P);
    expect(mapped(sim, hva)).toBe('unmapped');
    expect(backing(sim, hva)).toBe(5);
    accessBlocks(sim, VMM2, hva);
    expect(sim.uffdRead(uffd).msg).toEqual({ event: UFFD_EVENT_PAGEFAULT, address: hva, flags: UFFD_PAGEFAULT_FLAG_MINOR });
  });

  it('a range not registered with any uffd is zapped at once even when another range is registered', () => {
    const { sim, uffd } = anonRegistered(1, MISSING);
    const plain = sim.mmapAnonymous(1);
    access(sim, VMM, plain, 3);
    expectDone(dontneed(sim, VMM, plain, P));
    expect(mapped(sim, plain)).toBe('unmapped');
    expect(sim.uffdPoll(uffd)).toBe(false);
  });
});

describe('DONTNEED without UFFD_FEATURE_EVENT_REMOVE', () => {
  it('zaps immediately: no event, the caller never blocks, the page faults MISSING again', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING, 0);
    expectOk(sim.uffdCopy(uffd, hva, P, 4).result);
    expectDone(dontneed(sim, VMM, hva, P));
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    expect(sim.uffdPoll(uffd)).toBe(false);
    expectErrno(sim.uffdRead(uffd).result, Errno.EAGAIN);
    expect(mapped(sim, hva)).toBe('unmapped');
    // Installs are not held off either.
    accessBlocks(sim, VMM2, hva);
    expectOk(sim.uffdCopy(uffd, hva, P, 6).result);
    expect(access(sim, VMM2, hva)).toBe(6);
  });
});

describe('close(uffd) with a madvise waiting for its event', () => {
  it('the madvise goes on: the caller is woken, its re-issued call zaps, and the range reads zeros', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    expectOk(sim.uffdCopy(uffd, hva, P, 4).result);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('blocked');
    expectOk(sim.close(uffd));
    expect(sim.isTaskBlocked(VMM)).toBe(false);
    resumeThenZap(sim, VMM, hva, P);
    expect(mapped(sim, hva)).toBe('unmapped');
    expect(access(sim, VMM2, hva)).toBe(0);
  });

  it('the woken madvise zaps without asking again, even if a new uffd registered the range meanwhile', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    expectOk(sim.uffdCopy(uffd, hva, P, 4).result);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('blocked');
    expectOk(sim.close(uffd));
    const next = sim.userfaultfd();
    expectOk(sim.uffdRegister(next, hva, P, MISSING));
    resumeThenZap(sim, VMM, hva, P);
    expect(sim.uffdPoll(next)).toBe(false);
    expect(mapped(sim, hva)).toBe('unmapped');
    // The new uffd now serves the range: the next access faults on it.
    accessBlocks(sim, VMM2, hva);
    expect(sim.uffdRead(next).msg).toEqual({ event: UFFD_EVENT_PAGEFAULT, address: hva, flags: 0 });
  });
});

describe('MMU notifier: a host zap reaches stage 2', () => {
  function mappedVm(npages: number): { sim: KvmSim; hva: number } {
    const sim = new KvmSim({ programs: [[{ kind: 'read', gfn: 0 }]] });
    const hva = sim.mmapAnonymous(npages);
    expectOk(sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: npages * P, userspace_addr: hva }));
    const r = sim.runUntilExit(0);
    expect(r.kind === 'exit' && r.run.exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.slot(0)?.spte[0]).toBeGreaterThan(0);
    return { sim, hva };
  }

  it('DONTNEED of a page that a memslot maps at stage 2 zaps that mapping', () => {
    const { sim, hva } = mappedVm(2);
    expectDone(dontneed(sim, VMM, hva, P));
    expect(sim.slot(0)?.spte[0]).toBe(0);
  });

  it('DONTNEED of another page of the slot leaves the stage-2 mapping alone', () => {
    const { sim, hva } = mappedVm(2);
    const before = sim.slot(0)?.spte[0];
    expectDone(dontneed(sim, VMM, hva + P, P));
    expect(sim.slot(0)?.spte[0]).toBe(before);
  });

  it('a failed DONTNEED (EINVAL) leaves stage 2 alone', () => {
    const { sim, hva } = mappedVm(1);
    expectDone(dontneed(sim, VMM, hva + 1, P), Errno.EINVAL);
    expect(sim.slot(0)?.spte[0]).toBeGreaterThan(0);
  });

  it('with a REMOVE event, stage 2 is zapped only when the zap happens (after the event is read)', () => {
    const { sim, hva } = mappedVm(1);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, P, MISSING));
    expect(dontneed(sim, VMM, hva, P).kind).toBe('blocked');
    expect(sim.slot(0)?.spte[0]).toBeGreaterThan(0);
    expect(sim.uffdRead(uffd).msg?.event).toBe(UFFD_EVENT_REMOVE);
    expect(sim.slot(0)?.spte[0]).toBeGreaterThan(0);
    expect(dontneed(sim, VMM, hva, P).kind).toBe('resumed');
    expect(sim.slot(0)?.spte[0]).toBeGreaterThan(0);
    expectDone(dontneed(sim, VMM, hva, P));
    expect(sim.slot(0)?.spte[0]).toBe(0);
  });

  it('after the zap the guest\'s next access faults again and sees the zero page of the dropped anonymous page', () => {
    const sim = new KvmSim({ programs: [[{ kind: 'read', gfn: 0 }], [{ kind: 'read', gfn: 0 }]] });
    const hva = sim.mmapAnonymous(1);
    access(sim, VMM, hva, 9);
    expectOk(sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: P, userspace_addr: hva }));
    sim.runUntilExit(0);
    expect(sim.vcpu(0).lastAccess?.value).toBe(9);
    expectDone(dontneed(sim, VMM, hva, P));
    expect(sim.slot(0)?.spte[0]).toBe(0);
    const r = sim.runUntilExit(1);
    expect(r.kind === 'exit' && r.run.exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(1).lastAccess?.value).toBe(0);
    expect(sim.slot(0)?.spte[0]).toBeGreaterThan(0);
  });
});

describe('the zero page and MADV_POPULATE_WRITE', () => {
  const readOnly = (sim: KvmSim, hva: number) => hostPteReadOnly(sim.state.mm, hva);
  const populateWrite = (sim: KvmSim, task: number, hva: number) => sim.madvise(task, hva, P, MADV_POPULATE_WRITE);

  it('a read fault on anonymous memory maps the zero page read-only; a write copies it (COW)', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(1);
    expect(access(sim, VMM, hva)).toBe(0);
    expect(readOnly(sim, hva)).toBe(true);
    expect(access(sim, VMM, hva, 3)).toBe(3);
    expect(readOnly(sim, hva)).toBe(false);
  });

  it('UFFDIO_ZEROPAGE maps the zero page on anonymous memory (COPY and shmem ZEROPAGE map writable)', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    expectOk(sim.uffdZeropage(uffd, hva, P).result);
    expectOk(sim.uffdCopy(uffd, hva + P, P, 4).result);
    expect(readOnly(sim, hva)).toBe(true);
    expect(readOnly(sim, hva + P)).toBe(false);
    const shm = shmemMapped(1);
    const suffd = shm.sim.userfaultfd();
    expectOk(shm.sim.uffdRegister(suffd, shm.hva, P, MISSING));
    expectOk(shm.sim.uffdZeropage(suffd, shm.hva, P).result);
    expect(readOnly(shm.sim, shm.hva)).toBe(false);
  });

  it('MADV_POPULATE_WRITE breaks the COW of a zero page, keeps the content, and is a no-op on a writable page', () => {
    const { sim, hva, uffd } = anonRegistered(2, MISSING);
    expectOk(sim.uffdZeropage(uffd, hva, P).result);
    expectOk(sim.uffdCopy(uffd, hva + P, P, 4).result);
    expectDone(populateWrite(sim, VMM, hva));
    expect(readOnly(sim, hva)).toBe(false);
    expect(mapped(sim, hva)).toBe(0);
    expectDone(populateWrite(sim, VMM, hva + P));
    expect(mapped(sim, hva + P)).toBe(4);
  });

  it('MADV_POPULATE_WRITE of a missing page in a MISSING range sleeps in the uffd like a write fault', () => {
    const { sim, hva, uffd } = anonRegistered(1, MISSING);
    expect(populateWrite(sim, VMM, hva).kind).toBe('blocked');
    expect(sim.uffdRead(uffd).msg).toEqual({ event: UFFD_EVENT_PAGEFAULT, address: hva, flags: UFFD_PAGEFAULT_FLAG_WRITE });
  });

  it('the COW replaces the PTE, so the MMU notifier zaps the stage-2 mapping of that page', () => {
    const sim = new KvmSim({ programs: [[{ kind: 'read', gfn: 0 }]] });
    const hva = sim.mmapAnonymous(1);
    expectOk(sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: P, userspace_addr: hva }));
    sim.runUntilExit(0);
    expect(readOnly(sim, hva)).toBe(true);
    expect(sim.slot(0)?.spte[0]).toBeGreaterThan(0);
    expectDone(populateWrite(sim, VMM, hva));
    expect(sim.slot(0)?.spte[0]).toBe(0);
  });
});
