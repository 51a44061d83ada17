/**
 * The reference handler for KVM Userfault (v3): the vCPU thread that got the exit
 * installs the page (UFFDIO_COPY/CONTINUE with DONTWAKE, or write() into the
 * guest_memfd), then clears the bit, then re-enters (reference §4). EEXIST means another
 * thread installed it first. A userfaultfd reader runs alongside for KVM's own accesses.
 */
import { Errno } from '../kvm/uapi.ts';
import { VIOLATION } from '../system/state.ts';
import { install } from './page-book.ts';
import { defineHandler, REG_GFN, type HandlerStrategy } from './strategy.ts';
import { uffdReaderThread } from './uffd-reader.ts';

export const kvmUserfaultHandler: HandlerStrategy = defineHandler({
  name: 'kvm-userfault',
  description: 'vCPU thread: install (DONTWAKE), then clear the bit (release), then re-enter; a uffd reader serves KVM’s own accesses',
  designs: ['kvm-userfault'],
  vcpuExit: [
    {
      label: 'populate',
      run(c) {
        const err = install(c, c.reg(REG_GFN), false);
        if (err === Errno.EAGAIN) return c.goto(c.pc); // an event is pending: retry once it is read
        if (err !== 0 && err !== Errno.EEXIST) c.violate(VIOLATION.populateFailed, c.reg(REG_GFN), err, 0);
      },
    },
    { label: 'clear-bit', run: (c) => c.setUserfaultBit(c.reg(REG_GFN), false) },
  ],
  threads: (env) => (env.uffd >= 0 ? [uffdReaderThread()] : []),
});
