/** A plausible but wrong KVM Demand Paging handler, bundled so that kvmuf can convict it. */
import { Errno } from '../kvm/uapi.ts';
import { demandPagingReaderThread } from './demand-paging-reader.ts';
import { installOnce } from './page-book.ts';
import { defineHandler, REG_GFN, type HandlerStrategy } from './strategy.ts';

/** Marks the page present before it is installed: a vCPU can map the empty page. */
export const presentBeforeInstallHandler: HandlerStrategy = defineHandler({
  name: 'present-before-install',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'WRONG: KVM_MARK_GFNS_PRESENT first, then installs the page',
  designs: ['demand-paging'],
  vcpuExit: [
    { label: 'mark-present', run: (c) => void c.markPresent(c.reg(REG_GFN)) },
    {
      label: 'install',
      run(c) {
        const err = installOnce(c, c.reg(REG_GFN));
        if (err === Errno.EAGAIN) c.goto(c.pc);
      },
    },
  ],
  threads: () => [demandPagingReaderThread()],
});
