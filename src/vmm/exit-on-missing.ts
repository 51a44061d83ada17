/**
 * The reference handler for exit-on-missing (Anish Moorthy's series, reference §7): the
 * vCPU thread installs with UFFDIO_COPY without waking (nobody sleeps on a vCPU fault
 * that exited) and re-enters; a reader thread still serves KVM's own accesses.
 */
import { Errno } from '../kvm/uapi.ts';
import { VIOLATION } from '../system/state.ts';
import { install } from './page-book.ts';
import { defineHandler, REG_GFN, type HandlerStrategy } from './strategy.ts';
import { uffdReaderThread } from './uffd-reader.ts';

export const exitOnMissingHandler: HandlerStrategy = defineHandler({
  name: 'exit-on-missing',
  description: 'vCPU thread: UFFDIO_COPY (DONTWAKE) then re-enter; a uffd reader serves KVM’s own accesses',
  designs: ['exit-on-missing'],
  vcpuExit: [
    {
      label: 'populate',
      run(c) {
        const err = install(c, c.reg(REG_GFN), false);
        if (err === Errno.EAGAIN) return c.goto(c.pc);
        if (err !== 0 && err !== Errno.EEXIST) c.violate(VIOLATION.populateFailed, c.reg(REG_GFN), err, 0);
      },
    },
  ],
  threads: () => [uffdReaderThread()],
});
