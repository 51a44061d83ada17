// The README's REMOVE example: a userfaultfd reader that reads REMOVE events and drops
// them, so a page the guest gave up is refilled from the source instead of with zeros.
import { defineHandler, Errno, PAGE_SIZE, UFFD_EVENT_PAGEFAULT } from 'kvmuf';

export default defineHandler({
  name: 'ignores-remove-events',
  description: 'serves faults with the source content, and ignores REMOVE events',
  designs: ['uffd'],
  vcpuExit: [],
  threads: (env) => [
    {
      name: 'reader',
      steps: [
        { label: 'poll', run: (c) => void c.uffd.poll('infinite') },
        {
          label: 'read',
          run(c) {
            const [msg] = c.uffd.read().msgs;
            if (msg?.event !== UFFD_EVENT_PAGEFAULT) return c.goto('poll'); // a REMOVE event: dropped
            c.setReg(0, (msg.address - env.hva) / PAGE_SIZE);
          },
        },
        {
          label: 'copy',
          run(c) {
            const { errno } = c.uffd.copy(c.reg(0));
            if (errno === Errno.EAGAIN) return c.retry(); // an event is in flight: try again
            if (errno !== 0 && errno !== Errno.EEXIST) c.panic(`UFFDIO_COPY: errno ${errno}`);
            if (errno === 0) c.goto('poll');
          },
        },
        { label: 'wake', run: (c) => void c.uffd.wake(c.reg(0)) },
      ],
    },
  ],
});
