/**
 * Host memory: content versions per page, backed by anonymous memory, shmem, hugetlbfs or
 * guest_memfd (shared/reference/userfaultfd-and-vmms.md; kvm-userfault.md §3, §7).
 */
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import { Errno, UFFDIO_REGISTER_MODE_MINOR, UFFDIO_REGISTER_MODE_MISSING } from '../../src/kvm/uapi.ts';
import { readBitmapBit, readBytes, storeBitmapBit } from '../../src/mm/data-memory.ts';
import { GUEST_MEMFD_FLAG_MMAP } from '../../src/mm/guest-memfd.ts';
import { access, accessBlocks, backing, dontneed, expectErrno, expectOk, mapped, P, shmemMapped, VMM, VMM2 } from './fixtures.ts';

describe('anonymous memory', () => {
  it('an untouched page is not mapped, and reads as zero when no uffd is registered', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(2);
    expect(mapped(sim, hva)).toBe('unmapped');
    expect(backing(sim, hva)).toBe('absent');
    expect(access(sim, VMM, hva)).toBe(0);
    expect(mapped(sim, hva)).toBe(0);
    // Only the touched page was faulted in.
    expect(mapped(sim, hva + P)).toBe('unmapped');
    expect(sim.isTaskBlocked(VMM)).toBe(false);
  });

  it('an access anywhere inside a page touches that page (addresses need not be aligned)', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(2);
    access(sim, VMM, hva + P + 123, 5);
    expect(mapped(sim, hva)).toBe('unmapped');
    expect(mapped(sim, hva + P)).toBe(5);
    expect(access(sim, VMM2, hva + P + 4000)).toBe(5);
  });

  it('a write stores a content version that later reads (from any thread) return', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(1);
    expect(access(sim, VMM, hva, 3)).toBe(3);
    expect(access(sim, VMM2, hva)).toBe(3);
    access(sim, VMM, hva, 4);
    expect(access(sim, VMM2, hva)).toBe(4);
  });

  it('two anonymous mappings are private: a write to one is not seen through the other', () => {
    const sim = new KvmSim();
    const a = sim.mmapAnonymous(1);
    const b = sim.mmapAnonymous(1);
    expect(a).not.toBe(b);
    access(sim, VMM, a, 7);
    expect(access(sim, VMM, b)).toBe(0);
  });

  it('an access outside every mapping fails (EFAULT / SIGSEGV), including the guard page after a mapping', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(2);
    const r = sim.userAccess(VMM, hva + 2 * P);
    expect(r.kind).toBe('done');
    if (r.kind === 'done') expectErrno(r.result, Errno.EFAULT);
    const below = sim.userAccess(VMM, hva - P);
    expect(below.kind === 'done' && below.result.errno).toBe(Errno.EFAULT);
  });

  it('MADV_DONTNEED drops an anonymous page: the next access reads zeros, not the old content', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(2);
    access(sim, VMM, hva, 9);
    access(sim, VMM, hva + P, 8);
    const r = dontneed(sim, VMM, hva, P);
    expect(r.kind).toBe('done');
    if (r.kind === 'done') expectOk(r.result);
    expect(mapped(sim, hva)).toBe('unmapped');
    expect(backing(sim, hva)).toBe('absent');
    expect(access(sim, VMM, hva)).toBe(0);
    // The page outside the range keeps its content.
    expect(mapped(sim, hva + P)).toBe(8);
  });

  it('after DONTNEED, a MISSING-registered anonymous page faults again instead of reading zeros', () => {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(1);
    access(sim, VMM, hva, 9);
    const uffd = sim.userfaultfd(0);
    expectOk(sim.uffdRegister(uffd, hva, P, UFFDIO_REGISTER_MODE_MISSING));
    expect(access(sim, VMM, hva)).toBe(9); // present: no fault
    expect(dontneed(sim, VMM, hva, P).kind).toBe('done');
    accessBlocks(sim, VMM2, hva);
  });
});

describe('shmem', () => {
  it('two mappings of one shmem file share its pages', () => {
    const sim = new KvmSim();
    const file = sim.createFile('shmem', 2);
    const a = sim.mmapFile(file, 2);
    const b = sim.mmapFile(file, 1, 1);
    access(sim, VMM, a + P, 6);
    expect(access(sim, VMM2, b)).toBe(6);
    expect(access(sim, VMM2, a)).toBe(0);
  });

  it('MADV_DONTNEED keeps the page-cache copy: the PTE goes, the next access maps the old content', () => {
    const { sim, hva } = shmemMapped(2, [5, 6]);
    const r = dontneed(sim, VMM, hva, 2 * P);
    expect(r.kind === 'done' && r.result.ret).toBe(0);
    expect(mapped(sim, hva)).toBe('unmapped');
    expect(mapped(sim, hva + P)).toBe('unmapped');
    expect(backing(sim, hva)).toBe(5);
    expect(access(sim, VMM, hva)).toBe(5);
    expect(mapped(sim, hva)).toBe(5);
    expect(access(sim, VMM, hva + P)).toBe(6);
  });

  it('after DONTNEED, a MINOR-registered shmem page raises a MINOR fault and CONTINUE maps the old content', () => {
    const { sim, hva } = shmemMapped(1, [5]);
    const uffd = sim.userfaultfd(0);
    expectOk(sim.uffdRegister(uffd, hva, P, UFFDIO_REGISTER_MODE_MINOR));
    expect(access(sim, VMM, hva)).toBe(5); // still mapped: no fault
    expect(dontneed(sim, VMM, hva, P).kind).toBe('done');
    accessBlocks(sim, VMM2, hva);
    expectOk(sim.uffdContinue(uffd, hva, P).result);
    expect(sim.isTaskBlocked(VMM2)).toBe(false);
    expect(access(sim, VMM2, hva)).toBe(5);
  });

  it('with only MISSING registered, DONTNEED of a shmem page does not fault: the page-cache copy is mapped', () => {
    const { sim, hva } = shmemMapped(1, [5]);
    const uffd = sim.userfaultfd(0);
    expectOk(sim.uffdRegister(uffd, hva, P, UFFDIO_REGISTER_MODE_MISSING));
    expect(dontneed(sim, VMM, hva, P).kind).toBe('done');
    expect(access(sim, VMM, hva)).toBe(5);
    expect(sim.uffdPoll(uffd)).toBe(false);
  });

  it('with only MINOR registered, a shmem page absent from the page cache is allocated zeroed without a fault', () => {
    const { sim, hva } = shmemMapped(1);
    const uffd = sim.userfaultfd(0);
    expectOk(sim.uffdRegister(uffd, hva, P, UFFDIO_REGISTER_MODE_MINOR));
    expect(access(sim, VMM, hva)).toBe(0);
    expect(sim.uffdPoll(uffd)).toBe(false);
    expect(backing(sim, hva)).toBe(0);
  });
});

describe('hugetlbfs', () => {
  const HUGE = 4; // base pages per huge page

  it('a huge page is faulted in whole: touching one base page maps all of its base pages, and only those', () => {
    const sim = new KvmSim();
    const file = sim.createFile('hugetlb', 2 * HUGE, HUGE);
    const hva = sim.mmapFile(file, 2 * HUGE);
    expect(hva % (HUGE * P)).toBe(0);
    access(sim, VMM, hva + 2 * P + 17, 3);
    expect(mapped(sim, hva)).toBe(0);
    expect(mapped(sim, hva + P)).toBe(0);
    expect(mapped(sim, hva + 2 * P)).toBe(3);
    expect(mapped(sim, hva + 3 * P)).toBe(0);
    expect(mapped(sim, hva + HUGE * P)).toBe('unmapped');
    expect(backing(sim, hva + HUGE * P)).toBe('absent');
  });

  it('DONTNEED of part of a huge page is EINVAL and changes nothing', () => {
    const sim = new KvmSim();
    const file = sim.createFile('hugetlb', HUGE, HUGE);
    const hva = sim.mmapFile(file, HUGE);
    access(sim, VMM, hva, 3);
    for (const [start, len] of [
      [hva, P],
      [hva + P, (HUGE - 1) * P],
    ] as const) {
      const r = dontneed(sim, VMM, start, len);
      expect(r.kind).toBe('done');
      if (r.kind === 'done') expectErrno(r.result, Errno.EINVAL);
      expect(mapped(sim, hva)).toBe(3);
      expect(mapped(sim, hva + (HUGE - 1) * P)).toBe(0);
    }
  });

  it('DONTNEED of a whole huge page unmaps all of it and keeps the hugetlbfs page-cache copy', () => {
    const sim = new KvmSim();
    const file = sim.createFile('hugetlb', HUGE, HUGE);
    const hva = sim.mmapFile(file, HUGE);
    access(sim, VMM, hva + P, 3);
    const r = dontneed(sim, VMM, hva, HUGE * P);
    expect(r.kind === 'done' && r.result.ret).toBe(0);
    for (let i = 0; i < HUGE; i++) expect(mapped(sim, hva + i * P)).toBe('unmapped');
    expect(backing(sim, hva + P)).toBe(3);
    expect(access(sim, VMM, hva)).toBe(0);
    expect(mapped(sim, hva + P)).toBe(3);
  });

  it('a hugetlbfs mapping is placed huge-page aligned even after a base-page mapping', () => {
    const sim = new KvmSim();
    sim.mmapAnonymous(1);
    const file = sim.createFile('hugetlb', HUGE, HUGE);
    const hva = sim.mmapFile(file, HUGE);
    expect(hva % (HUGE * P)).toBe(0);
  });
});

describe('guest_memfd write()', () => {
  function gmemSim(pages: number, flags = 0, gmemWrite: 'enospc' | 'overwrite' = 'enospc'): { sim: KvmSim; fd: number } {
    const sim = new KvmSim({ privateMem: true, variant: { gmemWrite } });
    const r = sim.createGuestMemfd(pages * P, flags);
    expect(r.ret).toBeGreaterThanOrEqual(0);
    return { sim, fd: r.ret };
  }

  it('write() populates an absent page and returns the bytes written', () => {
    const { sim, fd } = gmemSim(2, GUEST_MEMFD_FLAG_MMAP);
    expectOk(sim.gmemWrite(fd, P, 4), P);
    const hva = sim.mmapGuestMemfd(fd, 2);
    expect(access(sim, VMM, hva + P)).toBe(4);
    // The other page was not populated by the write: it is allocated zeroed on first touch.
    expect(backing(sim, hva)).toBe('absent');
  });

  it('v1–v5 (default): write() of a page already present is ENOSPC and keeps the existing content (kvm_gmem_write: folio uptodate)', () => {
    const { sim, fd } = gmemSim(1, GUEST_MEMFD_FLAG_MMAP);
    expectOk(sim.gmemWrite(fd, 0, 4), P);
    expectErrno(sim.gmemWrite(fd, 0, 5), Errno.ENOSPC);
    const hva = sim.mmapGuestMemfd(fd, 1);
    expect(access(sim, VMM, hva)).toBe(4);
  });

  it('v1–v5: write() of a page that an access already allocated (zeroed, uptodate) is ENOSPC', () => {
    const { sim, fd } = gmemSim(1, GUEST_MEMFD_FLAG_MMAP);
    const hva = sim.mmapGuestMemfd(fd, 1);
    expect(access(sim, VMM, hva)).toBe(0);
    expectErrno(sim.gmemWrite(fd, 0, 5), Errno.ENOSPC);
    expect(access(sim, VMM, hva)).toBe(0);
  });

  it('v6: write() of a page already present overwrites it (no uptodate check in write_begin)', () => {
    const { sim, fd } = gmemSim(1, GUEST_MEMFD_FLAG_MMAP, 'overwrite');
    expectOk(sim.gmemWrite(fd, 0, 4), P);
    expectOk(sim.gmemWrite(fd, 0, 5), P);
    const hva = sim.mmapGuestMemfd(fd, 1);
    expect(access(sim, VMM, hva)).toBe(5);
    expectOk(sim.gmemWrite(fd, 0, 6), P);
    expect(access(sim, VMM, hva)).toBe(6);
  });

  it('write() on a descriptor that is not a guest_memfd is EBADF (a userfaultfd, an unused fd)', () => {
    const { sim } = gmemSim(1);
    const uffd = sim.userfaultfd();
    expectErrno(sim.gmemWrite(uffd, 0, 1), Errno.EBADF);
    expectErrno(sim.gmemWrite(99, 0, 1), Errno.EBADF);
  });

  it('write() at an unaligned offset or past the end of the file is EINVAL', () => {
    const { sim, fd } = gmemSim(1);
    expectErrno(sim.gmemWrite(fd, 100, 1), Errno.EINVAL);
    expectErrno(sim.gmemWrite(fd, P, 1), Errno.EINVAL);
    expectOk(sim.gmemWrite(fd, 0, 1), P);
  });

  it('write() on a closed guest_memfd is EBADF', () => {
    const { sim, fd } = gmemSim(1);
    expectOk(sim.close(fd));
    expectErrno(sim.gmemWrite(fd, 0, 1), Errno.EBADF);
    expectErrno(sim.close(fd), Errno.EBADF);
  });
});

describe('VMM data memory (where userfault bitmaps live)', () => {
  it('a fresh data region reads as zero bytes; an address outside it is unmapped (get_user fails)', () => {
    const sim = new KvmSim();
    const base = sim.mmapData(16);
    expect(readBytes(sim.state.mm, base, 16)).toEqual(new Array<number>(16).fill(0));
    // The region is a whole page; past it is the guard page.
    expect(readBytes(sim.state.mm, base + P - 8, 8)).toEqual(new Array<number>(8).fill(0));
    expect(readBytes(sim.state.mm, base + P - 4, 8)).toBeUndefined();
    expect(readBytes(sim.state.mm, base - 1, 1)).toBeUndefined();
  });

  it('bitmap bits are little-endian within each byte and long, as a Linux unsigned long bitmap', () => {
    const sim = new KvmSim();
    const base = sim.mmapData(16);
    let mm = storeBitmapBit(sim.state.mm, base, 0, true);
    mm = mm && storeBitmapBit(mm, base, 9, true);
    mm = mm && storeBitmapBit(mm, base, 64 + 7, true);
    expect(mm).toBeDefined();
    if (!mm) return;
    expect(readBytes(mm, base, 16)).toEqual([0x01, 0x02, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    expect([0, 1, 8, 9, 71, 72].map((i) => readBitmapBit(mm, base, i))).toEqual([true, false, false, true, true, false]);
    const cleared = storeBitmapBit(mm, base, 9, false);
    expect(cleared && readBitmapBit(cleared, base, 9)).toBe(false);
    expect(cleared && readBitmapBit(cleared, base, 0)).toBe(true);
  });

  it('a bitmap read fetches the whole unsigned long: it faults if any byte of that long is unmapped', () => {
    const sim = new KvmSim();
    const base = sim.mmapData(P);
    // A bitmap whose second long would start 4 bytes before the end of the region.
    const bitmap = base + P - 12;
    expect(readBitmapBit(sim.state.mm, bitmap, 0)).toBe(false);
    expect(readBitmapBit(sim.state.mm, bitmap, 64)).toBeUndefined();
    expect(storeBitmapBit(sim.state.mm, base + P, 0, true)).toBeUndefined();
  });
});
