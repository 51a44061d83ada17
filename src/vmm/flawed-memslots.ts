/**
 * A wrong handler of the multi-memslot kind: it clears bit `gfn` of the faulting page's
 * memslot bitmap, where KVM reads bit `gfn - base_gfn` (the v3 series indexes each slot's
 * bitmap by the offset into the slot). On a single memslot at GPA 0 the two agree, so
 * the bug hides until the guest has memory above a hole: then the page's bit stays set
 * and the vCPU exits on it forever (or a neighbour's bit is cleared before its page is in).
 */
import { populateStep } from './exit-steps.ts';
import { defineHandler, REG_GFN, type HandlerStrategy } from './strategy.ts';
import { readerIfRegistered } from './uffd-reader.ts';

export const bitmapByGfnHandler: HandlerStrategy = defineHandler({
  name: 'bitmap-by-gfn',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'WRONG: clears bit gfn of the memslot’s userfault bitmap instead of bit gfn - base_gfn',
  designs: ['kvm-userfault'],
  vcpuExit: [
    populateStep(),
    {
      label: 'clear-bit',
      run(c) {
        const gfn = c.reg(REG_GFN);
        const slot = c.slotOf(gfn);
        if (slot) c.bitmap.store(slot.id, gfn, false);
      },
    },
  ],
  threads: readerIfRegistered,
});
