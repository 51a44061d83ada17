/**
 * pwrite(2) into the file behind a shared mapping (the memfd of shmem guest memory): it
 * fills the page cache without touching the mapping, so no userfaultfd fault is raised —
 * what a MINOR-mode handler does before UFFDIO_CONTINUE maps the page. hugetlbfs has no
 * write(2) (hugetlbfs_file_operations has no write_iter: EINVAL); anonymous memory has no
 * file (EBADF); guest_memfd has its own write() (guest-memfd.ts).
 */
import { Errno, PAGE_SIZE, fail, ok, type SysResult } from '../kvm/uapi.ts';
import { fileAt, findVma, type MmState, type Vma } from './host-memory.ts';
import { replaceAt } from './immutable.ts';

/** Write `content` into the page cache page that `hva`'s mapping shows, whether or not it is there yet. */
export function pageCacheWrite(mm: MmState, hva: number, content: number): { mm: MmState; result: SysResult } {
  const vi = findVma(mm, hva);
  if (vi < 0) return { mm, result: fail(Errno.EFAULT) };
  const v = mm.vmas[vi] as Vma;
  const f = fileAt(mm, v.file);
  if (f.kind === 'anon') return { mm, result: fail(Errno.EBADF) };
  if (f.kind !== 'shmem') return { mm, result: fail(Errno.EINVAL) };
  const page = v.fileOffset + Math.floor((hva - v.start) / PAGE_SIZE);
  return { mm: { ...mm, files: replaceAt(mm.files, v.file, { ...f, pages: replaceAt(f.pages, page, content) }) }, result: ok(PAGE_SIZE) };
}
