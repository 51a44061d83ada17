// The README's multi-slot example: a KVM Userfault handler that clears bit `gfn` of the
// faulting page's memslot bitmap. KVM reads bit `gfn - base_gfn`; the two agree only
// for a memslot at GPA 0.
import { defineHandler, Errno, REG_GFN } from 'kvmuf';

export default defineHandler({
  name: 'bit-by-gfn',
  description: 'install the page, then clear bit gfn of its memslot bitmap',
  designs: ['kvm-userfault'],
  vcpuExit: [
    {
      label: 'populate',
      run(c) {
        const err = c.populate(c.reg(REG_GFN), { wake: false });
        if (err !== 0 && err !== Errno.EEXIST) c.panic(`populate: errno ${err}`);
      },
    },
    {
      label: 'clear-bit',
      run(c) {
        const gfn = c.reg(REG_GFN);
        const slot = c.slotOf(gfn);
        if (!slot) return c.panic(`gfn ${gfn} is in no memslot`);
        c.bitmap.store(slot.id, gfn, false); // the index should be gfn - slot.baseGfn
      },
    },
  ],
});
