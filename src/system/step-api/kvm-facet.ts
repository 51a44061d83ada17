/** `c.kvm`: KVM's own guest accesses and the demand-paging / async PF user interfaces. */
import type { Outcome, StepContext } from '../step-context.ts';

export class KvmFacet {
  constructor(private readonly c: StepContext) {}

  /** kvm_read_guest(): the value, or 'blocked'; checked against the ground truth. */
  readGuest(gfn: number): number | 'blocked' {
    return this.c.kvmReadGuest(gfn);
  }

  /** kvm_write_guest(): 'ok' or 'blocked'. */
  writeGuest(gfn: number, value: number): Outcome {
    return this.c.kvmWriteGuest(gfn, value);
  }

  /** KVM_MARK_GFNS_PRESENT (or NON_PRESENT) of the host page; 0 or errno. */
  markPresent(gfn: number, present = true): number {
    return this.c.markPresent(gfn, present);
  }

  /** KVM_ASYNC_PF_USER_READY; 0 or errno. */
  asyncPfUserReady(vcpu: number, token: number): number {
    return this.c.asyncPfUserReady(vcpu, token);
  }

  /** poll() on the demand-paging notification fd (a look, not an operation). */
  demandPagingReadable(): boolean {
    return this.c.demandPagingReadable();
  }

  /** read() of the demand-paging notification fd: the gfn KVM waits for, or undefined (EAGAIN). */
  demandPagingRead(): number | undefined {
    return this.c.demandPagingRead();
  }
}
