/**
 * The simulated kernel's state: plain, immutable data, copied on write. `variant` and
 * `programs` are static configuration shared by every state of a run (never encoded);
 * everything else is what the explorer copies and fingerprints.
 */
import type { KernelWarning } from './kernel-warning.ts';
import { emptyMm, type MmState } from '../mm/host-memory.ts';
import { replaceAt } from '../mm/immutable.ts';
import type { KernelVariant } from './variant.ts';
import { PAGE_SIZE } from './uapi.ts';

/**
 * One instruction of a guest program: an access to a guest page. Without `offset` it
 * reads or writes the whole page; with one, a u64 (GUEST_ACCESS_BYTES) at that byte
 * offset inside the page (partial pages: src/mm/page-content.ts).
 */
export type GuestOp =
  | { readonly kind: 'read'; readonly gfn: number; readonly offset?: number }
  | { readonly kind: 'write'; readonly gfn: number; readonly value: number; readonly offset?: number };

/** The size of a guest access at an offset: one u64 load or store. */
export const GUEST_ACCESS_BYTES = 8;

/** The largest offset of a guest access that stays inside its page. */
export const MAX_GUEST_ACCESS_OFFSET = PAGE_SIZE - GUEST_ACCESS_BYTES;

/** The bytes a guest op touches inside its page. */
export function opBytes(op: GuestOp): { readonly offset: number; readonly len: number } {
  return op.offset === undefined ? { offset: 0, len: PAGE_SIZE } : { offset: op.offset, len: GUEST_ACCESS_BYTES };
}

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
  /**
   * KVM Demand Paging: the kernel-owned present bitmap, one entry per gfn of the slot;
   * empty while demand paging is not enabled on the slot.
   */
  readonly present: readonly boolean[];
  /**
   * Dirty logging's write protection (review M4), per gfn of the slot: the stage-2 mapping
   * is read-only until a write fault makes it writable (and dirty). Absent until dirty
   * logging is first enabled on the slot.
   */
  readonly writeProtected?: readonly boolean[];
}

/**
 * - `user`: the vCPU thread is in userspace (not in KVM_RUN); `run` holds the last result.
 * - `guest`: in KVM_RUN, executing the guest program at `pc`.
 * - `install`: a stage-2 fault has its pfn; the next step takes mmu_lock and installs it.
 * - `uffd-wait`: the fault's pfn lookup (GUP) sleeps in userfaultfd.
 * - `halted`: async PF user: halted in KVM until a parked op's page is ready.
 */
export type VcpuMode = 'user' | 'guest' | 'install' | 'uffd-wait' | 'halted';

export interface InFlightFault {
  readonly gfn: number;
  readonly write: boolean;
  /** The page comes from the guest_memfd (a private gfn, or a gmem-only slot: stage2.ts faultsFromGmem). */
  readonly private: boolean;
  /** An MMU invalidation happened since the fault began (mmu_invalidate_seq changed): retry. */
  readonly retry: boolean;
  /** The faulting op's index in the guest program (a parked op's, when it runs again). */
  readonly opPc: number;
  /** Not a guest fault: the pvclock cache refresh at guest entry sleeps in userfaultfd (pvclock.ts). */
  readonly pvclock?: boolean;
  /** Not a guest fault: record_steal_time's user access at guest entry sleeps in userfaultfd (steal-time.ts). */
  readonly stealTime?: boolean;
}

export interface MemoryFaultInfo {
  readonly flags: number;
  readonly gpa: number;
  readonly size: number;
  /** Async PF user: the token of an asynchronous exit (flag KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER). */
  readonly token?: number;
}

/**
 * Async PF user: a guest op whose fault is handled asynchronously. The guest parked the
 * faulting task and went on with its next op; once KVM_ASYNC_PF_USER_READY injects
 * "page ready" (`ready`), the op runs again before the vCPU's next op.
 */
export interface ParkedOp {
  readonly token: number;
  /** The op's index in the vCPU's guest program. */
  readonly pc: number;
  readonly gfn: number;
  readonly ready: boolean;
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
  /** The page's content after the access (for a whole-page write, the value written). */
  readonly value: number;
  /** An access at a byte offset: the offset, and the value a write stored there. */
  readonly offset?: number;
  readonly stored?: number;
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
  /** Async PF user: ops parked on an asynchronous fault, in slot order (empty otherwise). */
  readonly parked: readonly ParkedOp[];
  /** A signal is pending for the vCPU thread while it is in KVM_RUN (a kick: kick.ts). */
  readonly kicked?: boolean;
  /**
   * The task of a vCPU ioctl other than KVM_RUN (KVM_SET_MSRS) that holds this vCPU's
   * vcpu->mutex while it sleeps in userfaultfd: KVM_RUN cannot start meanwhile (pvclock.ts).
   */
  readonly mutexHeldBy?: number;
  /**
   * KVM_REQ_CLOCK_UPDATE pending after MSR_KVM_SYSTEM_TIME_NEW was set: the gpa of the
   * pvclock that kvm_guest_time_update writes at the next guest entry (pvclock.ts, M6).
   */
  readonly pvclockPending?: number;
  /**
   * KVM_REQ_STEAL_UPDATE pending after MSR_KVM_STEAL_TIME was set: the gpa of the
   * kvm_steal_time that record_steal_time writes at the next guest entry (steal-time.ts).
   */
  readonly stealTimePending?: number;
}

/** arm64 VGIC: ITS tables and a redistributor's LPI pending table, in guest memory. */
export interface VgicState {
  /** GITS_BASER* valid: the guest frames of the ITS tables (device, collection, ITT). */
  readonly itsTableGfns: readonly number[];
  /** KVM_DEV_ARM_ITS_RESTORE_TABLES progress: tables read so far, and what each held. */
  readonly itsTablesRead: readonly number[];
  readonly itsTablesRestored: boolean;
  readonly gitsCtlrEnabled: boolean;
  /**
   * KVM_DEV_ARM_ITS_RESTORE_TABLES is in progress (between table reads, or asleep in
   * userfaultfd): it holds every vCPU mutex (lock_all_vcpus), so no KVM_RUN can start.
   */
  readonly vcpusLocked?: boolean;
  /** GICR_PENDBASER frame, or -1. */
  readonly pendingTableGfn: number;
  /** GICR_PENDBASER.PTZ: the guest says the pending table is all zeros, so KVM does not read it. */
  readonly pendingTableZero: boolean;
  /** Content read from the pending table when LPIs were enabled, or -1. */
  readonly pendingTableRead: number;
  /** GICR_PROPBASER frame (the LPI configuration table), or -1. */
  readonly propTableGfn: number;
  /** GITS_CBASER frame (the command queue), or -1; and whether GITS_CWRITER is ahead of GITS_CREADR. */
  readonly cmdQueueGfn: number;
  readonly cmdQueuePending: boolean;
  /** Content read from the command queue when the ITS was enabled, or -1. */
  readonly cmdQueueRead: number;
}

/** A task asleep on the KVM Demand Paging wait queue: KVM's own access to a non-present gfn. */
export interface DemandPagingWaiter {
  readonly task: number;
  readonly gfn: number;
  /** Its notification has been read from the notification fd. */
  readonly notified: boolean;
}

export interface DemandPagingState {
  /** The notification fd, or -1 before KVM_CREATE_DEMAND_PAGING_FD. */
  readonly notifyFd: number;
  /** In the order they went to sleep. */
  readonly waiters: readonly DemandPagingWaiter[];
}

export interface VmState {
  /** Memslots sorted by id. */
  readonly slots: readonly Memslot[];
  readonly vcpus: readonly Vcpu[];
  /** Gfns whose KVM_MEMORY_ATTRIBUTE_PRIVATE is set, sorted. */
  readonly privateGfns: readonly number[];
  readonly vgic: VgicState;
  readonly demandPaging: DemandPagingState;
  /** Kernel warnings hit so far, in order, each once (kernel-warning.ts). */
  readonly warnings: readonly KernelWarning[];
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
  const vcpus: Vcpu[] = config.programs.map((_, id) => ({ id, pc: 0, mode: 'user', run: INITIAL_RUN, parked: [] }));
  const vgic: VgicState = {
    itsTableGfns: [],
    itsTablesRead: [],
    itsTablesRestored: false,
    gitsCtlrEnabled: false,
    pendingTableGfn: -1,
    pendingTableZero: false,
    pendingTableRead: -1,
    propTableGfn: -1,
    cmdQueueGfn: -1,
    cmdQueuePending: false,
    cmdQueueRead: -1,
  };
  return { config, mm: emptyMm(), vm: { slots: [], vcpus, privateGfns: [], vgic, demandPaging: { notifyFd: -1, waiters: [] }, warnings: [] } };
}

/** The kernel state with vCPU `v.id` replaced by `v`. */
export function withVcpu(k: KernelState, v: Vcpu): KernelState {
  return { ...k, vm: { ...k.vm, vcpus: replaceAt(k.vm.vcpus, v.id, v) } };
}
