/**
 * Plausible but wrong handlers, bundled so that kvmuf can show what it convicts them of
 * (and so the tests can prove that the checker has teeth).
 */
import { Errno } from '../kvm/uapi.ts';
import { clearBitStep, populateStep } from './exit-steps.ts';
import { install } from './page-book.ts';
import { defineHandler, REG_GFN, type HandlerStrategy } from './strategy.ts';
import { readerIfRegistered, uffdReaderThread } from './uffd-reader.ts';

/** Clears the userfault bit before the page is in place: another vCPU can slip through. */
export const clearBeforePopulateHandler: HandlerStrategy = defineHandler({
  name: 'clear-before-populate',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'WRONG: clears the bit first, then installs the page',
  designs: ['kvm-userfault'],
  vcpuExit: [clearBitStep(), populateStep()],
  threads: readerIfRegistered,
});

/** Never clears the bit: the vCPU exits on the same page forever. */
export const forgetsToClearHandler: HandlerStrategy = defineHandler({
  name: 'forgets-to-clear',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'WRONG: installs the page but never clears the userfault bit',
  designs: ['kvm-userfault'],
  vcpuExit: [populateStep()],
  threads: readerIfRegistered,
});

/** Its reader treats EEXIST as "done" and never wakes: a waiter can sleep forever. */
export const noWakeOnEexistHandler: HandlerStrategy = defineHandler({
  name: 'no-wake-on-eexist',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'WRONG: the uffd reader does not wake the range when its install returns EEXIST',
  designs: ['kvm-userfault', 'uffd', 'exit-on-missing'],
  vcpuExit: [
    populateStep(),
    {
      label: 'clear-bit',
      run(c) {
        if (c.env.bitmap !== 0) c.setUserfaultBit(c.reg(REG_GFN), false);
      },
    },
  ],
  threads: (env) => (env.uffd >= 0 ? [uffdReaderThread('uffd-reader', { wakeOnEexist: false })] : []),
});

/** The reference vCPU handling with no userfaultfd reader: nobody serves KVM's own accesses. */
export const noUffdReaderHandler: HandlerStrategy = defineHandler({
  name: 'no-uffd-reader',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'WRONG: registers a userfaultfd but runs no thread to read it',
  designs: ['kvm-userfault'],
  vcpuExit: [populateStep(), clearBitStep()],
});

/** Treats EEXIST as a failure and stops the vCPU: the loser of a race never finishes. */
export const eexistIsFatalHandler: HandlerStrategy = defineHandler({
  name: 'eexist-is-fatal',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'WRONG: a vCPU whose install returns EEXIST gives up',
  designs: ['kvm-userfault'],
  vcpuExit: [
    {
      label: 'populate',
      run(c) {
        const err = install(c, c.reg(REG_GFN), false);
        if (err === Errno.EAGAIN) return c.retry();
        c.goto(err === Errno.EEXIST ? 'gave-up' : 'clear-bit');
      },
    },
    // The vCPU thread parks here for good: the step is never enabled.
    { label: 'gave-up', run: (c) => c.guard(false) },
    clearBitStep(),
  ],
  threads: readerIfRegistered,
});

/**
 * Exit-on-missing without MADV_POPULATE_WRITE: treats EEXIST as "done" and re-enters. A
 * write to a page mapped from the zero page exits, COPY answers EEXIST, and the same
 * exit repeats forever (review V4).
 */
export const noPopulateWriteHandler: HandlerStrategy = defineHandler({
  name: 'no-populate-write',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'WRONG: exit-on-missing handler that re-enters on EEXIST without making the page writable',
  designs: ['exit-on-missing'],
  vcpuExit: [populateStep()],
  threads: () => [uffdReaderThread()],
});

/** Its reader reads REMOVE events but ignores them: a ballooned page comes back with the old content. */
export const ignoresRemoveHandler: HandlerStrategy = defineHandler({
  name: 'ignores-remove',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'WRONG: the uffd reader ignores REMOVE events and refills ballooned pages from the source',
  designs: ['uffd'],
  vcpuExit: [],
  threads: () => [uffdReaderThread('uffd-reader', { honourRemove: false })],
});
