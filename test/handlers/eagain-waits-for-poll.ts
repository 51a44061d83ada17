// The README's EAGAIN example: a userfaultfd reader that keeps a fault whose UFFDIO_COPY
// answered EAGAIN (a REMOVE event is in flight) and retries it only once poll() says
// there is something to read.
import { defineHandler, Errno, PAGE_SIZE, UFFD_EVENT_PAGEFAULT, UFFD_EVENT_REMOVE } from 'kvmuf';

const GFN = 0; // register: the fault being served
const DEFERRED = 1; // register: 1 while that fault waits for a retry

export default defineHandler({
  name: 'eagain-waits-for-poll',
  description: 'defers a fault on EAGAIN and retries it after the next poll()',
  designs: ['uffd'],
  vcpuExit: [],
  vmmWords: (env) => env.config.pages, // per gfn: 1 once the guest gave the page up
  threads: () => [
    {
      name: 'reader',
      regs: 2,
      steps: [
        { label: 'poll', run: (c) => void c.uffd.poll('infinite') },
        {
          label: 'read',
          run(c) {
            const [msg] = c.uffd.read().msgs;
            if (msg?.event === UFFD_EVENT_REMOVE) {
              for (let a = msg.start; a < msg.end; a += PAGE_SIZE) c.setVmm(c.gfnOf(a), 1);
            } else if (msg?.event === UFFD_EVENT_PAGEFAULT) {
              c.setReg(GFN, c.gfnOf(msg.address));
              c.setReg(DEFERRED, 1);
            }
            c.goto(c.reg(DEFERRED) === 1 ? 'install' : 'poll');
          },
        },
        {
          label: 'install',
          run(c) {
            const gfn = c.reg(GFN);
            const { errno } = c.vmm(gfn) === 1 ? c.uffd.zeropage(gfn) : c.uffd.copy(gfn);
            if (errno === Errno.EAGAIN) return c.goto('poll'); // deferred: retry after poll()
            if (errno !== 0 && errno !== Errno.EEXIST) c.panic(`install: errno ${errno}`);
            c.setReg(DEFERRED, 0);
            c.goto(errno === Errno.EEXIST ? 'wake' : 'poll');
          },
        },
        {
          label: 'wake',
          run(c) {
            c.uffd.wake(c.reg(GFN));
            c.goto('poll');
          },
        },
      ],
    },
  ],
});
