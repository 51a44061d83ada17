/**
 * Plausible but wrong handlers for async PF user and KVM Demand Paging, bundled so that
 * kvmuf can show what it convicts them of.
 */
import { Errno } from '../kvm/uapi.ts';
import { asyncPfUserStrategy } from './async-pf-user.ts';
import { demandPagingReaderThread } from './demand-paging-reader.ts';
import { installOnce } from './install-once.ts';
import { defineHandler, REG_GFN, type HandlerStrategy } from './strategy.ts';

/** Passes the page number where the token belongs: KVM never issued it (-EINVAL, ignored). */
export const asyncPfWrongTokenHandler: HandlerStrategy = asyncPfUserStrategy(
  'async-pf-wrong-token',
  'WRONG: calls KVM_ASYNC_PF_USER_READY with the gfn instead of the token the exit carried, and ignores the error',
  { tokenFor: (f) => f.gfn, checkReady: false },
);

/**
 * Says "page ready" before the page is there: KVM does not check, the parked op comes
 * back to a page whose bit is still set and exits again, synchronously; the vCPU thread
 * then serves it itself. No property breaks (the checker passes it): the cost is a
 * wasted round trip per early READY, and a state space about four times larger.
 */
export const asyncPfReadyFirstHandler: HandlerStrategy = asyncPfUserStrategy(
  'async-pf-ready-first',
  'WASTEFUL: calls KVM_ASYNC_PF_USER_READY first, then installs the page and clears the bit (the resumed op exits again, synchronously)',
  { readyFirst: true },
);

/** Marks the page present before it is installed: a vCPU can map the empty page. */
export const presentBeforeInstallHandler: HandlerStrategy = defineHandler({
  name: 'present-before-install',
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
