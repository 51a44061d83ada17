/**
 * The VMM's per-page bookkeeping in shared VMM words (one word per guest page):
 * bit 0 — a userfaultfd fault on the page is pending service by a reader thread;
 * bit 1 — the guest gave the page up (a REMOVE event): it must be refilled with zeros,
 *         never with the source content;
 * bit 2 — the VMM installed the page itself (kept where the kernel may not say "already
 *         present": a plain memcpy with no userfaultfd, and guest_memfd write(), which
 *         overwrites in the v6 write() series; review V2).
 */
import type { StepContext } from '../system/step-context.ts';
import { Errno, UFFD_EVENT_REMOVE, PAGE_SIZE } from '../kvm/uapi.ts';
import type { UffdMsg } from '../mm/userfaultfd.ts';

export const PENDING = 1;
export const DISCARDED = 2;
export const INSTALLED = 4;

export function isDiscarded(c: StepContext, gfn: number): boolean {
  return (c.vmm(gfn) & DISCARDED) !== 0;
}

export function firstPending(c: StepContext): number {
  for (let g = 0; g < c.env.config.pages; g++) if ((c.vmm(g) & PENDING) !== 0) return g;
  return -1;
}

export function setPending(c: StepContext, gfn: number, on: boolean): void {
  c.setVmm(gfn, on ? c.vmm(gfn) | PENDING : c.vmm(gfn) & ~PENDING);
}

/** Record what a uffd message says; returns the faulting gfn, or -1 for an event. */
export function recordMessage(c: StepContext, msg: UffdMsg): number {
  if (msg.event === UFFD_EVENT_REMOVE) {
    for (let a = msg.start; a < msg.end; a += PAGE_SIZE) {
      const g = c.gfnOf(a);
      c.setVmm(g, c.vmm(g) | DISCARDED);
    }
    return -1;
  }
  // A fault address is an HVA: its memslot maps it back to a gfn (not hva - start).
  return c.gfnOf(msg.address);
}

/**
 * Whether the VMM fetches 4K at a time inside a hugetlbfs page: KVM Userfault with no
 * userfaultfd, where the bitmap is per 4K gfn and nothing forces a whole huge page (Google's
 * HugeTLB use, seed 004). Every other hugetlbfs install is whole: UFFDIO_COPY/CONTINUE must
 * be huge-page aligned, and KVM Demand Paging marks the host page present (c.markPresent).
 */
export function fetchesBasePages(c: StepContext): boolean {
  return c.env.uffd < 0 && c.env.hostPagePages > 1 && c.env.config.design === 'kvm-userfault';
}

/** The page-book word that records an install covering `gfn`: its own, or its host page's. */
function installUnit(c: StepContext, gfn: number): number {
  return fetchesBasePages(c) ? gfn : c.hostPageOf(gfn);
}

export function isInstalled(c: StepContext, gfn: number): boolean {
  return (c.vmm(installUnit(c, gfn)) & INSTALLED) !== 0;
}

/**
 * Copy the source content of the host page holding `gfn` unless the VMM already did:
 * with no userfaultfd nothing answers EEXIST (a memcpy, or a guest_memfd write() under
 * the v6 series), and a second copy would overwrite what the guest wrote since. Test-and-copy under the VMM's per-page
 * lock: one atomic step. 0 if the page is in (now or before), else the errno.
 */
export function installOnce(c: StepContext, gfn: number): number {
  const first = installUnit(c, gfn);
  if (isInstalled(c, gfn)) {
    c.note(`gfn ${first} already installed`);
    return 0;
  }
  const err = fetchesBasePages(c) ? (c.mem.memcpy(gfn, undefined, { basePage: true }) === 'ok' ? 0 : Errno.EAGAIN) : c.populate(gfn, { wake: false });
  if (err !== 0 && err !== Errno.EEXIST) return err;
  c.setVmm(first, c.vmm(first) | INSTALLED);
  return 0;
}

/**
 * Install a page the right way: zeros if the guest gave it up, else the source content,
 * never twice where the kernel cannot tell (installOnce). Returns 0 or the errno
 * (EEXIST: already present; EAGAIN: an event must be read first).
 */
export function install(c: StepContext, gfn: number, wake: boolean): number {
  if (c.env.uffd < 0 && !isDiscarded(c, gfn)) return installOnce(c, gfn);
  if (!isDiscarded(c, gfn)) return c.populate(gfn, { wake });
  if (c.env.hostPagePages > 1) return c.uffdCopy(gfn, { wake, content: 0 });
  return c.uffdZeropage(gfn, { wake });
}

/** Whether an install result means the page is there (installed now, or by someone else). */
export function installed(errno: number): boolean {
  return errno === 0 || errno === Errno.EEXIST;
}
