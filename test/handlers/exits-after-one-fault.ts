// The README's "a handler that dies" example: a userfaultfd reader that exits after the
// first fault it serves (a crash, or a handler that believes restore is over).
import { defineHandler, DONE, Errno, PAGE_SIZE, UFFD_EVENT_PAGEFAULT } from 'kvmuf';

export default defineHandler({
  name: 'exits-after-one-fault',
  description: 'serves one fault, then exits (its userfaultfd closes with it)',
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
            if (msg?.event !== UFFD_EVENT_PAGEFAULT) return c.goto('poll');
            const gfn = (msg.address - env.hva) / PAGE_SIZE;
            c.setReg(0, gfn - (gfn % env.hostPagePages));
          },
        },
        {
          label: 'copy',
          run(c) {
            const { errno } = c.uffd.copy(c.reg(0));
            if (errno !== 0 && errno !== Errno.EEXIST) c.panic(`UFFDIO_COPY: errno ${errno}`);
          },
        },
        {
          label: 'exit',
          run(c) {
            c.uffd.close();
            c.goto(DONE);
          },
        },
      ],
    },
  ],
});
