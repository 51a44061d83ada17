/**
 * Kicking a vCPU: the VMM sends its thread a signal (QEMU's qemu_cpu_kick → SIG_IPI; the
 * way VMMs pause vCPUs before vCPU-exclusive ioctls and memslot updates). While the thread
 * is in KVM_RUN:
 * - in the guest, or halted in KVM: the run loop sees signal_pending() before the next
 *   guest entry and returns -EINTR with exit_reason KVM_EXIT_INTR (kvm_handle_signal_exit);
 * - asleep in userfaultfd under a stage-2 fault, x86: the slow GUP is FOLL_INTERRUPTIBLE
 *   (commit 766576874b97, "kvm: x86: Allow to respond to generic signals during slow PF"),
 *   so the wait ends (mm/uffd-signal.ts), hva_to_pfn returns KVM_PFN_ERR_SIGPENDING and
 *   KVM_RUN returns -EINTR with the fault dropped;
 * - the same on arm64: user_mem_abort's __kvm_faultin_pfn passes no FOLL_INTERRUPTIBLE,
 *   so GUP sleeps killable only and the wait goes on until the fault is served; the
 *   signal is seen at the next guest entry (inference from the arm64 call, which passes
 *   only FOLL_WRITE);
 * - installing under mmu_lock: the install finishes, then the next entry sees the signal.
 * Outside KVM_RUN the signal reaches the thread's (empty) handler in userspace and KVM
 * never sees it; VMMs pair the kick with a stop flag the thread reads before re-entering
 * (QEMU's cpu->stop), which the composed systems model as a guard on KVM_RUN.
 */
import { interruptUffdWait } from '../mm/uffd-signal.ts';
import { replaceAt } from '../mm/immutable.ts';
import type { KernelState, Vcpu } from './state.ts';
import { Errno, KVM_EXIT_INTR } from './uapi.ts';
import { SimulationUsageError } from './variant.ts';

/** pthread_kill() of vCPU `id`'s thread (a kick). */
export function kickVcpu(k: KernelState, id: number): KernelState {
  const v = k.vm.vcpus[id];
  if (!v) throw new SimulationUsageError(`no vCPU ${id}`);
  if (v.mode === 'user' || v.kicked) return k;
  let mm = k.mm;
  if (v.mode === 'uffd-wait' && k.config.variant.arch === 'x86') mm = interruptUffdWait(mm, id);
  return { ...k, mm, vm: { ...k.vm, vcpus: replaceAt(k.vm.vcpus, id, { ...v, kicked: true }) } };
}

/** Whether a pending signal ends KVM_RUN at this step (see above: not while installing, nor in an arm64 uffd wait). */
export function signalExitDue(k: KernelState, v: Vcpu): boolean {
  if (!v.kicked) return false;
  if (v.mode === 'guest' || v.mode === 'halted') return true;
  return v.mode === 'uffd-wait' && k.config.variant.arch === 'x86';
}

/** KVM_RUN returns -1/EINTR, KVM_EXIT_INTR; a fault in flight is dropped (the guest faults again later). */
export function signalExit(k: KernelState, v: Vcpu): KernelState {
  const { fault: _dropped, kicked: _seen, ...rest } = v;
  const next: Vcpu = { ...rest, mode: 'user', run: { ret: -1, errno: Errno.EINTR, exitReason: KVM_EXIT_INTR } };
  return { ...k, vm: { ...k.vm, vcpus: replaceAt(k.vm.vcpus, v.id, next) } };
}
