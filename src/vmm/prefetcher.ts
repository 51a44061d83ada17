/**
 * A background prefetcher (QEMU's background postcopy stream, Cloud Hypervisor's
 * prefaulter): installs the remote pages in order, racing the demand faults on the same
 * pages. EEXIST means demand got there first. With KVM Userfault it also clears each
 * page's bit after installing it.
 */
import { Errno } from '../kvm/uapi.ts';
import { VIOLATION } from '../system/state.ts';
import { install } from './page-book.ts';
import type { HandlerThread } from './strategy.ts';

const PREFETCH = 0;
const CLEAR = 1;

export function prefetcherThread(): HandlerThread {
  return {
    name: 'prefetcher',
    regs: 1,
    steps: [
      {
        label: 'prefetch',
        run(c) {
          const remote = c.env.config.remote;
          c.guard(c.reg(0) < remote.length);
          const gfn = remote[c.reg(0)] as number;
          const err = install(c, gfn, true);
          if (err === Errno.EAGAIN) return c.goto(PREFETCH);
          if (err !== 0 && err !== Errno.EEXIST) c.violate(VIOLATION.populateFailed, gfn, err, 0);
          if (c.env.bitmap !== 0) return c.goto(CLEAR);
          c.setReg(0, c.reg(0) + 1);
          c.goto(PREFETCH);
        },
      },
      {
        label: 'clear-bit',
        run(c) {
          c.setUserfaultBit(c.env.config.remote[c.reg(0)] as number, false);
          c.setReg(0, c.reg(0) + 1);
          c.goto(PREFETCH);
        },
      },
    ],
  };
}
