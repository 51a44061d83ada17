/** `c.kvm`: KVM's own guest accesses and the demand-paging / async PF user interfaces. */
import { PAGE_SIZE } from '../../kvm/uapi.ts';
import { setSystemTimeMsr } from '../../kvm/pvclock.ts';
import { setStealTimeMsr, STEAL_TIME_OFFSET } from '../../kvm/steal-time.ts';
import type { Outcome, StepContext } from '../step-context.ts';
import type { OpHost } from './op-host.ts';
import { StepApiMisuse } from '../step-errors.ts';

export class KvmFacet {
  constructor(
    private readonly h: OpHost,
    private readonly c: StepContext,
  ) {}

  /**
   * KVM_SET_MSRS(MSR_KVM_SYSTEM_TIME_NEW) of `vcpu` with the pvclock at the start of
   * `gfn`: activates the pvclock cache (a GUP for writing, which may sleep in userfaultfd:
   * 'blocked', the step runs again once woken); KVM writes the 32 bytes at that vCPU's next
   * guest entry (src/kvm/pvclock.ts, review M6). 'ok' or 'blocked'.
   */
  setSystemTimeMsr(vcpu: number, gfn: number): Outcome {
    this.h.page(gfn, 'KVM_SET_MSRS(MSR_KVM_SYSTEM_TIME_NEW)');
    this.checkVcpu(vcpu);
    // kvm_vcpu_ioctl: mutex_lock_killable(&vcpu->mutex), held by KVM_RUN for its whole
    // run (read_file id 6153473596): the ioctl waits until the vCPU is out of KVM_RUN.
    // Its guard reads the vCPU's mode: the leavesVcpusAlone promise is checked before it.
    this.h.vcpuObjectOp('KVM_SET_MSRS');
    this.c.guard(this.h.kernel().vm.vcpus[vcpu]?.mode === 'user');
    this.h.op('KVM_SET_MSRS');
    const r = setSystemTimeMsr(this.h.kernel(), this.h.task, vcpu, gfn * PAGE_SIZE);
    this.h.setKernel(r.state);
    if (r.kind === 'blocked') return this.h.sleep(`KVM_SET_MSRS(MSR_KVM_SYSTEM_TIME_NEW) gfn ${gfn}: the pvclock cache's GUP`);
    this.h.note(`KVM_SET_MSRS(MSR_KVM_SYSTEM_TIME_NEW) vcpu ${vcpu} gfn ${gfn}: pvclock cache active, written at the next KVM_RUN`);
    return 'ok';
  }

  /**
   * KVM_SET_MSRS(MSR_KVM_STEAL_TIME) of `vcpu` with its struct kvm_steal_time at
   * STEAL_TIME_OFFSET of `gfn`: records the gpa and raises KVM_REQ_STEAL_UPDATE, no access
   * to guest memory; record_steal_time writes at that vCPU's next guest entry, through the
   * host mapping, where it may sleep in userfaultfd (src/kvm/steal-time.ts). Always 'ok'.
   */
  setStealTimeMsr(vcpu: number, gfn: number): Outcome {
    this.h.page(gfn, 'KVM_SET_MSRS(MSR_KVM_STEAL_TIME)');
    this.checkVcpu(vcpu);
    // A vCPU ioctl: it waits for vcpu->mutex, which KVM_RUN holds (see setSystemTimeMsr).
    this.c.guard(this.h.kernel().vm.vcpus[vcpu]?.mode === 'user');
    this.h.op('KVM_SET_MSRS');
    this.h.setKernel(setStealTimeMsr(this.h.kernel(), vcpu, gfn * PAGE_SIZE + STEAL_TIME_OFFSET));
    this.h.note(`KVM_SET_MSRS(MSR_KVM_STEAL_TIME) vcpu ${vcpu} gfn ${gfn}: KVM_REQ_STEAL_UPDATE, written at the next KVM_RUN`);
    return 'ok';
  }

  private checkVcpu(vcpu: number): void {
    const vcpus = this.h.env.config.vcpus;
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= vcpus) {
      throw new StepApiMisuse(`KVM_SET_MSRS: vCPU ${String(vcpu)} is not a vCPU of the configuration (0..${vcpus - 1})`, 'pass a vCPU index, e.g. 0');
    }
  }

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

  /** pthread_kill() of a vCPU thread (a kick): in KVM_RUN it returns -EINTR (src/kvm/kick.ts). */
  kick(vcpu: number): void {
    this.c.kick(vcpu);
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
