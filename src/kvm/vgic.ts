/**
 * The arm64 VGIC state that lives in guest memory (reference §6): the ITS tables, re-read
 * by KVM_DEV_ARM_ITS_RESTORE_TABLES, and a redistributor's LPI pending table, read when
 * LPIs are enabled. Both read through kvm_read_guest from the VMM thread making the
 * ioctl, one table page per step, bypassing the userfault bitmap.
 */
import { kvmReadGuest } from './kvm-access.ts';
import type { KernelState, VgicState } from './state.ts';
import { PAGE_SIZE, ok, type SysResult } from './uapi.ts';
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

/** KVM_SET_DEVICE_ATTR of the GITS_BASER registers: where the ITS tables are. */
export function itsSetBaser(k: KernelState, tableGpas: readonly number[]): KernelState {
  requireArm64(k);
  const itsTableGfns = tableGpas.map((gpa) => Math.floor(gpa / PAGE_SIZE));
  return withVgic(k, { ...k.vm.vgic, itsTableGfns, itsTablesRead: [], itsTablesRestored: false });
}

/**
 * KVM_DEV_ARM_ITS_RESTORE_TABLES, one table page per call. With no valid BASER there is
 * nothing to read. A read that fails ends the ioctl with its error.
 */
export function itsRestoreTables(k: KernelState, task: number): RestoreOutcome {
  requireArm64(k);
  const vgic = k.vm.vgic;
  const next = vgic.itsTableGfns[vgic.itsTablesRead.length];
  if (next === undefined) {
    return { kind: 'done', state: withVgic(k, { ...vgic, itsTablesRestored: true }), result: ok() };
  }
  const r = kvmReadGuest(k, task, next * PAGE_SIZE);
  if (r.kind === 'blocked') return r;
  if (r.result.ret < 0) return { kind: 'done', state: withVgic(r.state, { ...vgic, itsTablesRead: [] }), result: r.result };
  const read = [...vgic.itsTablesRead, r.value];
  const state = withVgic(r.state, { ...vgic, itsTablesRead: read });
  if (read.length < vgic.itsTableGfns.length) return { kind: 'progress', state };
  return { kind: 'done', state: withVgic(state, { ...vgic, itsTablesRead: read, itsTablesRestored: true }), result: ok() };
}

/** KVM_SET_DEVICE_ATTR of GITS_CTLR: enables the ITS (last in the restore order). */
export function itsSetCtlr(k: KernelState, enabled: boolean): KernelState {
  requireArm64(k);
  return withVgic(k, { ...k.vm.vgic, gitsCtlrEnabled: enabled });
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
