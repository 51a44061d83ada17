/** Steps that handlers share: install the faulting page, then clear its userfault bit. */
import { Errno } from '../kvm/uapi.ts';
import type { StepContext } from '../system/step-context.ts';
import { VIOLATION } from '../system/state.ts';
import type { Step } from '../system/thread.ts';
import { install } from './page-book.ts';
import { REG_GFN } from './strategy.ts';

const faultingGfn = (c: StepContext) => c.reg(REG_GFN);

/**
 * Install the page without waking (nobody sleeps on a fault that exited). EEXIST means
 * another thread installed it first; EAGAIN means a userfaultfd event is pending, so the
 * step runs again once it is read; any other error is a property violation.
 */
export function populateStep(gfnOf: (c: StepContext) => number = faultingGfn): Step {
  return {
    label: 'populate',
    run(c) {
      const gfn = gfnOf(c);
      const err = install(c, gfn, false);
      if (err === Errno.EAGAIN) return c.goto(c.pc);
      if (err !== 0 && err !== Errno.EEXIST) c.violate(VIOLATION.populateFailed, gfn, err, 0);
    },
  };
}

/** Clear the page's userfault bit (a release store, after the page is in place). */
export function clearBitStep(gfnOf: (c: StepContext) => number = faultingGfn): Step {
  return { label: 'clear-bit', run: (c) => c.setUserfaultBit(gfnOf(c), false) };
}
