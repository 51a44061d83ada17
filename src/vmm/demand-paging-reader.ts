/**
 * The KVM Demand Paging notification reader: serves KVM's own accesses (ITS restore,
 * kvm-clock, emulation) that wait on KVM's wait queue. read() the notification fd →
 * install the page (once) → KVM_MARK_GFNS_PRESENT, which wakes the waiting task.
 */
import { VIOLATION } from '../system/state.ts';
import { installOnce } from './page-book.ts';
import type { HandlerThread } from './strategy.ts';

const READ = 0;

export function demandPagingReaderThread(name = 'notification-reader'): HandlerThread {
  return {
    name,
    regs: 1,
    steps: [
      {
        label: 'read',
        run(c) {
          c.guard(c.demandPagingReadable());
          const gfn = c.demandPagingRead();
          if (gfn === undefined) return c.goto(READ);
          c.setReg(0, gfn);
        },
      },
      {
        label: 'install',
        run(c) {
          const err = installOnce(c, c.reg(0));
          if (err !== 0) c.violate(VIOLATION.populateFailed, c.reg(0), err, 0);
        },
      },
      {
        label: 'mark-present',
        run(c) {
          const err = c.markPresent(c.reg(0));
          if (err !== 0) c.violate(VIOLATION.populateFailed, c.reg(0), err, 0);
          c.goto(READ);
        },
      },
    ],
  };
}
