/** `c.bitmap`: the memslot's userfault bitmap, in VMM memory. */
import { readBitmapBit } from '../../mm/data-memory.ts';
import type { StepContext } from '../step-context.ts';

export class BitmapFacet {
  constructor(private readonly c: StepContext) {}

  /** Store the page's bit (clearing is a release store): one operation. */
  set(gfn: number, value: boolean): void {
    this.c.setUserfaultBit(gfn, value);
  }

  /** The page's bit now (a load, not an operation); false when there is no bitmap. */
  isSet(gfn: number): boolean {
    return this.c.env.bitmap !== 0 && readBitmapBit(this.c.kernel.mm, this.c.env.bitmap, gfn) === true;
  }
}
