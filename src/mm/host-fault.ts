/**
 * A user or GUP access to a host virtual address: the page-fault path of the host MM,
 * including the hand-off to userfaultfd (handle_userfault).
 */
import { PAGE_SIZE, UFFDIO_REGISTER_MODE_MINOR, UFFDIO_REGISTER_MODE_MISSING, UFFD_PAGEFAULT_FLAG_MINOR, UFFD_PAGEFAULT_FLAG_WRITE } from '../kvm/uapi.ts';
import { ABSENT, ZERO_CONTENT, fileAt, findVma, vmaAt, type MemFile, type MmState, type Uffd, type Vma } from './host-memory.ts';
import { fillRange, replaceAt } from './immutable.ts';
import { thpFaultRange } from './thp-fault.ts';

export type HostAccess =
  /** The access happened; `content` is what was read (or written). */
  | { readonly kind: 'ok'; readonly mm: MmState; readonly content: number }
  /** The task now sleeps on a userfaultfd; its fault message is queued. */
  | { readonly kind: 'userfault'; readonly mm: MmState; readonly uffd: number; readonly address: number }
  /** No VMA there: a user access gets SIGSEGV, a kernel access (GUP, copy_from_user) -EFAULT. */
  | { readonly kind: 'efault' };

/** Index range of the host page (a whole huge page on hugetlbfs) holding file page `filePage`. */
export function hostPageRange(file: MemFile, filePage: number): { first: number; count: number } {
  const first = filePage - (filePage % file.hostPagePages);
  return { first, count: file.hostPagePages };
}

/**
 * Map the host page holding VMA page `index` (and populate it with zeros if absent). A
 * read fault on an absent anonymous page maps the shared zero page, read-only
 * (do_anonymous_page without FAULT_FLAG_WRITE).
 */
function faultInHostPage(mm: MmState, vmaIndex: number, index: number, write: boolean): MmState {
  const vma = vmaAt(mm, vmaIndex);
  const file = fileAt(mm, vma.file);
  const thp = thpFaultRange(vma, file, index, write);
  const { first, count } = thp ? { first: thp.first + vma.fileOffset, count: thp.count } : hostPageRange(file, vma.fileOffset + index);
  let pages = file.pages;
  const zero = file.kind === 'anon' && !write && pages[first] === ABSENT;
  if (thp) {
    for (let i = first; i < first + count; i++) if (pages[i] === ABSENT) pages = replaceAt(pages, i, ZERO_CONTENT);
  } else if (pages[first] === ABSENT) pages = fillRange(pages, first, count, ZERO_CONTENT);
  const newFile: MemFile = pages === file.pages ? file : { ...file, pages };
  const at = first - vma.fileOffset;
  const newVma: Vma = { ...vma, mapped: fillRange(vma.mapped, at, count, true), zeroPage: fillRange(vma.zeroPage, at, count, zero) };
  return { ...mm, files: replaceAt(mm.files, vma.file, newFile), vmas: replaceAt(mm.vmas, vmaIndex, newVma) };
}

/** Queue a page-fault message and put `task` to sleep on the uffd. */
export function raiseUserfault(mm: MmState, uffdIndex: number, task: number, address: number, flags: number): MmState {
  const uffd = mm.uffds[uffdIndex] as Uffd;
  const fault = { task, address, flags };
  return { ...mm, uffds: replaceAt(mm.uffds, uffdIndex, { ...uffd, pending: [...uffd.pending, fault] }) };
}

/**
 * Read (write when `write` is set, storing `value`) the page at `hva` on behalf of
 * `task`. A missing page in a MISSING-registered range, or a page-cache page not yet
 * mapped in a MINOR-registered range, puts the task to sleep on the userfaultfd.
 * A write with no `value` only faults the page in for writing (GUP with FOLL_WRITE).
 */
export function hostAccess(mm: MmState, task: number, hva: number, write: boolean, value?: number): HostAccess {
  const vi = findVma(mm, hva);
  if (vi < 0) return { kind: 'efault' };
  let vma = vmaAt(mm, vi);
  const index = Math.floor((hva - vma.start) / PAGE_SIZE);
  const file = fileAt(mm, vma.file);
  const filePage = vma.fileOffset + index;
  if (!vma.mapped[index]) {
    const present = file.pages[filePage] !== ABSENT;
    const mode = present && file.kind !== 'anon' ? UFFDIO_REGISTER_MODE_MINOR : UFFDIO_REGISTER_MODE_MISSING;
    if (vma.uffd >= 0 && (vma.uffdMode & mode) !== 0) {
      // The message carries the host-page-aligned address (huge-page aligned on hugetlbfs).
      const hostPageBytes = file.hostPagePages * PAGE_SIZE;
      const address = hva - ((hva - vma.start + vma.fileOffset * PAGE_SIZE) % hostPageBytes);
      const flags = (write ? UFFD_PAGEFAULT_FLAG_WRITE : 0) | (mode === UFFDIO_REGISTER_MODE_MINOR ? UFFD_PAGEFAULT_FLAG_MINOR : 0);
      return { kind: 'userfault', mm: raiseUserfault(mm, vma.uffd, task, address, flags), uffd: vma.uffd, address };
    }
    mm = faultInHostPage(mm, vi, index, write);
    vma = vmaAt(mm, vi);
  } else if (write && vma.zeroPage[index]) {
    // A write through the zero page's read-only PTE: do_wp_page copies it (COW) into a
    // private zeroed page, mapped writable.
    mm = { ...mm, vmas: replaceAt(mm.vmas, vi, { ...vma, zeroPage: replaceAt(vma.zeroPage, index, false) }) };
    vma = vmaAt(mm, vi);
  }
  const current = fileAt(mm, vma.file);
  if (!write || value === undefined) return { kind: 'ok', mm, content: current.pages[filePage] as number };
  const newFile: MemFile = { ...current, pages: replaceAt(current.pages, filePage, value) };
  return { kind: 'ok', mm: { ...mm, files: replaceAt(mm.files, vma.file, newFile) }, content: value };
}

/** What the host page at `hva` holds right now, without faulting: ABSENT if not mapped. */
export function peekHostPage(mm: MmState, hva: number): number {
  const vi = findVma(mm, hva);
  if (vi < 0) return ABSENT;
  const vma = vmaAt(mm, vi);
  const index = Math.floor((hva - vma.start) / PAGE_SIZE);
  if (!vma.mapped[index]) return ABSENT;
  return fileAt(mm, vma.file).pages[vma.fileOffset + index] as number;
}

/**
 * Whether the PTE at `hva` is present but read-only (the shared zero page): fast GUP for
 * writing fails there (gup_fast: the PTE does not permit a write), a write faults (COW).
 */
export function hostPteReadOnly(mm: MmState, hva: number): boolean {
  const vi = findVma(mm, hva);
  if (vi < 0) return false;
  const vma = vmaAt(mm, vi);
  return vma.zeroPage[Math.floor((hva - vma.start) / PAGE_SIZE)] === true;
}

/**
 * The largest host mapping at `hva`, in base pages: the hugetlbfs page size, a THP when
 * the VMA allows it and the whole aligned range is mapped, else 1.
 */
export function hostMappingPages(mm: MmState, hva: number, thpPages: number): number {
  const vi = findVma(mm, hva);
  if (vi < 0) return 1;
  const vma = vmaAt(mm, vi);
  const file = fileAt(mm, vma.file);
  if (file.hostPagePages > 1) return file.hostPagePages;
  if (!vma.thp) return 1;
  const index = Math.floor((hva - vma.start) / PAGE_SIZE);
  const first = index - ((vma.start / PAGE_SIZE + index) % thpPages);
  if (first < 0 || first + thpPages > vma.npages) return 1;
  for (let i = first; i < first + thpPages; i++) if (!vma.mapped[i]) return 1;
  return thpPages;
}
