/** `c.gmem`: the guest_memfd (its write() populate series). */
import type { StepContext } from '../step-context.ts';

export class GmemFacet {
  constructor(private readonly c: StepContext) {}

  /** write(2) of the page's source content (or `content`); 0 or errno (see c.gmemWrite). */
  write(gfn: number, content?: number): number {
    return content === undefined ? this.c.gmemWrite(gfn) : this.c.gmemWrite(gfn, content);
  }
}
