/**
 * madvise(MADV_POPULATE_WRITE): fault a range in writable, as a write would, without
 * writing (mm/madvise.c madvise_populate → faultin_page_range with FOLL_WRITE, Linux 5.14+).
 * A page mapped from the zero page is copied (COW) into a private writable page. A
 * missing page in a MISSING-registered range raises a userfault and the caller sleeps
 * (re-issue once woken: the pages done so far stay done). An unmapped hole is ENOMEM.
 */
import { Errno, PAGE_SIZE, fail, ok, type SysResult } from '../kvm/uapi.ts';
import { hostAccess, hostPteReadOnly } from './host-fault.ts';
import type { MmState } from './host-memory.ts';

export type PopulateWriteOutcome =
  | { readonly kind: 'blocked'; readonly mm: MmState }
  /** `cowed`: host addresses of the pages whose zero-page PTE was replaced (for the MMU notifier). */
  | { readonly kind: 'done'; readonly mm: MmState; readonly result: SysResult; readonly cowed: readonly number[] };

export function madvisePopulateWrite(mm: MmState, task: number, start: number, len: number): PopulateWriteOutcome {
  if (start % PAGE_SIZE !== 0 || len <= 0) return { kind: 'done', mm, result: fail(Errno.EINVAL), cowed: [] };
  const cowed: number[] = [];
  for (let hva = start; hva < start + len; hva += PAGE_SIZE) {
    const wasZero = hostPteReadOnly(mm, hva);
    const r = hostAccess(mm, task, hva, true);
    if (r.kind === 'efault') return { kind: 'done', mm, result: fail(Errno.ENOMEM), cowed };
    if (r.kind === 'userfault') return { kind: 'blocked', mm: r.mm };
    mm = r.mm;
    if (wasZero) cowed.push(hva);
  }
  return { kind: 'done', mm, result: ok(), cowed };
}
