// The fix: install the page first (EEXIST means another vCPU won the race), then
// clear the bit, then re-enter KVM_RUN.
import { defineHandler, Errno, REG_GFN } from 'kvmuf';

export default defineHandler({
  name: 'populate-first',
  description: 'write the page into the guest_memfd, then clear the bit',
  designs: ['kvm-userfault'],
  vcpuExit: [
    {
      label: 'populate',
      run(c) {
        const err = c.populate(c.reg(REG_GFN), { wake: false });
        if (err !== 0 && err !== Errno.EEXIST) c.panic(`populate failed: errno ${err}`);
      },
    },
    { label: 'clear-bit', run: (c) => c.setUserfaultBit(c.reg(REG_GFN), false) },
  ],
});
