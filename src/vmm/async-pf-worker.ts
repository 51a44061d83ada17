/**
 * The async PF user worker: takes a recorded asynchronous fault, installs the page
 * (UFFDIO_COPY/CONTINUE without waking, write() into the guest_memfd, or a memcpy done
 * once when no userfaultfd is registered), clears the
 * userfault bit, then calls KVM_ASYNC_PF_USER_READY with the fault's token. The options
 * exist to build the flawed variants (flawed-async-pf-user.ts).
 */
import { VIOLATION } from '../system/state.ts';
import type { StepContext } from '../system/step-context.ts';
import type { Step } from '../system/thread.ts';
import { asyncFaultAt, firstAsyncFault, releaseAsyncFault, type AsyncFault } from './async-pf-queue.ts';
import { clearBitStep, populateStep } from './exit-steps.ts';
import type { HandlerThread } from './strategy.ts';

export interface WorkerOptions {
  /** READY before the page is installed and its bit cleared (wasteful: the resumed op exits again). */
  readonly readyFirst?: boolean;
  /** The token passed to READY (default: the one the exit carried). */
  readonly tokenFor?: (f: AsyncFault) => number;
  /** Treat an error from READY as a broken contract (default true). */
  readonly checkReady?: boolean;
}

function taken(c: StepContext): AsyncFault {
  const f = asyncFaultAt(c, c.reg(0));
  if (!f) throw new Error('async-pf worker: its entry vanished');
  return f;
}

export function asyncPfWorkerThread(name = 'async-pf-worker', options: WorkerOptions = {}): HandlerThread {
  const tokenFor = options.tokenFor ?? ((f: AsyncFault) => f.token);
  const checkReady = options.checkReady ?? true;
  const populate = populateStep((c) => taken(c).gfn);
  const clearBit = clearBitStep((c) => taken(c).gfn);
  const ready: Step = {
    label: 'ready',
    run(c) {
      const f = taken(c);
      const err = c.asyncPfUserReady(f.vcpu, tokenFor(f));
      if (err !== 0 && checkReady) c.violate(VIOLATION.populateFailed, f.gfn, err, 0);
    },
  };
  const order = options.readyFirst ? [ready, populate, clearBit] : [populate, clearBit, ready];
  // The first step takes the lowest recorded fault; the last one releases its entry.
  const steps: Step[] = order.map((st, i) => ({
    label: st.label,
    run(c) {
      if (i === 0) {
        const f = firstAsyncFault(c);
        c.guard(f !== undefined);
        c.setReg(0, (f as AsyncFault).entry);
      }
      st.run(c);
      if (i === order.length - 1) releaseAsyncFault(c, c.reg(0));
    },
  }));
  return { name, regs: 1, steps };
}
