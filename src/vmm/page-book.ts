/**
 * The VMM's per-page bookkeeping in shared VMM words (one word per guest page):
 * bit 0 — a userfaultfd fault on the page is pending service by a reader thread;
 * bit 1 — the guest gave the page up (a REMOVE event): it must be refilled with zeros,
 *         never with the source content.
 */
import type { StepContext } from '../system/step-context.ts';
import { Errno, UFFD_EVENT_REMOVE, PAGE_SIZE } from '../kvm/uapi.ts';
import type { UffdMsg } from '../mm/userfaultfd.ts';

export const PENDING = 1;
export const DISCARDED = 2;

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
      const g = (a - c.env.hva) / PAGE_SIZE;
      c.setVmm(g, c.vmm(g) | DISCARDED);
    }
    return -1;
  }
  return (msg.address - c.env.hva) / PAGE_SIZE;
}

/**
 * Install a page the right way: zeros if the guest gave it up, else the source content.
 * Returns 0 or the errno (EEXIST: already present; EAGAIN: an event must be read first).
 */
export function install(c: StepContext, gfn: number, wake: boolean): number {
  if (!isDiscarded(c, gfn)) return c.populate(gfn, { wake });
  if (c.env.hostPagePages > 1) return c.uffdCopy(gfn, { wake, content: 0 });
  return c.uffdZeropage(gfn, { wake });
}

/** Whether an install result means the page is there (installed now, or by someone else). */
export function installed(errno: number): boolean {
  return errno === 0 || errno === Errno.EEXIST;
}
