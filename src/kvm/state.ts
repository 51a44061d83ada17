/**
 * The simulated kernel's state: plain, immutable data, copied on write. `variant` and
 * `programs` are static configuration shared by every state of a run (never encoded);
 * everything else is what the explorer copies and fingerprints.
 */
import { emptyMm, type MmState } from '../mm/host-memory.ts';
import type { KernelVariant } from './variant.ts';

/** One instruction of a guest program: an access to a guest page. */
export type GuestOp =
  | { readonly kind: 'read'; readonly gfn: number }
  | { readonly kind: 'write'; readonly gfn: number; readonly value: number };

export interface Memslot {
  /** (as_id << 16) | id; only address space 0 is modelled. */
  readonly id: number;
  readonly baseGfn: number;
  readonly npages: number;
  readonly userspaceAddr: number;
  readonly flags: number;
  /** The userfault bitmap pointer; stored only while KVM_MEM_USERFAULT is set (else 0). */
  readonly userfaultBitmap: number;
  /** The bound guest_memfd (file index) or -1; its offset in pages. */
  readonly gmemFile: number;
  readonly gmemOffset: number;
  /** Stage-2 mapping level covering each gfn of the slot: 0 none, 1 PTE (4K), 2 PMD (2M), 3 PUD (1G). */
  readonly spte: readonly number[];
}

/**
 * - `user`: the vCPU thread is in userspace (not in KVM_RUN); `run` holds the last result.
 * - `guest`: in KVM_RUN, executing the guest program at `pc`.
 * - `install`: a stage-2 fault has its pfn; the next step takes mmu_lock and installs it.
 * - `uffd-wait`: the fault's pfn lookup (GUP) sleeps in userfaultfd.
 */
export type VcpuMode = 'user' | 'guest' | 'install' | 'uffd-wait';

export interface InFlightFault {
  readonly gfn: number;
  readonly write: boolean;
  readonly private: boolean;
  /** An MMU invalidation happened since the fault began (mmu_invalidate_seq changed): retry. */
  readonly retry: boolean;
}

export interface MemoryFaultInfo {
  readonly flags: number;
  readonly gpa: number;
  readonly size: number;
}

/** What a KVM_RUN returned: ret/errno, and struct kvm_run's exit_reason and memory_fault. */
export interface RunResult {
  readonly ret: number;
  readonly errno: number;
  readonly exitReason: number;
  readonly memoryFault?: MemoryFaultInfo;
  /** For KVM_EXIT_MMIO: the guest physical address accessed. */
  readonly mmioGpa?: number;
}

export interface GuestAccess {
  readonly gfn: number;
  readonly write: boolean;
  /** The content read, or written. */
  readonly value: number;
}

export interface Vcpu {
  readonly id: number;
  readonly pc: number;
  readonly mode: VcpuMode;
  readonly fault?: InFlightFault;
  /** The last KVM_RUN result (exit_reason stays stale across a bare -EFAULT, as in the kernel). */
  readonly run: RunResult;
  /** The guest's last completed memory access, for properties to judge. */
  readonly lastAccess?: GuestAccess;
}

/** arm64 VGIC: ITS tables and a redistributor's LPI pending table, in guest memory. */
export interface VgicState {
  /** GITS_BASER* valid: the guest frames of the ITS tables (device, collection, ITT). */
  readonly itsTableGfns: readonly number[];
  /** KVM_DEV_ARM_ITS_RESTORE_TABLES progress: tables read so far, and what each held. */
  readonly itsTablesRead: readonly number[];
  readonly itsTablesRestored: boolean;
  readonly gitsCtlrEnabled: boolean;
  /** GICR_PENDBASER frame, or -1. */
  readonly pendingTableGfn: number;
  /** Content read from the pending table when LPIs were enabled, or -1. */
  readonly pendingTableRead: number;
}

export interface VmState {
  /** Memslots sorted by id. */
  readonly slots: readonly Memslot[];
  readonly vcpus: readonly Vcpu[];
  /** Gfns whose KVM_MEMORY_ATTRIBUTE_PRIVATE is set, sorted. */
  readonly privateGfns: readonly number[];
  readonly vgic: VgicState;
}

export interface VmConfig {
  readonly variant: KernelVariant;
  /** Guest programs, one per vCPU. */
  readonly programs: readonly (readonly GuestOp[])[];
  /** The VM supports private memory (guest_memfd slots): KVM_X86_SW_PROTECTED_VM, or arm64 with guest_memfd. */
  readonly privateMem: boolean;
}

export interface KernelState {
  readonly config: VmConfig;
  readonly mm: MmState;
  readonly vm: VmState;
}

/** Task ids name sleeping threads: vCPU i is task i; VMM threads use VMM_TASK_BASE + n. */
export const VMM_TASK_BASE = 1000;

export const INITIAL_RUN: RunResult = Object.freeze({ ret: 0, errno: 0, exitReason: 0 });

export function createKernel(config: VmConfig): KernelState {
  const vcpus: Vcpu[] = config.programs.map((_, id) => ({ id, pc: 0, mode: 'user', run: INITIAL_RUN }));
  const vgic: VgicState = {
    itsTableGfns: [],
    itsTablesRead: [],
    itsTablesRestored: false,
    gitsCtlrEnabled: false,
    pendingTableGfn: -1,
    pendingTableRead: -1,
  };
  return { config, mm: emptyMm(), vm: { slots: [], vcpus, privateGfns: [], vgic } };
}
