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

  /** Plain stores of the page's content through the mapping (may fault into userfaultfd): see c.memcpy. */
  memcpy(gfn: number, content?: number): Outcome {
    return content === undefined ? this.c.memcpy(gfn) : this.c.memcpy(gfn, content);
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
