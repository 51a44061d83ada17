/**
 * The arm64 VGIC state that lives in guest memory (reference §6): the ITS tables, re-read
 * by KVM_DEV_ARM_ITS_RESTORE_TABLES, and a redistributor's LPI pending table, read when
 * LPIs are enabled. Both read through kvm_read_guest from the VMM thread making the
 * ioctl, one table page per step, bypassing the userfault bitmap.
 *
 * The ITS device ioctls are vCPU-exclusive (review M1): vgic_its_ctrl (RESTORE_TABLES)
 * and vgic_its_attr_regs_access (GITS_BASER, GITS_CTLR) call lock_all_vcpus()
 * (arch/arm64/kvm/vgic/vgic-its.c, read_file id 650365668; kvm_trylock_all_vcpus in newer
 * trees), a trylock of every vcpu->mutex, which KVM_RUN holds for the whole ioctl, asleep
 * in userfaultfd included: with any vCPU in KVM_RUN they fail with -EBUSY. RESTORE_TABLES
 * keeps every vCPU mutex while it reads, so while it sleeps in userfaultfd no KVM_RUN can
 * start (vcpuMutexFree in vcpu.ts).
 */
import { kvmReadGuest } from './kvm-access.ts';
import type { KernelState, VgicState } from './state.ts';
import { Errno, PAGE_SIZE, fail, ok, type SysResult } from './uapi.ts';
import { SimulationUsageError } from './variant.ts';

export type RestoreOutcome =
  | { readonly kind: 'blocked'; readonly state: KernelState }
  /** One more table page was read; call again to go on. */
  | { readonly kind: 'progress'; readonly state: KernelState }
  | { readonly kind: 'done'; readonly state: KernelState; readonly result: SysResult };

function requireArm64(k: KernelState): void {
  if (k.config.variant.arch !== 'arm64') throw new SimulationUsageError('the VGIC ITS exists only on arm64');
}

function withVgic(k: KernelState, vgic: VgicState): KernelState {
  return { ...k, vm: { ...k.vm, vgic } };
}

/** lock_all_vcpus(): fails (the ioctl returns -EBUSY) while any vCPU is in KVM_RUN. */
export function allVcpusLockable(k: KernelState): boolean {
  return k.vm.vcpus.every((v) => v.mode === 'user');
}

export interface DeviceAttrResult {
  readonly state: KernelState;
  readonly result: SysResult;
}

/** KVM_SET_DEVICE_ATTR of the GITS_BASER registers: where the ITS tables are. */
export function itsSetBaser(k: KernelState, tableGpas: readonly number[]): DeviceAttrResult {
  requireArm64(k);
  if (!allVcpusLockable(k)) return { state: k, result: fail(Errno.EBUSY) };
  const itsTableGfns = tableGpas.map((gpa) => Math.floor(gpa / PAGE_SIZE));
  return { state: withVgic(k, { ...k.vm.vgic, itsTableGfns, itsTablesRead: [], itsTablesRestored: false }), result: ok() };
}

/**
 * KVM_DEV_ARM_ITS_RESTORE_TABLES, one table page per call. With no valid BASER there is
 * nothing to read. A read that fails ends the ioctl with its error.
 */
export function itsRestoreTables(k: KernelState, task: number): RestoreOutcome {
  requireArm64(k);
  if (k.vm.vgic.vcpusLocked !== true) {
    // The ioctl begins: lock_all_vcpus, held until it returns.
    if (!allVcpusLockable(k)) return { kind: 'done', state: k, result: fail(Errno.EBUSY) };
    k = withVgic(k, { ...k.vm.vgic, vcpusLocked: true });
  }
  const done = (state: KernelState, result: SysResult): RestoreOutcome => {
    const { vcpusLocked: _unlocked, ...vgic } = state.vm.vgic;
    return { kind: 'done', state: withVgic(state, vgic), result };
  };
  const vgic = k.vm.vgic;
  const next = vgic.itsTableGfns[vgic.itsTablesRead.length];
  if (next === undefined) return done(withVgic(k, { ...vgic, itsTablesRestored: true }), ok());
  const r = kvmReadGuest(k, task, next * PAGE_SIZE);
  if (r.kind === 'blocked') return r;
  if (r.result.ret < 0) return done(withVgic(r.state, { ...vgic, itsTablesRead: [] }), r.result);
  const read = [...vgic.itsTablesRead, r.value];
  const state = withVgic(r.state, { ...vgic, itsTablesRead: read });
  if (read.length < vgic.itsTableGfns.length) return { kind: 'progress', state };
  return done(withVgic(state, { ...vgic, itsTablesRead: read, itsTablesRestored: true }), ok());
}

/** KVM_SET_DEVICE_ATTR of GITS_CTLR: enables the ITS (last in the restore order). */
export function itsSetCtlr(k: KernelState, enabled: boolean): DeviceAttrResult {
  requireArm64(k);
  if (!allVcpusLockable(k)) return { state: k, result: fail(Errno.EBUSY) };
  return { state: withVgic(k, { ...k.vm.vgic, gitsCtlrEnabled: enabled }), result: ok() };
}

/** GICR_PENDBASER: the guest frame of the LPI pending table. */
export function gicrSetPendbaser(k: KernelState, gpa: number): KernelState {
  requireArm64(k);
  return withVgic(k, { ...k.vm.vgic, pendingTableGfn: Math.floor(gpa / PAGE_SIZE), pendingTableRead: -1 });
}

/** GICR_CTLR.EnableLPIs: KVM syncs the pending state from the pending table in guest memory. */
export function gicrEnableLpis(k: KernelState, task: number): RestoreOutcome {
  requireArm64(k);
  const gfn = k.vm.vgic.pendingTableGfn;
  if (gfn < 0) return { kind: 'done', state: k, result: ok() };
  const r = kvmReadGuest(k, task, gfn * PAGE_SIZE);
  if (r.kind === 'blocked') return r;
  if (r.result.ret < 0) return { kind: 'done', state: r.state, result: r.result };
  return { kind: 'done', state: withVgic(r.state, { ...k.vm.vgic, pendingTableRead: r.value }), result: ok() };
}
