// A plausible but wrong KVM Userfault handler: it clears the page's userfault bit
// first ("the page is on its way"), then installs the page.
import { defineHandler, REG_GFN } from 'kvmuf';

export default defineHandler({
  name: 'clear-first',
  description: 'clear the bit, then write the page into the guest_memfd',
  designs: ['kvm-userfault'],
  vcpuExit: [
    { label: 'clear-bit', run: (c) => c.setUserfaultBit(c.reg(REG_GFN), false) },
    { label: 'populate', run: (c) => void c.populate(c.reg(REG_GFN), { wake: false }) },
  ],
});
