/**
 * madvise(MADV_DONTNEED), as a balloon uses it. On a range registered with a userfaultfd
 * that asked for UFFD_FEATURE_EVENT_REMOVE, the caller first queues a REMOVE event and
 * sleeps until a reader takes it (userfaultfd_remove). Woken, the caller takes two more
 * steps: first it drops mmap_changing (userfaultfd_event_wait_completion, `out:`), then it
 * retakes mmap_lock and zaps (madvise_dontneed_free). COPY and friends answer EAGAIN from
 * the event's queueing until the first of those steps, so also after the read (review
 * V1); a page installed between the two steps is zapped too.
 */
import { Errno, PAGE_SIZE, fail, ok, type SysResult } from '../kvm/uapi.ts';
import { ABSENT, fileAt, type MmState, type Uffd, type Vma } from './host-memory.ts';
import { fillRange, removeAt, replaceAt } from './immutable.ts';
import { wantsRemoveEvents } from './userfaultfd.ts';

export type MadviseOutcome =
  | { readonly kind: 'blocked'; readonly mm: MmState }
  /** The woken caller dropped mmap_changing; re-issue the call to zap. */
  | { readonly kind: 'resumed'; readonly mm: MmState }
  /** `zapped`: the host range whose mappings went away (for the MMU notifier). */
  | { readonly kind: 'done'; readonly mm: MmState; readonly result: SysResult; readonly zapped?: { start: number; len: number } };

function overlaps(v: Vma, start: number, len: number): boolean {
  return v.start < start + len && start < v.start + v.npages * PAGE_SIZE;
}

function zap(mm: MmState, start: number, len: number): MmState {
  let { files, vmas } = mm;
  for (let i = 0; i < vmas.length; i++) {
    const v = vmas[i] as Vma;
    if (!overlaps(v, start, len)) continue;
    const first = Math.max(0, (start - v.start) / PAGE_SIZE);
    const last = Math.min(v.npages, (start + len - v.start) / PAGE_SIZE);
    vmas = replaceAt(vmas, i, { ...v, mapped: fillRange(v.mapped, first, last - first, false), zeroPage: fillRange(v.zeroPage, first, last - first, false) });
    const f = fileAt(mm, v.file);
    // Anonymous pages are freed; shmem, hugetlbfs and guest_memfd pages stay in the page cache.
    if (f.kind === 'anon') {
      files = replaceAt(files, v.file, { ...f, pages: fillRange(f.pages, v.fileOffset + first, last - first, ABSENT) });
    }
  }
  return { ...mm, files, vmas };
}

export function madviseDontneed(mm: MmState, task: number, start: number, len: number): MadviseOutcome {
  if (start % PAGE_SIZE !== 0 || len < 0) return { kind: 'done', mm, result: fail(Errno.EINVAL) };
  len = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  if (len === 0) return { kind: 'done', mm, result: ok() };
  const touched = mm.vmas.filter((v) => overlaps(v, start, len));
  let covered = 0;
  for (const v of touched) {
    covered += Math.min(start + len, v.start + v.npages * PAGE_SIZE) - Math.max(start, v.start);
    const hostBytes = fileAt(mm, v.file).hostPagePages * PAGE_SIZE;
    if ((start - v.start) % hostBytes !== 0 || len % hostBytes !== 0) return { kind: 'done', mm, result: fail(Errno.EINVAL) };
  }
  if (covered !== len) return { kind: 'done', mm, result: fail(Errno.ENOMEM) };

  const resumed = mm.pendingZaps.findIndex((z) => z.task === task && z.start === start && z.len === len);
  if (resumed < 0) {
    // One REMOVE event, on the first registered uffd (a range spanning two uffds is not modelled).
    const ui = touched.map((v) => v.uffd).find((u) => u >= 0 && wantsRemoveEvents(mm.uffds[u] as Uffd));
    if (ui !== undefined) {
      const u = mm.uffds[ui] as Uffd;
      const uffds = replaceAt(mm.uffds, ui, { ...u, events: [...u.events, { task, start, len }] });
      return { kind: 'blocked', mm: { ...mm, uffds } };
    }
  }
  const woken = mm.pendingZaps[resumed];
  if (woken?.mmapChanging) {
    return { kind: 'resumed', mm: { ...mm, pendingZaps: replaceAt(mm.pendingZaps, resumed, { ...woken, mmapChanging: false }) } };
  }
  const base = resumed < 0 ? mm : { ...mm, pendingZaps: removeAt(mm.pendingZaps, resumed) };
  return { kind: 'done', mm: zap(base, start, len), result: ok(), zapped: { start, len } };
}
