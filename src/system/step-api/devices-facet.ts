/** `c.devices`: device state restore that reads guest memory behind KVM's back (the arm64 ITS). */
import type { StepContext } from '../step-context.ts';

export class DevicesFacet {
  constructor(private readonly c: StepContext) {}

  /** KVM_SET_DEVICE_ATTR(GITS_BASER): where the ITS tables are. */
  itsSetBaser(gfns: readonly number[]): void {
    this.c.itsSetBaser(gfns);
  }

  /** One table read of KVM_DEV_ARM_ITS_RESTORE_TABLES. */
  itsRestoreTables(): 'blocked' | 'progress' | 'done' {
    return this.c.itsRestoreTables();
  }

  /** KVM_SET_DEVICE_ATTR(GITS_CTLR): enable the ITS. */
  itsSetCtlr(): void {
    this.c.itsSetCtlr();
  }
}
