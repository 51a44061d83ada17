/**
 * `c.mem`: the VMM's own view of guest memory through its mapping: madvise(2) of any range
 * with its real result, and pwrite(2) into the memfd's page cache.
 * - madvise(MADV_DONTNEED) (mm/madvise.c): EINVAL for a range that is not whole host pages
 *   (a hugetlbfs range must be huge-page aligned) or not page aligned, ENOMEM for a hole;
 *   on a range registered with a REMOVE-event userfaultfd it first sleeps until a reader
 *   takes the event, then (woken) drops mmap_changing, then zaps: the step repeats
 *   (mm/madvise.ts). On anonymous memory the pages are freed, so the guest must read zeros
 *   from then on (the ground truth follows); shmem and hugetlbfs keep their page cache.
 * - madvise(MADV_POPULATE_WRITE) (mm/madvise.c madvise_populate): present and writable.
 * - memcpy: plain stores, which fault like the guest's would.
 */
import { hvaOf } from '../guest-layout.ts';
import { MADV_DONTNEED, MADV_POPULATE_WRITE, PAGE_SIZE, errnoName } from '../../kvm/uapi.ts';
import { madvise } from '../../kvm/mmu-notifier.ts';
import { userAccess } from '../../kvm/user-access.ts';
import { pageCacheWrite } from '../../mm/page-cache-write.ts';
import { fillRange } from '../../mm/immutable.ts';
import type { Outcome, StepContext } from '../step-context.ts';
import type { OpHost } from './op-host.ts';

export type Advice = 'dontneed' | 'populate-write';

const ADVICE: Readonly<Record<Advice, { readonly value: number; readonly name: string }>> = {
  dontneed: { value: MADV_DONTNEED, name: 'MADV_DONTNEED' },
  'populate-write': { value: MADV_POPULATE_WRITE, name: 'MADV_POPULATE_WRITE' },
};

export class MemoryFacet {
  constructor(
    private readonly h: OpHost,
    private readonly c: StepContext,
  ) {}

  /**
   * Plain stores of the page's content through the mapping (may fault into userfaultfd):
   * see c.memcpy, which copies a whole hugetlbfs page in one step. With `{ basePage: true }`
   * only the 4K of `gfn` is copied, also inside a hugetlbfs page: the first store faults the
   * whole huge page in, zero-filled (hugetlb_no_page → folio_zero_user) and mapped huge, so
   * its other base pages hold zeros that never arrived until their own copies (4K demand
   * paging inside HugeTLB with KVM Userfault and no userfaultfd, seed 004; userfaultfd
   * itself cannot do this: UFFDIO_COPY into hugetlbfs must be huge-page aligned, and HugeTLB
   * high-granularity mapping was never merged).
   */
  memcpy(gfn: number, content?: number, options: { readonly basePage?: boolean } = {}): Outcome {
    if (options.basePage !== true || this.h.env.hostPagePages === 1) return content === undefined ? this.c.memcpy(gfn) : this.c.memcpy(gfn, content);
    this.h.page(gfn, 'memcpy');
    const value = content === undefined ? this.h.fetch(gfn) : this.h.word('content', content);
    this.h.op('memcpy');
    const r = userAccess(this.h.kernel(), this.h.task, this.h.env.hva + gfn * PAGE_SIZE, value);
    this.h.setKernel(r.state);
    if (r.kind === 'blocked') return this.h.sleep(`memcpy to gfn ${gfn}`);
    this.h.note(`memcpy gfn ${gfn} (4K of its huge page)`);
    return 'ok';
  }

  /** madvise(MADV_POPULATE_WRITE) of the host page holding `gfn`: see c.populateWrite. */
  populateWrite(gfn: number): Outcome {
    return this.c.populateWrite(gfn);
  }

  /**
   * madvise(2) of `pages` base pages from `gfn` (default one). 0 or errno when it is done;
   * `'blocked'` while it waits for a REMOVE event to be read, `'resumed'` when, woken, it
   * dropped mmap_changing (the step runs again to zap).
   */
  madvise(gfn: number, options: { readonly advice: Advice; readonly pages?: number }): number | 'blocked' | 'resumed' {
    const advice = ADVICE[options.advice];
    const n = this.h.pages(gfn, options.pages ?? 1, `madvise(${advice.name})`);
    this.h.op(`madvise(${advice.name})`);
    const r = madvise(this.h.kernel(), this.h.task, hvaOf(this.h.env, gfn), n * PAGE_SIZE, advice.value);
    this.h.setKernel(r.state);
    const what = `madvise(${advice.name}) gfn ${gfn}${n > 1 ? ` ×${n}` : ''}`;
    if (r.kind === 'blocked') return this.h.sleep(`${what}: REMOVE event`);
    if (r.kind === 'resumed') {
      this.h.note(`${what}: woken, drops mmap_changing (the zap is next)`);
      return 'resumed';
    }
    const errno = r.result.ret === 0 ? 0 : r.result.errno;
    this.h.note(`${what} → ${errno === 0 ? '0' : errnoName(errno)}`);
    if (errno === 0 && options.advice === 'dontneed' && this.h.env.config.backing === 'anon') {
      // Freed anonymous pages read as zeros from now on.
      this.h.setSys({ ...this.h.sys(), expected: fillRange(this.h.sys().expected, gfn, n, 0) });
    }
    return errno;
  }

  /** pwrite(2) of the page's source content (or `content`) into the memfd's page cache; 0 or errno. */
  pwrite(gfn: number, content?: number): number {
    this.h.page(gfn, 'pwrite(memfd)');
    const value = content === undefined ? this.h.fetch(gfn) : this.h.word('content', content);
    this.h.op('pwrite(memfd)');
    const r = pageCacheWrite(this.h.kernel().mm, hvaOf(this.h.env, gfn), value);
    this.h.setKernel({ ...this.h.kernel(), mm: r.mm });
    const errno = r.result.ret >= 0 ? 0 : r.result.errno;
    this.h.note(`pwrite(memfd) gfn ${gfn} → ${errno === 0 ? 'ok' : errnoName(errno)}`);
    return errno;
  }
}
