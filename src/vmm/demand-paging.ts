/**
 * The reference handler for KVM Demand Paging (Google's design; hypothetical UAPI, see
 * src/kvm/demand-paging.ts): on a NOT_PRESENT memory-fault exit the vCPU thread installs
 * the page through the VMM's own mapping (or write() into the guest_memfd), then marks
 * it present, then re-enters. Install first, mark second: the same order as "populate,
 * then clear the bit". A notification reader thread serves KVM's own accesses.
 */
import { VIOLATION } from '../system/state.ts';
import { demandPagingReaderThread } from './demand-paging-reader.ts';
import { installOnce } from './page-book.ts';
import { defineHandler, REG_GFN, type HandlerStrategy } from './strategy.ts';

export const demandPagingHandler: HandlerStrategy = defineHandler({
  name: 'demand-paging',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'vCPU thread: install the page (once, VMM-locked), then KVM_MARK_GFNS_PRESENT, then re-enter; a notification reader serves KVM’s own accesses',
  designs: ['demand-paging'],
  // Keeps per-page bookkeeping only; no word or register names a vCPU (vcpu-symmetry.ts).
  vcpuSymmetric: true,
  vcpuExit: [
    {
      label: 'install',
      run(c) {
        const err = installOnce(c, c.reg(REG_GFN));
        if (err !== 0) c.violate(VIOLATION.populateFailed, c.reg(REG_GFN), err, 0);
      },
    },
    {
      label: 'mark-present',
      run(c) {
        const err = c.markPresent(c.reg(REG_GFN));
        if (err !== 0) c.violate(VIOLATION.populateFailed, c.reg(REG_GFN), err, 0);
      },
    },
  ],
  threads: () => [demandPagingReaderThread()],
});
