/**
 * The control thread: restores devices and toggles memslot flags while the vCPUs run
 * (or before, with `vcpusWait`). Its steps come from the configuration's ControlPlan.
 */
import { VMM_TASK_BASE } from '../kvm/state.ts';
import { readBitmapBit } from '../mm/data-memory.ts';
import type { ControlPlan } from './config.ts';
import type { Environment } from './environment.ts';
import { DONE } from './state.ts';
import type { Step, ThreadSpec } from './thread.ts';

export const CONTROL_TASK = VMM_TASK_BASE;
/** The value the kvm-clock MSR restore writes (any value the guest did not write). */
export const KVM_CLOCK_CONTENT = 50;

function plannedSteps(plan: ControlPlan, env: Environment): Step[] {
  const steps: Step[] = [];
  if (plan.enableUserfault) steps.push({ label: 'enable-userfault', run: (c) => void c.setUserfaultFlag(true) });
  if (plan.toggleDirtyLog) {
    steps.push({ label: 'dirty-log-on', run: (c) => void c.setDirtyLogFlag(true) });
    steps.push({ label: 'dirty-log-off', run: (c) => void c.setDirtyLogFlag(false) });
  }
  const tables = plan.itsTables ?? [];
  if (tables.length > 0) {
    steps.push({ label: 'its-set-baser', run: (c) => c.itsSetBaser(tables) });
    steps.push({
      label: 'its-restore-tables',
      run(c) {
        const r = c.itsRestoreTables();
        if (r === 'progress') c.goto(c.pc);
      },
    });
    steps.push({ label: 'its-set-ctlr', run: (c) => c.itsSetCtlr() });
  }
  if (plan.kvmClockGfn !== undefined) {
    const gfn = plan.kvmClockGfn;
    steps.push({ label: 'restore-msr-kvm-clock', run: (c) => void c.kvmWriteGuest(gfn, KVM_CLOCK_CONTENT) });
    // KVM populated that page itself: the VMM clears its bit (as Firecracker does).
    if (env.bitmap !== 0) steps.push({ label: 'clear-kvm-clock-bit', run: (c) => c.setUserfaultBit(gfn, false) });
  }
  for (const gfn of plan.balloon ?? []) steps.push({ label: 'balloon', run: (c) => void c.balloon(gfn) });
  if (plan.disableUserfaultAtEnd && env.bitmap !== 0) {
    steps.push({
      label: 'disable-userfault',
      run(c) {
        // Once every page has arrived: the VMM has cleared every bit.
        c.guard(env.config.remote.every((g) => readBitmapBit(c.kernel.mm, env.bitmap, g) === false));
        c.setUserfaultFlag(false);
      },
    });
  }
  return steps;
}

export function controlThread(plan: ControlPlan, env: Environment): ThreadSpec | undefined {
  const steps = plannedSteps(plan, env);
  if (steps.length === 0) return undefined;
  return { name: 'control', kind: 'control', task: CONTROL_TASK, regs: 1, steps, after: DONE };
}
