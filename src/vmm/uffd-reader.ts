/**
 * A userfaultfd reader thread, as QEMU's fault thread or Firecracker's handler:
 * poll → read → install (waking) → on EEXIST wake the range itself (EEXIST proves the
 * page is there, not that anyone woke the waiter) → on EAGAIN keep the fault deferred
 * and retry the install later, without waiting for poll(): read first if a message is
 * there, else retry.
 *
 * Why not wait for poll() on EAGAIN: mmap_changing stays raised after the REMOVE event
 * has been read, until the madvise() caller runs again (userfaultfd_event_wait_completion;
 * review V1). In that window read() has nothing to return and poll() never fires, so a
 * reader that only retries after poll() sleeps forever while the faulting vCPU waits on
 * it. Firecracker keeps faults whose UFFDIO_COPY returned EAGAIN and retries them on its
 * next loop iteration; QEMU retries the request.
 */
import { Errno, UFFD_EVENT_REMOVE } from '../kvm/uapi.ts';
import { VIOLATION } from '../system/state.ts';
import { firstPending, install, recordMessage, setPending } from './page-book.ts';
import type { HandlerThread } from './strategy.ts';
import type { Step } from '../system/thread.ts';
import type { Environment } from '../system/environment.ts';

const READ = 0;
const INSTALL = 1;
const WAKE = 2;

export interface ReaderOptions {
  /** Wake the range when an install returns EEXIST (default true; false is a bug). */
  readonly wakeOnEexist?: boolean;
  /** Record REMOVE events so ballooned pages are refilled with zeros (default true; false is a bug). */
  readonly honourRemove?: boolean;
  /**
   * On EAGAIN with nothing to read, retry the install (default true). False waits for
   * poll() before retrying: a bug, since poll() may never fire again (review V1).
   */
  readonly retryEagain?: boolean;
}

/**
 * A reader's first step (step 0): wait for a message, read it, mark its page pending (a
 * REMOVE event marks its pages given up instead); then to step 1 (serve) if anything is pending.
 */
export function readerReadStep(honourRemove = true): Step {
  return {
    label: 'read',
    run(c) {
      c.guard(c.uffdReadable());
      const msg = c.uffdRead();
      const gfn = msg && (honourRemove || msg.event !== UFFD_EVENT_REMOVE) ? recordMessage(c, msg) : -1;
      if (gfn >= 0) setPending(c, gfn, true);
      c.goto(firstPending(c) >= 0 ? INSTALL : READ);
    },
  };
}

/** UFFDIO_WAKE of the page in register 0 (after an EEXIST); then serve the next pending page, or read. */
export function readerWakeStep(): Step {
  return {
    label: 'wake',
    run(c) {
      c.uffdWake(c.reg(0));
      c.goto(firstPending(c) >= 0 ? INSTALL : READ);
    },
  };
}

export function uffdReaderThread(name = 'uffd-reader', options: ReaderOptions = {}): HandlerThread {
  const wakeOnEexist = options.wakeOnEexist ?? true;
  const honourRemove = options.honourRemove ?? true;
  const retryEagain = options.retryEagain ?? true;
  return {
    name,
    regs: 1,
    steps: [
      readerReadStep(honourRemove),
      {
        label: 'install',
        run(c) {
          const gfn = firstPending(c);
          if (gfn < 0) return c.goto(READ);
          const err = install(c, gfn, true);
          if (err === Errno.EAGAIN) {
            // Deferred: read what is there first, else retry (the fault stays pending).
            if (!retryEagain || c.uffdReadable()) return c.goto(READ);
            c.note(`gfn ${gfn} deferred: retry`);
            return c.goto(INSTALL);
          }
          setPending(c, gfn, false);
          if (err === Errno.EEXIST && wakeOnEexist) {
            c.setReg(0, gfn);
            return c.goto(WAKE);
          }
          if (err !== 0 && err !== Errno.EEXIST) c.violate(VIOLATION.populateFailed, gfn, err, 0);
          c.goto(firstPending(c) >= 0 ? INSTALL : READ);
        },
      },
      readerWakeStep(),
    ],
  };
}

/** A reader thread when the configuration registered a userfaultfd (none otherwise). */
export function readerIfRegistered(env: Environment): readonly HandlerThread[] {
  return env.uffd >= 0 ? [uffdReaderThread()] : [];
}
