/**
 * Firecracker's shape for KVM Userfault: the vCPU thread that got the exit does not
 * install the page itself; it posts a request to the VMM's page-fault handler thread and
 * waits on a condition variable until the handler replies; the handler installs the page
 * (write() into the guest_memfd, or UFFDIO_COPY/CONTINUE), clears the bit, and replies.
 *
 * Mailbox: VMM word `pages + v` holds vCPU v's request (gfn + 1, or 0 when none).
 */
import { Errno } from '../kvm/uapi.ts';
import { VIOLATION } from '../system/state.ts';
import type { StepContext } from '../system/step-context.ts';
import { install } from './page-book.ts';
import { defineHandler, REG_GFN, type HandlerStrategy } from './strategy.ts';
import { readerIfRegistered } from './uffd-reader.ts';

const mailbox = (c: StepContext, v: number) => c.env.config.pages + v;

function firstRequest(c: StepContext): number {
  for (let v = 0; v < c.env.config.vcpus; v++) if (c.vmm(mailbox(c, v)) !== 0) return v;
  return -1;
}

export const populateOnRequestHandler: HandlerStrategy = defineHandler({
  name: 'populate-on-request',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'vCPU posts the fault to a handler thread and waits; the handler installs, clears the bit, replies',
  designs: ['kvm-userfault'],
  vmmWords: (env) => env.config.pages + env.config.vcpus,
  vcpuExit: [
    {
      label: 'request',
      run(c) {
        const v = c.spec.vcpu ?? 0;
        c.setVmm(mailbox(c, v), c.reg(REG_GFN) + 1);
        c.note(`request gfn ${c.reg(REG_GFN)}`);
      },
    },
    {
      label: 'wait-reply',
      run(c) {
        c.guard(c.vmm(mailbox(c, c.spec.vcpu ?? 0)) === 0);
        c.note('reply received');
      },
    },
  ],
  threads: (env) => [
    {
      name: 'fault-handler',
      regs: 1,
      steps: [
        {
          label: 'install',
          run(c) {
            const v = firstRequest(c);
            c.guard(v >= 0);
            const gfn = c.vmm(mailbox(c, v)) - 1;
            const err = install(c, gfn, false);
            if (err === Errno.EAGAIN) return c.goto(0);
            if (err !== 0 && err !== Errno.EEXIST) c.violate(VIOLATION.populateFailed, gfn, err, 0);
            c.setReg(0, v);
          },
        },
        { label: 'clear-bit', run: (c) => c.setUserfaultBit(c.vmm(mailbox(c, c.reg(0))) - 1, false) },
        {
          label: 'reply',
          run(c) {
            c.setVmm(mailbox(c, c.reg(0)), 0);
            c.note(`reply to vcpu${c.reg(0)}`);
          },
        },
      ],
    },
    ...readerIfRegistered(env),
  ],
});
