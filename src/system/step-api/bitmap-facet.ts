/** `c.bitmap`: the memslots' userfault bitmaps, in VMM memory (one per memslot, bit gfn - base_gfn). */
import { readBitmapBit } from '../../mm/data-memory.ts';
import { userfaultBitOf } from '../guest-layout.ts';
import type { StepContext } from '../step-context.ts';

export class BitmapFacet {
  constructor(private readonly c: StepContext) {}

  /** Store the page's bit in its memslot's bitmap, bit gfn - base_gfn (clearing is a release store): one operation. */
  set(gfn: number, value: boolean): void {
    this.c.setUserfaultBit(gfn, value);
  }

  /**
   * Store bit `index` of memslot `slot`'s bitmap (slot as in c.env.slots): the raw store a
   * VMM makes after computing the index itself; the right index is gfn - slot.baseGfn.
   * One operation; 0, or EFAULT when the store misses the VMM's memory.
   */
  store(slot: number, index: number, value: boolean): number {
    return this.c.setSlotBitmapBit(slot, index, value);
  }

  /** The page's bit now (a load, not an operation); false when there is no bitmap. */
  isSet(gfn: number): boolean {
    const bit = userfaultBitOf(this.c.env, gfn);
    return bit !== undefined && readBitmapBit(this.c.kernel.mm, bit.bitmap, bit.index) === true;
  }
}
