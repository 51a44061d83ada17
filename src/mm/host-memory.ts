/**
 * The VMM process's address space: VMAs over memory files, with a content version per
 * page. Content is a small integer: 0 is a zero-filled page, any other value is data
 * (the VMM decides what its values mean: e.g. 1 for "the source's content").
 */
import { PAGE_SIZE } from '../kvm/uapi.ts';
import { SimulationUsageError } from '../kvm/variant.ts';

/** A page that holds no data: absent from the page cache / never faulted in. */
export const ABSENT = -1;
export const ZERO_CONTENT = 0;

export type FileKind = 'anon' | 'shmem' | 'hugetlb' | 'guest_memfd';

/** Where pages live: an anonymous VMA's private pages, a shmem or hugetlbfs file, a guest_memfd. */
export interface MemFile {
  readonly kind: FileKind;
  /** Content per base page, or ABSENT. */
  readonly pages: readonly number[];
  /** Base pages per host page: 1, or the huge page size in base pages for hugetlbfs. */
  readonly hostPagePages: number;
}

export interface Vma {
  /** First host virtual address, page aligned (bytes). */
  readonly start: number;
  readonly npages: number;
  readonly file: number;
  /** Offset into the file, in base pages. */
  readonly fileOffset: number;
  /** Host PTE present, per base page. For anonymous memory this equals page presence. */
  readonly mapped: readonly boolean[];
  /**
   * The PTE maps the shared zero page, per base page (anonymous memory only): present but
   * read-only, so a write faults and copies it (COW), and fast GUP for writing fails. Set
   * by a read fault (do_anonymous_page) and by UFFDIO_ZEROPAGE; implies `mapped`. Other
   * read-only PTEs (MAP_PRIVATE page cache, KSM, COW after fork) are not modelled.
   */
  readonly zeroPage: readonly boolean[];
  /** Transparent huge pages allowed (anonymous/shmem): a fully populated aligned range maps huge. */
  readonly thp: boolean;
  /**
   * The THP size in base pages (the PMD size of the geometry), 0 without THP. Static for
   * the VMA's life, so it is not part of the encoded state. See thp-fault.ts.
   */
  readonly thpPages: number;
  /** The userfaultfd registered on this VMA (its index in MmState.uffds), or -1. */
  readonly uffd: number;
  /** UFFDIO_REGISTER_MODE_* bits. */
  readonly uffdMode: number;
}

/** VMM memory that holds bytes (userfault bitmaps and other VMM data). */
export interface DataRegion {
  readonly start: number;
  /** Mapped length in bytes (whole pages). */
  readonly length: number;
  /** The bytes stored so far from `start`; bytes past the end read as zero. */
  readonly bytes: readonly number[];
}

export interface UffdFault {
  readonly task: number;
  /** Page-aligned faulting address. */
  readonly address: number;
  readonly flags: number;
}

export interface UffdRemoveEvent {
  /** The thread that called madvise() and waits until the event is read. */
  readonly task: number;
  readonly start: number;
  readonly len: number;
}

export interface Uffd {
  readonly fd: number;
  readonly open: boolean;
  /** UFFDIO_API feature bits (UFFD_FEATURE_*). */
  readonly features: number;
  /** Faults raised and not yet read (the fault_pending wait queue). */
  readonly pending: readonly UffdFault[];
  /** Faults read by a handler whose threads still sleep (the fault wait queue). */
  readonly waiting: readonly UffdFault[];
  /** Non-cooperative events not yet read. */
  readonly events: readonly UffdRemoveEvent[];
}

/**
 * A madvise(MADV_DONTNEED) whose REMOVE event was read (or whose uffd was closed): the
 * caller is awake but has not zapped yet. Until it runs again it still holds its uffd's
 * mmap_changing raised (userfaultfd_event_wait_completion drops it on the caller's own
 * way out, not at read()), so fills on that uffd stay EAGAIN; then it zaps in a further step.
 */
export interface PendingZap {
  readonly task: number;
  readonly start: number;
  readonly len: number;
  /** The uffd (index in MmState.uffds) whose event this was. */
  readonly uffd: number;
  /** The caller has not yet run to drop that uffd's mmap_changing. */
  readonly mmapChanging: boolean;
}

export interface MmState {
  readonly files: readonly MemFile[];
  readonly vmas: readonly Vma[];
  readonly data: readonly DataRegion[];
  readonly uffds: readonly Uffd[];
  readonly pendingZaps: readonly PendingZap[];
  /** guest_memfd descriptors: fd, the file holding the pages, creation flags, still open. */
  readonly gmems: readonly { readonly fd: number; readonly file: number; readonly flags: number; readonly open: boolean }[];
  /** Next free host virtual address for mmap (deterministic placement). */
  readonly nextHva: number;
  readonly nextFd: number;
}

export const MMAP_BASE = 0x7f00_0000_0000;

export function emptyMm(): MmState {
  return { files: [], vmas: [], data: [], uffds: [], pendingZaps: [], gmems: [], nextHva: MMAP_BASE, nextFd: 3 };
}

export function findVma(mm: MmState, hva: number): number {
  for (let i = 0; i < mm.vmas.length; i++) {
    const v = mm.vmas[i] as Vma;
    if (hva >= v.start && hva < v.start + v.npages * PAGE_SIZE) return i;
  }
  return -1;
}

export function vmaAt(mm: MmState, index: number): Vma {
  const v = mm.vmas[index];
  if (!v) throw new SimulationUsageError(`no VMA ${index}`);
  return v;
}

export function fileAt(mm: MmState, index: number): MemFile {
  const f = mm.files[index];
  if (!f) throw new SimulationUsageError(`no memory file ${index}`);
  return f;
}

export function alignUp(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

export interface MapOptions {
  readonly npages: number;
  /** An existing file to map (shmem, hugetlbfs or guest_memfd); a new anonymous file if absent. */
  readonly file?: number;
  readonly fileOffset?: number;
  readonly thp?: boolean;
  /** THP size in base pages (needed with `thp`: a write fault may allocate a whole THP). */
  readonly thpPages?: number;
}

/** Add a VMA at the next free address (aligned to the host page size); returns its start. */
export function mapVma(mm: MmState, opts: MapOptions): { mm: MmState; hva: number } {
  if (!Number.isInteger(opts.npages) || opts.npages <= 0) {
    throw new SimulationUsageError(`mmap of ${opts.npages} pages`);
  }
  let files = mm.files;
  let file = opts.file;
  if (file === undefined) {
    file = files.length;
    files = [...files, { kind: 'anon', pages: new Array<number>(opts.npages).fill(ABSENT), hostPagePages: 1 }];
  }
  const f = files[file];
  if (!f) throw new SimulationUsageError(`mmap of unknown file ${file}`);
  const fileOffset = opts.fileOffset ?? 0;
  if (fileOffset % f.hostPagePages !== 0 || opts.npages % f.hostPagePages !== 0) {
    throw new SimulationUsageError('a hugetlbfs mapping must be huge-page aligned');
  }
  if (fileOffset + opts.npages > f.pages.length) throw new SimulationUsageError('mmap beyond the end of the file');
  const hva = alignUp(mm.nextHva, f.hostPagePages * PAGE_SIZE);
  const vma: Vma = {
    start: hva,
    npages: opts.npages,
    file,
    fileOffset,
    mapped: new Array<boolean>(opts.npages).fill(false),
    zeroPage: new Array<boolean>(opts.npages).fill(false),
    thp: opts.thp ?? false,
    thpPages: opts.thp ? (opts.thpPages ?? 0) : 0,
    uffd: -1,
    uffdMode: 0,
  };
  // A guard page between mappings keeps off-by-one addresses unmapped.
  return { mm: { ...mm, files, vmas: [...mm.vmas, vma], nextHva: hva + (opts.npages + 1) * PAGE_SIZE }, hva };
}

/** Create a shmem or hugetlbfs file of `npages` base pages; returns its file index. */
export function createFile(mm: MmState, kind: 'shmem' | 'hugetlb', npages: number, hostPagePages = 1): { mm: MmState; file: number } {
  if (kind === 'shmem' && hostPagePages !== 1) throw new SimulationUsageError('shmem pages are base pages');
  if (npages % hostPagePages !== 0) throw new SimulationUsageError('file size must be a whole number of host pages');
  const file = mm.files.length;
  return {
    mm: { ...mm, files: [...mm.files, { kind, pages: new Array<number>(npages).fill(ABSENT), hostPagePages }] },
    file,
  };
}

/** Map a data region of `bytes` zero bytes for the VMM's own data (e.g. a userfault bitmap). */
export function mapData(mm: MmState, bytes: number): { mm: MmState; hva: number } {
  const npages = Math.max(1, Math.ceil(bytes / PAGE_SIZE));
  const hva = alignUp(mm.nextHva, PAGE_SIZE);
  const region: DataRegion = { start: hva, length: npages * PAGE_SIZE, bytes: new Array<number>(alignUp(bytes, 8)).fill(0) };
  return { mm: { ...mm, data: [...mm.data, region], nextHva: hva + (npages + 1) * PAGE_SIZE }, hva };
}
