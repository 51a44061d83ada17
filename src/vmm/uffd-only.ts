/**
 * The reference handler for userfaultfd-only postcopy: vCPUs sleep in the userfaultfd;
 * a reader thread installs and wakes. No memory-fault exits are expected.
 */
import { defineHandler, type HandlerStrategy } from './strategy.ts';
import { uffdReaderThread } from './uffd-reader.ts';

export const uffdHandler: HandlerStrategy = defineHandler({
  name: 'uffd',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'a userfaultfd reader thread: read, install (waking), wake on EEXIST, on EAGAIN defer and retry (reading first if a message is there)',
  designs: ['uffd'],
  // Keeps per-page bookkeeping only; no word or register names a vCPU (vcpu-symmetry.ts).
  vcpuSymmetric: true,
  vcpuExit: [],
  threads: () => [uffdReaderThread()],
});
