/**
 * The reference handler for exit-on-missing (Anish Moorthy's series, reference §7): the
 * vCPU thread installs with UFFDIO_COPY without waking (nobody sleeps on a vCPU fault
 * that exited) and re-enters; a reader thread still serves KVM's own accesses.
 *
 * EEXIST does not mean the vCPU can go on: the series exits whenever fast GUP fails,
 * which includes a write through a read-only PTE (the zero page left by a read fault or
 * by UFFDIO_ZEROPAGE). COPY cannot fix that page, so on EEXIST the handler makes it
 * writable with MADV_POPULATE_WRITE before re-entering, as seed 001 says handlers should
 * (review V4); without it the same exit repeats forever.
 */
import { Errno } from '../kvm/uapi.ts';
import { VIOLATION } from '../system/state.ts';
import type { Step } from '../system/thread.ts';
import { install } from './page-book.ts';
import { defineHandler, REG_GFN, type HandlerStrategy } from './strategy.ts';
import { uffdReaderThread } from './uffd-reader.ts';

/** Install (DONTWAKE); on success re-enter, on EEXIST go on to populate-write. */
const populateStep: Step = {
  label: 'populate',
  run(c) {
    const gfn = c.reg(REG_GFN);
    const err = install(c, gfn, false);
    if (err === Errno.EAGAIN) return c.goto(c.pc);
    if (err === Errno.EEXIST) return;
    if (err !== 0) c.violate(VIOLATION.populateFailed, gfn, err, 0);
    c.goto(c.spec.after);
  },
};

/** The page is present: make it writable (a no-op unless its PTE is read-only). */
const populateWriteStep: Step = { label: 'populate-write', run: (c) => void c.populateWrite(c.reg(REG_GFN)) };

export const exitOnMissingHandler: HandlerStrategy = defineHandler({
  name: 'exit-on-missing',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'vCPU thread: UFFDIO_COPY (DONTWAKE), on EEXIST MADV_POPULATE_WRITE, then re-enter; a uffd reader serves KVM’s own accesses',
  designs: ['exit-on-missing'],
  // Keeps per-page bookkeeping only; no word or register names a vCPU (vcpu-symmetry.ts).
  vcpuSymmetric: true,
  vcpuExit: [populateStep, populateWriteStep],
  threads: () => [uffdReaderThread()],
});
