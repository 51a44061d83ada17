/**
 * Installing a page exactly once when nothing in the kernel says "already present":
 * with KVM Demand Paging the VMM copies pages in through its own mapping (no
 * userfaultfd, so no EEXIST), and a second copy could overwrite what the guest wrote
 * since. The VMM keeps its own per-page INSTALLED bit (in the page's VMM word, beside
 * page-book.ts's bits) and tests-and-copies under a per-page lock: one atomic step here.
 */
import { Errno } from '../kvm/uapi.ts';
import type { StepContext } from '../system/step-context.ts';
import { install } from './page-book.ts';

export const INSTALLED = 4;

export function isInstalled(c: StepContext, gfn: number): boolean {
  return (c.vmm(c.hostPageOf(gfn)) & INSTALLED) !== 0;
}

/**
 * Copy the source content of the host page holding `gfn` unless it is already in:
 * memcpy into the VMM's mapping, or write() into the guest_memfd. 0 if the page is in
 * (now or before), else the errno.
 */
export function installOnce(c: StepContext, gfn: number): number {
  const first = c.hostPageOf(gfn);
  if (isInstalled(c, gfn)) {
    c.note(`gfn ${first} already installed`);
    return 0;
  }
  const err = c.populate(gfn, { wake: false });
  if (err !== 0 && err !== Errno.EEXIST) return err;
  c.setVmm(first, c.vmm(first) | INSTALLED);
  return 0;
}

/**
 * Install without ever overwriting: through page-book.ts's install when the kernel
 * reports "already present" (EEXIST from UFFDIO_COPY/CONTINUE or the guest_memfd write),
 * else (a plain memcpy, no userfaultfd) through installOnce. 0, EEXIST, EAGAIN or errno.
 */
export function installSafely(c: StepContext, gfn: number): number {
  if (c.env.uffd >= 0 || c.env.gmemFd >= 0) return install(c, gfn, false);
  return installOnce(c, gfn);
}
