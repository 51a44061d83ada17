/** `c.memslots`: KVM_SET_USER_MEMORY_REGION2 flag changes on a memslot (`slot`: index into c.env.slots, default the first). */
import type { StepContext } from '../step-context.ts';

export class MemslotsFacet {
  constructor(private readonly c: StepContext) {}

  /** Toggle KVM_MEM_USERFAULT (waits while a vCPU fault sleeps in userfaultfd: SRCU); 0 or errno. */
  setUserfault(on: boolean, slot = 0): number {
    return this.c.setUserfaultFlag(on, slot);
  }

  /** Toggle KVM_MEM_LOG_DIRTY_PAGES; 0 or errno. */
  setDirtyLog(on: boolean, slot = 0): number {
    return this.c.setDirtyLogFlag(on, slot);
  }
}
