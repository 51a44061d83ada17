// A pool of two identical userfaultfd readers (the same step objects), as a VMM with
// several fault-handling threads runs: each polls, reads one message, installs the page
// (zeros for a page the guest gave up) and wakes on EEXIST. They share only the kernel's
// queue and a per-gfn word, so the handler promises workersSymmetric.
import { defineHandler, Errno, PAGE_SIZE, UFFD_EVENT_PAGEFAULT, UFFD_EVENT_REMOVE, type HandlerThread } from 'kvmuf';

const GFN = 0; // register: the fault being served

const reader: HandlerThread = {
  name: 'reader0',
  regs: 1,
  steps: [
    { label: 'poll', run: (c) => void c.uffd.poll('finite') },
    {
      label: 'read',
      run(c) {
        const [msg] = c.uffd.read().msgs;
        if (msg?.event === UFFD_EVENT_REMOVE) {
          for (let a = msg.start; a < msg.end; a += PAGE_SIZE) c.setVmm(c.gfnOf(a), 1);
          return c.goto('poll');
        }
        if (msg?.event !== UFFD_EVENT_PAGEFAULT) return c.goto('poll');
        c.setReg(GFN, c.gfnOf(msg.address));
      },
    },
    {
      label: 'install',
      run(c) {
        const gfn = c.reg(GFN);
        const { errno } = c.vmm(gfn) === 1 ? c.uffd.zeropage(gfn) : c.uffd.copy(gfn);
        if (errno === Errno.EAGAIN) return c.retry(); // an event is in flight: try again
        if (errno !== 0 && errno !== Errno.EEXIST) c.panic(`install: errno ${errno}`);
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
};

export default defineHandler({
  name: 'two-readers',
  description: 'two identical userfaultfd readers sharing the queue',
  designs: ['uffd'],
  vcpuExit: [],
  workersSymmetric: true,
  vcpuSymmetric: true,
  vmmWords: (env) => env.config.pages, // per gfn: 1 once the guest gave the page up
  threads: () => [reader, { ...reader, name: 'reader1' }],
});
