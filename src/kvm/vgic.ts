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
import { VMM_TASK_BASE, type KernelState, type VgicState } from './state.ts';
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
 * Whether the restored ITS tables map any LPI. Zero-filled tables hold no valid entry
 * (vgic_its_restore_collection_table and scan_its_table stop at the first invalid, zero,
 * entry), so a restore that read only zeros "succeeds" with nothing mapped (review M1).
 * An inference of the model: a table page is one value, valid when nonzero.
 */
function lpisMapped(vgic: VgicState): boolean {
  const n = vgic.itsTableGfns.length;
  return vgic.itsTablesRead.length >= n && vgic.itsTablesRead.slice(0, n).some((x) => x !== 0);
}

/**
 * The pages RESTORE_TABLES reads, in order: the ITS tables (collection, device, ITTs),
 * then, once they mapped an LPI, for its ITEs the LPI property table (vgic_add_lpi →
 * update_lpi_config reads PROPBASER + intid - 8192) and the target vCPU's pending table
 * (vgic_v3_lpi_sync_pending_status reads PENDBASER + intid / 8), each with
 * kvm_read_guest_lock (arch/arm64/kvm/vgic/vgic-its.c, vgic_its_restore_ite). The kernel
 * interleaves these reads with the ITT scan; here they follow the ITS tables (a
 * simplification: the same pages are read, in a different order).
 */
export function restorePlan(vgic: VgicState): readonly number[] {
  if (!lpisMapped(vgic)) return vgic.itsTableGfns;
  const lpiTables = [vgic.propTableGfn, vgic.pendingTableGfn].filter((g) => g >= 0);
  return [...vgic.itsTableGfns, ...lpiTables];
}

/**
 * KVM_DEV_ARM_ITS_RESTORE_TABLES, one table page per call (restorePlan). With no valid
 * BASER there is nothing to read. A read that fails ends the ioctl with its error.
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
  const next = restorePlan(vgic)[vgic.itsTablesRead.length];
  if (next === undefined) return done(withVgic(k, { ...vgic, itsTablesRestored: true }), ok());
  const r = kvmReadGuest(k, task, next * PAGE_SIZE);
  if (r.kind === 'blocked') return r;
  if (r.result.ret < 0) return done(withVgic(r.state, { ...vgic, itsTablesRead: [] }), r.result);
  const read = [...vgic.itsTablesRead, r.value];
  const state = withVgic(r.state, { ...vgic, itsTablesRead: read });
  if (read.length < restorePlan(state.vm.vgic).length) return { kind: 'progress', state };
  return done(withVgic(state, { ...vgic, itsTablesRead: read, itsTablesRestored: true }), ok());
}

/**
 * KVM_SET_DEVICE_ATTR of GITS_CBASER and GITS_CWRITER (restored before RESTORE_TABLES in
 * the documented order): the command queue's frame, and whether commands are queued
 * (CWRITER ahead of CREADR). vCPU-exclusive like every ITS register access.
 */
export function itsSetCmdQueue(k: KernelState, gpa: number, pending: boolean): DeviceAttrResult {
  requireArm64(k);
  if (!allVcpusLockable(k)) return { state: k, result: fail(Errno.EBUSY) };
  return { state: withVgic(k, { ...k.vm.vgic, cmdQueueGfn: Math.floor(gpa / PAGE_SIZE), cmdQueuePending: pending, cmdQueueRead: -1 }), result: ok() };
}

/**
 * KVM_SET_DEVICE_ATTR of GITS_CTLR: enables the ITS (last in the restore order). Turning
 * Enabled on with commands queued (CREADR != CWRITER) processes them at once:
 * vgic_mmio_write_its_ctlr → vgic_its_process_commands reads the command queue at CBASER
 * with kvm_read_guest_lock. That read may sleep in userfaultfd: the result then says
 * `blocked` and nothing changed but the sleeping task; the caller repeats the ioctl once
 * woken (a simplification of the ioctl sleeping inside).
 */
export function itsSetCtlr(k: KernelState, enabled: boolean, task = VMM_TASK_BASE): DeviceAttrResult & { readonly blocked?: true } {
  requireArm64(k);
  if (!allVcpusLockable(k)) return { state: k, result: fail(Errno.EBUSY) };
  const vgic = k.vm.vgic;
  if (enabled && !vgic.gitsCtlrEnabled && vgic.cmdQueueGfn >= 0 && vgic.cmdQueuePending) {
    const r = kvmReadGuest(k, task, vgic.cmdQueueGfn * PAGE_SIZE);
    if (r.kind === 'blocked') return { state: r.state, result: ok(), blocked: true };
    if (r.result.ret < 0) return { state: r.state, result: r.result };
    return { state: withVgic(r.state, { ...vgic, gitsCtlrEnabled: true, cmdQueuePending: false, cmdQueueRead: r.value }), result: ok() };
  }
  return { state: withVgic(k, { ...vgic, gitsCtlrEnabled: enabled }), result: ok() };
}

/** GICR_PENDBASER: the guest frame of the LPI pending table, and its PTZ bit (bit 62: "the table is all zeros"). */
export function gicrSetPendbaser(k: KernelState, gpa: number, ptz = false): KernelState {
  requireArm64(k);
  return withVgic(k, { ...k.vm.vgic, pendingTableGfn: Math.floor(gpa / PAGE_SIZE), pendingTableZero: ptz, pendingTableRead: -1 });
}

/** GICR_PROPBASER: the guest frame of the LPI configuration (property) table. */
export function gicrSetPropbaser(k: KernelState, gpa: number): KernelState {
  requireArm64(k);
  return withVgic(k, { ...k.vm.vgic, propTableGfn: Math.floor(gpa / PAGE_SIZE) });
}

/**
 * GICR_CTLR.EnableLPIs: vgic_enable_lpis syncs the pending state from the pending table
 * only when PENDBASER.PTZ is clear (`if (!(pendbaser & GICR_PENDBASER_PTZ))
 * its_sync_lpi_pending_table(vcpu)`), and its_sync_lpi_pending_table reads only the bytes
 * of LPIs already mapped to this vCPU (vgic_copy_lpi_list): no mapped LPI, no read.
 */
export function gicrEnableLpis(k: KernelState, task: number): RestoreOutcome {
  requireArm64(k);
  const vgic = k.vm.vgic;
  const gfn = vgic.pendingTableGfn;
  if (gfn < 0 || vgic.pendingTableZero || !lpisMapped(vgic)) return { kind: 'done', state: k, result: ok() };
  const r = kvmReadGuest(k, task, gfn * PAGE_SIZE);
  if (r.kind === 'blocked') return r;
  if (r.result.ret < 0) return { kind: 'done', state: r.state, result: r.result };
  return { kind: 'done', state: withVgic(r.state, { ...vgic, pendingTableRead: r.value }), result: ok() };
}
