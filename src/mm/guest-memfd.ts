/**
 * guest_memfd files: private guest memory with no userspace mapping unless created with
 * GUEST_MEMFD_FLAG_MMAP. Pages are populated by write() (on a page already present:
 * ENOSPC, or an overwrite, per kernel variant) or, on a KVM fault, allocated zeroed.
 */
import { Errno, PAGE_SIZE, fail, ok, type SysResult } from '../kvm/uapi.ts';
import { ABSENT, ZERO_CONTENT, fileAt, type MmState } from './host-memory.ts';
import { replaceAt } from './immutable.ts';

/**
 * What write() into a guest_memfd does on a page that is already populated (the unmerged
 * series "KVM: guest_memfd: add generic population via write"; review V2):
 * - `enospc` (v1–v5; default): the folio is uptodate, so the call does not repopulate it
 *   and fails with ENOSPC (v5: Message-ID 20250902111951.58315-2-kalyazin, the version
 *   the KVM Userfault v3 cover letter links as [4]). A folio KVM zero-filled on a fault,
 *   or that a user mapping faulted in, is uptodate too.
 * - `overwrite` (v6, Message-ID 20251020161352.69257-2-kalyazin): the uptodate check is
 *   gone (kvm_kmem_gmem_write_begin just gets the folio), so a second write() replaces
 *   the content: the VMM must deduplicate installs itself.
 * No posted version answers EEXIST.
 */
export type GmemWriteSemantics = 'enospc' | 'overwrite';

/** KVM_CREATE_GUEST_MEMFD flag: the file may be mmap()ed (shared, host-accessible memory). */
export const GUEST_MEMFD_FLAG_MMAP = 1 << 0;

export interface GuestMemfd {
  readonly fd: number;
  readonly file: number;
  readonly flags: number;
  readonly open: boolean;
}

/** The open guest_memfd behind `fd`, if any. */
export function gmemByFd(mm: MmState, fd: number): GuestMemfd | undefined {
  return mm.gmems.find((g) => g.fd === fd && g.open);
}

/** close(2): the file lives on while a VMA maps it (mmap holds a reference). */
export function gmemClose(mm: MmState, fd: number): { mm: MmState; result: SysResult } {
  const i = mm.gmems.findIndex((g) => g.fd === fd && g.open);
  if (i < 0) return { mm, result: fail(Errno.EBADF) };
  const g = mm.gmems[i] as GuestMemfd;
  return { mm: { ...mm, gmems: replaceAt(mm.gmems, i, { ...g, open: false }) }, result: ok() };
}

/**
 * Whether the guest_memfd file is released: no open descriptor and no mapping. Its last
 * release unbinds it from memslots (kvm_gmem_release), so KVM faults on it fail.
 */
export function gmemReleased(mm: MmState, file: number): boolean {
  return !mm.gmems.some((g) => g.file === file && g.open) && !mm.vmas.some((v) => v.file === file);
}

export function gmemCreate(mm: MmState, size: number, flags: number): { mm: MmState; result: SysResult } {
  if (size <= 0 || size % PAGE_SIZE !== 0 || (flags & ~GUEST_MEMFD_FLAG_MMAP) !== 0) return { mm, result: fail(Errno.EINVAL) };
  const fd = mm.nextFd;
  const file = mm.files.length;
  const pages = new Array<number>(size / PAGE_SIZE).fill(ABSENT);
  return {
    mm: {
      ...mm,
      files: [...mm.files, { kind: 'guest_memfd', pages, hostPagePages: 1 }],
      gmems: [...mm.gmems, { fd, file, flags, open: true }],
      nextFd: fd + 1,
    },
    result: ok(fd),
  };
}

/**
 * pwrite() into a guest_memfd: populate one page with `content`. On a page already
 * present (written before, or zero-filled by a KVM fault or a user access: an uptodate
 * folio) v1–v5 fail with ENOSPC and keep the content; v6 overwrites it (review V2).
 */
export function gmemWrite(
  mm: MmState,
  fd: number,
  offset: number,
  content: number,
  semantics: GmemWriteSemantics,
): { mm: MmState; result: SysResult } {
  const g = gmemByFd(mm, fd);
  if (!g) return { mm, result: fail(Errno.EBADF) };
  const f = fileAt(mm, g.file);
  if (offset % PAGE_SIZE !== 0 || offset < 0) return { mm, result: fail(Errno.EINVAL) };
  const page = offset / PAGE_SIZE;
  if (page >= f.pages.length) return { mm, result: fail(Errno.EINVAL) };
  // v1–v5 kvm_gmem_write: folio_test_uptodate → -ENOSPC ("will not repopulate it").
  if (f.pages[page] !== ABSENT && semantics === 'enospc') return { mm, result: fail(Errno.ENOSPC) };
  const files = replaceAt(mm.files, g.file, { ...f, pages: replaceAt(f.pages, page, content) });
  return { mm: { ...mm, files }, result: ok(PAGE_SIZE) };
}

/** kvm_gmem_get_pfn: the page at `page` of the file, allocated zeroed if absent. */
export function gmemGetPage(mm: MmState, file: number, page: number): { mm: MmState; content: number } {
  const f = fileAt(mm, file);
  const content = f.pages[page];
  if (content === undefined) throw new RangeError(`guest_memfd page ${page} out of range`);
  if (content !== ABSENT) return { mm, content };
  const files = replaceAt(mm.files, file, { ...f, pages: replaceAt(f.pages, page, ZERO_CONTENT) });
  return { mm: { ...mm, files }, content: ZERO_CONTENT };
}
