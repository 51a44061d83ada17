/**
 * The reference handler for the gmem-minor design (Firecracker's secret-hiding branch,
 * seed 000 refs [2], [5]): guest memory is a mappable guest_memfd; vCPU faults reach the
 * VMM as KVM Userfault exits and are served by write() into the guest_memfd; KVM's own
 * accesses and the VMM's go through the guest_memfd mapping, registered with userfaultfd
 * MISSING + MINOR (the vm_uffd_ops series), and are served by write() then UFFDIO_CONTINUE.
 *
 * Kernel facts it relies on:
 * - A vCPU fault on a guest_memfd slot never touches the mapping: kvm_gmem_get_pfn takes
 *   the page-cache folio (allocating a zeroed one if absent), after the userfault bitmap
 *   check (KVM Userfault v3, kvm_do_userfault before the pfn lookup). So only the bit
 *   keeps a vCPU from reading an unfetched page, and no uffd waiter is involved.
 * - write() into the guest_memfd fills the page-cache folio ("KVM: guest_memfd: add
 *   generic population via write", v5 Message-ID 20250902111951.58315-2-kalyazin); on a
 *   folio already uptodate it fails with ENOSPC (v1–v5) or overwrites (v6). It does not
 *   map the page in any VMA and does not wake userfaultfd waiters: those sleep in
 *   handle_userfault until an mfill ioctl (COPY/CONTINUE without DONTWAKE) or UFFDIO_WAKE
 *   wakes their range (fs/userfaultfd.c, wake_userfault from the ioctl paths), or the uffd
 *   is released.
 * - A mapping fault on a page-cache folio not mapped in the VMA is a MINOR fault;
 *   UFFDIO_CONTINUE maps that folio and wakes the range (vm_uffd_ops get_folio_noalloc,
 *   Message-ID 20260306171815.3160826-14-rppt; EEXIST if already mapped, EFAULT if the
 *   folio is not in the page cache). A fault on a page not in the page cache is a MISSING
 *   fault: write() then CONTINUE serves it as well as UFFDIO_COPY would.
 *
 * Under the v6 write() semantics (overwrite) nothing says "already there", so the VMM
 * keeps its own per-page INSTALLED mark (page-book installOnce) and writes each page once.
 */
import { Errno } from '../kvm/uapi.ts';
import { VIOLATION } from '../system/state.ts';
import type { StepContext } from '../system/step-context.ts';
import { clearBitStep } from './exit-steps.ts';
import { firstPending, installOnce, setPending } from './page-book.ts';
import { readerReadStep, readerWakeStep } from './uffd-reader.ts';
import { defineHandler, REG_GFN, type HandlerStrategy, type HandlerThread } from './strategy.ts';
import type { Environment } from '../system/environment.ts';

/** write() the page into the guest_memfd unless the VMM already did; 0 or the errno. */
function writeOnce(c: StepContext, gfn: number): number {
  return installOnce(c, gfn);
}

// Step 0 reads, step 1 serves (the layout readerReadStep and readerWakeStep go to).
const READ = 0;
const WRITE = 1;
const CONTINUE = 2;
const WAKE = 3;

export interface GmemReaderOptions {
  /**
   * After write(), map the page and wake the waiter with UFFDIO_CONTINUE (default true).
   * False is the bug of taking "the page is in the guest_memfd now" for "the fault is
   * served": write() wakes nobody, so the faulting thread sleeps on.
   */
  readonly continueAfterWrite?: boolean;
}

/** The userfaultfd reader on the guest_memfd mapping: read → write() once → CONTINUE (waking) → on EEXIST wake. */
export function gmemUffdReader(options: GmemReaderOptions = {}): HandlerThread {
  const continueAfterWrite = options.continueAfterWrite ?? true;
  return {
    name: 'uffd-reader',
    regs: 1,
    steps: [
      readerReadStep(),
      {
        label: 'write',
        run(c) {
          const gfn = firstPending(c);
          if (gfn < 0) return c.goto(READ);
          const err = writeOnce(c, gfn);
          if (err !== 0) c.violate(VIOLATION.populateFailed, gfn, err, 0);
          c.setReg(0, gfn);
          if (continueAfterWrite) return c.goto(CONTINUE);
          setPending(c, gfn, false);
          c.goto(firstPending(c) >= 0 ? WRITE : READ);
        },
      },
      {
        label: 'continue',
        run(c) {
          const gfn = c.reg(0);
          const err = c.uffdContinue(gfn, { wake: true });
          // No REMOVE events on guest_memfd (no balloon), but mmap_changing is honoured anyway.
          if (err === Errno.EAGAIN) return c.goto(CONTINUE);
          setPending(c, gfn, false);
          // EEXIST: mapped already (a racing CONTINUE); it proves presence, not that the waiter woke.
          if (err === Errno.EEXIST) return c.goto(WAKE);
          if (err !== 0) c.violate(VIOLATION.populateFailed, gfn, err, 0);
          c.goto(firstPending(c) >= 0 ? WRITE : READ);
        },
      },
      readerWakeStep(),
    ],
  };
}

/** vCPU exit: write() the page once (ENOSPC: already there), then clear its bit. */
const writeStep = {
  label: 'write',
  run(c: StepContext) {
    const gfn = c.reg(REG_GFN);
    const err = writeOnce(c, gfn);
    if (err !== 0) c.violate(VIOLATION.populateFailed, gfn, err, 0);
  },
};

function readerThreads(options: GmemReaderOptions): (env: Environment) => readonly HandlerThread[] {
  return (env) => (env.uffd >= 0 ? [gmemUffdReader(options)] : []);
}

export const gmemMinorHandler: HandlerStrategy = defineHandler({
  name: 'gmem-minor',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'vCPU exit: write() into the guest_memfd, clear the bit; uffd reader on its mapping: write(), then UFFDIO_CONTINUE (waking)',
  designs: ['gmem-minor'],
  // Keeps per-page bookkeeping only; no word or register names a vCPU (vcpu-symmetry.ts).
  vcpuSymmetric: true,
  vcpuExit: [writeStep, clearBitStep()],
  threads: readerThreads({}),
});

/** Serves uffd faults with write() alone: the page is in the guest_memfd, but the waiter is never woken. */
export const gmemWriteNoContinueHandler: HandlerStrategy = defineHandler({
  name: 'gmem-write-no-continue',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'WRONG: its uffd reader write()s the page into the guest_memfd and stops there (no UFFDIO_CONTINUE, no wake)',
  designs: ['gmem-minor'],
  vcpuExit: [writeStep, clearBitStep()],
  threads: readerThreads({ continueAfterWrite: false }),
});
