/**
 * A vCPU thread: KVM_RUN, then one step per guest access or fault phase; a memory-fault
 * exit hands over to the strategy's exit steps, after which the thread re-enters.
 * It also checks every guest access against the ground truth and records guest writes.
 */
import type { Vcpu } from '../kvm/state.ts';
import { Errno, KVM_EXIT_HLT, KVM_EXIT_INTR, KVM_EXIT_MEMORY_FAULT, KVM_EXIT_MMIO, PAGE_SIZE } from '../kvm/uapi.ts';
import { vcpuAt, vcpuMutexFree, vcpuRunnable } from '../kvm/vcpu.ts';
import { REG_FLAGS, REG_GFN, REG_TOKEN, type HandlerStrategy } from '../vmm/strategy.ts';
import type { StepContext } from './step-context.ts';
import { backingContent } from './backing.ts';
import { ABSENT } from '../mm/host-memory.ts';
import { DONE, VIOLATION } from './state.ts';
import { judgeAccess, pvclockWritten, stealTimeWritten } from './guest-access-truth.ts';
import type { Step, ThreadSpec } from './thread.ts';

export const VCPU_ENTER = 0;
export const VCPU_RUN = 1;
export const VCPU_EXIT_STEPS = 2;

function describeRun(v: Vcpu): string {
  const r = v.run;
  if (r.exitReason === KVM_EXIT_MEMORY_FAULT && r.ret < 0 && r.memoryFault) {
    const token = r.memoryFault.token !== undefined ? ` token 0x${r.memoryFault.token.toString(16)}` : '';
    return `KVM_RUN → -EFAULT, KVM_EXIT_MEMORY_FAULT gpa 0x${r.memoryFault.gpa.toString(16)} flags 0x${r.memoryFault.flags.toString(16)}${token}`;
  }
  if (r.exitReason === KVM_EXIT_HLT && r.ret === 0) return 'KVM_RUN → 0, KVM_EXIT_HLT (program done)';
  if (r.exitReason === KVM_EXIT_MMIO && r.ret === 0) return 'KVM_RUN → 0, KVM_EXIT_MMIO';
  if (r.exitReason === KVM_EXIT_INTR && r.ret < 0) return 'KVM_RUN → -EINTR, KVM_EXIT_INTR (kicked)';
  return `KVM_RUN → ${r.ret}, errno ${r.errno}`;
}

function runStep(vcpu: number, strategy: HandlerStrategy): Step {
  return {
    label: 'run',
    run(c: StepContext) {
      c.guard(vcpuRunnable(c.kernel, vcpu));
      const before = vcpuAt(c.kernel, vcpu);
      c.vcpuStep(vcpu);
      const after = vcpuAt(c.kernel, vcpu);
      const access = after.lastAccess;
      if (access && access !== before.lastAccess) {
        judgeAccess(c, access);
      } else if (before.pvclockPending !== undefined && after.pvclockPending === undefined) {
        pvclockWritten(c, before.pvclockPending);
      } else if (before.stealTimePending !== undefined && after.stealTimePending === undefined) {
        stealTimeWritten(c, before.stealTimePending);
      } else if (after.mode === 'uffd-wait' && before.mode !== 'uffd-wait') {
        const what = after.fault?.pvclock === true ? 'kvm_guest_time_update: the pvclock cache refresh' : after.fault?.stealTime === true ? "record_steal_time: the user access" : 'stage-2 fault';
        c.note(`${what} on gfn ${after.fault?.gfn}: GUP sleeps in userfaultfd`);
      } else if (after.mode === 'install') {
        const gfn = after.fault?.gfn ?? 0;
        const zeroFilled = backingContent(c.initial, c.env, gfn) === ABSENT && backingContent(c.sys, c.env, gfn) === 0;
        c.note(`stage-2 fault on gfn ${gfn}: pfn found${zeroFilled ? ' (no page there: a zero page is allocated)' : ''}`);
      } else if (after.mode === 'halted') {
        c.note('halts until a page is ready (async PF user)');
      } else if (before.mode === 'halted') {
        c.note('woken: a page is ready');
      } else if (after.mode === 'guest' && before.mode !== 'guest') {
        c.note('fault retried');
      }
      if (after.mode !== 'user') return c.goto(VCPU_RUN);
      c.note(describeRun(after));
      const r = after.run;
      // The program is finished only when no op is left parked on an async PF.
      if (r.ret === 0 && r.exitReason === KVM_EXIT_HLT) return c.goto(after.parked.length === 0 ? DONE : VCPU_ENTER);
      if (r.ret === 0 && r.exitReason === KVM_EXIT_MMIO) return c.goto(VCPU_ENTER);
      // Kicked: back to userspace, where the VMM's stop flag holds the thread (waitForControl).
      if (r.ret < 0 && r.errno === Errno.EINTR && r.exitReason === KVM_EXIT_INTR) return c.goto(VCPU_ENTER);
      if (r.ret < 0 && r.exitReason === KVM_EXIT_MEMORY_FAULT && r.memoryFault && after.run !== before.run) {
        c.setReg(REG_GFN, r.memoryFault.gpa / PAGE_SIZE);
        c.setReg(REG_FLAGS, r.memoryFault.flags);
        if (r.memoryFault.token !== undefined || c.reg(REG_TOKEN) !== 0) c.setReg(REG_TOKEN, r.memoryFault.token ?? 0);
        return c.goto(strategy.vcpuExit.length > 0 ? VCPU_EXIT_STEPS : VCPU_ENTER);
      }
      // A bare -EFAULT (or anything else): the VMM has nothing to act on.
      c.violate(VIOLATION.kvmRunFailed, -1, r.errno, 0);
      c.goto(DONE);
    },
  };
}

export function vcpuThread(vcpu: number, strategy: HandlerStrategy, waitForControl: (c: StepContext) => boolean): ThreadSpec {
  const enter: Step = {
    label: 'KVM_RUN',
    run(c) {
      // KVM_RUN sleeps on vcpu->mutex while a device ioctl holds every vCPU's (lock_all_vcpus).
      c.guard(vcpuAt(c.kernel, vcpu).mode === 'user' && vcpuMutexFree(c.kernel, vcpu) && waitForControl(c));
      c.kvmRun(vcpu);
      c.goto(VCPU_RUN);
    },
  };
  return {
    name: `vcpu${vcpu}`,
    kind: 'vcpu',
    task: vcpu,
    vcpu,
    regs: 4,
    steps: [enter, runStep(vcpu, strategy), ...strategy.vcpuExit],
    labelBase: VCPU_EXIT_STEPS,
    after: VCPU_ENTER,
  };
}
