/**
 * The control thread: restores devices and toggles memslot flags while the vCPUs run
 * (or before, with `vcpusWait`). Its steps come from the configuration's ControlPlan.
 */
import { VMM_TASK_BASE } from '../kvm/state.ts';
import type { ControlPlan } from './config.ts';
import type { Environment } from './environment.ts';
import { DONE } from './state.ts';
import type { Step, ThreadSpec } from './thread.ts';
import type { StepContext } from './step-context.ts';
import { errnoName } from '../kvm/uapi.ts';

export const CONTROL_TASK = VMM_TASK_BASE;

const STOP_VCPUS = 'kick-vcpus';
const RESUME_AFTER = 'its-set-ctlr';

/**
 * Whether the control thread (at `pc`, with `kicked` vCPUs kicked so far at the kick step)
 * holds the vCPU threads out of KVM_RUN (the VMM's stop flag, QEMU's cpu->stop): from its
 * first kick until its last vCPU-exclusive ioctl has returned.
 */
export function stopsVcpus(spec: ThreadSpec, pc: number, kicked: number): boolean {
  const stop = spec.steps.findIndex((s) => s.label === STOP_VCPUS);
  const last = spec.steps.findIndex((s) => s.label === RESUME_AFTER);
  if (stop < 0) return false;
  return (pc === stop && kicked > 0) || (pc > stop && pc <= last);
}

function plannedSteps(plan: ControlPlan, env: Environment): Step[] {
  const steps: Step[] = [];
  // Memslot flags are per slot: one KVM_SET_USER_MEMORY_REGION2 (one step) per memslot.
  const slots = env.slots.map((_, i) => i);
  if (plan.enableUserfault) for (const i of slots) steps.push({ label: 'enable-userfault', run: (c) => void c.setUserfaultFlag(true, i) });
  if (plan.toggleDirtyLog) {
    for (const i of slots) steps.push({ label: 'dirty-log-on', run: (c) => void c.setDirtyLogFlag(true, i) });
    for (const i of slots) steps.push({ label: 'dirty-log-off', run: (c) => void c.setDirtyLogFlag(false, i) });
  }
  const tables = plan.itsTables ?? [];
  if (tables.length > 0) {
    // The ITS ioctls are vCPU-exclusive (lock_all_vcpus → -EBUSY while any vCPU is in
    // KVM_RUN; review M1). Unless the vCPUs have not started (vcpusWait), the VMM stops
    // them first, as QEMU's pause_all_vcpus does: raise the stop flag and kick each vCPU
    // thread (KVM_RUN returns -EINTR), wait until every one is out of KVM_RUN, then make
    // the ioctls; the vCPUs re-enter once the last one is done (see stopsVcpus).
    if (!plan.vcpusWait) {
      steps.push({
        label: STOP_VCPUS,
        run(c) {
          const next = c.reg(0);
          c.kick(next);
          if (next + 1 < env.config.vcpus) {
            c.setReg(0, next + 1);
            c.goto(c.pc);
          } else c.setReg(0, 0);
        },
      });
      steps.push({ label: 'wait-vcpus-out', run: (c) => c.guard(c.kernel.vm.vcpus.every((v) => v.mode === 'user')) });
    }
    // A failed restore ioctl (EBUSY: a vCPU still in KVM_RUN) aborts the restore: the VMM exits.
    const must = (c: StepContext, what: string, err: number) => {
      if (err !== 0) c.panic(`${what} failed: ${errnoName(err)}`);
    };
    steps.push({ label: 'its-set-baser', run: (c) => must(c, 'KVM_SET_DEVICE_ATTR(GITS_BASER)', c.itsSetBaser(tables)) });
    steps.push({
      label: 'its-restore-tables',
      run(c) {
        const r = c.itsRestoreTables();
        if (r === 'progress') c.goto(c.pc);
        if (r === 'done' && !c.kernel.vm.vgic.itsTablesRestored) c.panic('KVM_DEV_ARM_ITS_RESTORE_TABLES failed');
      },
    });
    steps.push({ label: RESUME_AFTER, run: (c) => must(c, 'KVM_SET_DEVICE_ATTR(GITS_CTLR)', c.itsSetCtlr()) });
  }
  if (plan.kvmClockGfn !== undefined) {
    const gfn = plan.kvmClockGfn;
    // Activates vCPU 0's pvclock cache; KVM writes its 32 bytes at vCPU 0's next KVM_RUN
    // (src/kvm/pvclock.ts). KVM_SET_MSRS is a vCPU ioctl: the step waits until vCPU 0 is out
    // of KVM_RUN (vcpu->mutex), and while its GUP sleeps in userfaultfd vCPU 0 cannot enter.
    steps.push({ label: 'restore-msr-kvm-clock', run: (c) => void c.kvm.setSystemTimeMsr(0, gfn) });
    // The VMM believes KVM populated that page itself and clears its bit (as Firecracker
    // does): right only if nothing else on that page is still owed by the source.
    if (env.bitmap !== 0) steps.push({ label: 'clear-kvm-clock-bit', run: (c) => c.setUserfaultBit(gfn, false) });
  }
  if (plan.stealTimeGfn !== undefined) {
    const gfn = plan.stealTimeGfn;
    // Only records the gpa; record_steal_time writes at vCPU 0's next KVM_RUN, through the
    // host mapping (src/kvm/steal-time.ts). Like the kvm-clock page, the VMM clears the
    // bit, believing KVM populated the page: right only if the rest of the page has arrived.
    steps.push({ label: 'restore-msr-steal-time', run: (c) => void c.kvm.setStealTimeMsr(0, gfn) });
    if (env.bitmap !== 0) steps.push({ label: 'clear-steal-time-bit', run: (c) => c.setUserfaultBit(gfn, false) });
  }
  for (const gfn of plan.balloon ?? []) steps.push({ label: 'balloon', run: (c) => void c.balloon(gfn) });
  if (plan.disableUserfaultAtEnd && env.bitmap !== 0) {
    for (const i of slots) {
      steps.push({
        label: 'disable-userfault',
        run(c) {
          // Once every page has arrived: the VMM has cleared every bit.
          c.guard(env.config.remote.every((g) => !c.bitmap.isSet(g)));
          c.setUserfaultFlag(false, i);
        },
      });
    }
  }
  return steps;
}

export function controlThread(plan: ControlPlan, env: Environment): ThreadSpec | undefined {
  const steps = plannedSteps(plan, env);
  if (steps.length === 0) return undefined;
  return { name: 'control', kind: 'control', task: CONTROL_TASK, regs: 1, steps, after: DONE };
}
