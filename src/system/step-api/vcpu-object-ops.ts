/**
 * The kernel operations of the step API that read or write a vCPU object other than
 * through guest memory: entering or stepping KVM_RUN, a kick (pthread_kill: KVM_RUN
 * returns -EINTR, src/kvm/kick.ts), KVM_ASYNC_PF_USER_READY (the vCPU's parked op,
 * src/kvm/async-pf-user.ts), KVM_SET_MSRS (vcpu->mutex and its pvclock cache,
 * src/kvm/pvclock.ts), and the ITS ioctls (lock_all_vcpus: every vCPU's mode and mutex,
 * src/kvm/vgic.ts). A handler that promises `leavesVcpusAlone` (HandlerStrategy) performs
 * none of them; the step context checks it. Partial-order reduction (partial-order.ts)
 * relies on the promise: with it, KVM_RUN entry commutes with every handler step.
 */
const VCPU_OBJECT_OPS: ReadonlySet<string> = new Set([
  'KVM_RUN',
  'vCPU step',
  'kick',
  'KVM_ASYNC_PF_USER_READY',
  'KVM_SET_MSRS',
  'KVM_SET_DEVICE_ATTR(GITS_BASER)',
  'KVM_SET_DEVICE_ATTR(GITS_CTLR)',
  'KVM_DEV_ARM_ITS_RESTORE_TABLES',
]);

export function touchesVcpuObject(op: string): boolean {
  return VCPU_OBJECT_OPS.has(op);
}
