/**
 * KVM_RUN, one atomic step at a time. A vCPU thread enters with kvmRun(); each
 * vcpuStep() executes one guest access or one phase of a stage-2 fault; an exit returns
 * the thread to userspace with the result in `vcpu.run`.
 *
 * The fault path follows the kernel's order (reference §3): slot and private checks,
 * then the userfault bitmap check, then the pfn lookup (GUP, which may sleep in
 * userfaultfd, or guest_memfd), then — in a separate step, as after taking mmu_lock — the
 * install, which retries the whole fault if an MMU invalidation happened in between. The
 * bitmap is not covered by that check: a bit set after the check is missed.
 *
 * The relatives (reference §7): with KVM Demand Paging, a non-present gfn exits with
 * NOT_PRESENT where the userfault check sits (and marking non-present does bump the
 * invalidation sequence); with async PF user, a userfault exit may park the op and let
 * the guest go on (async-pf-user.ts), and the vCPU may halt in KVM until "page ready".
 */
import { hostAccess, hostPteReadOnly, peekHostPage } from '../mm/host-fault.ts';
import { ABSENT } from '../mm/host-memory.ts';
import { gmemGetPage, gmemReleased } from '../mm/guest-memfd.ts';
import { readBitmapBit } from '../mm/data-memory.ts';
import { replaceAt } from '../mm/immutable.ts';
import { faultsFromGmem, installMapping, isPrivateGfn, isWriteProtected, maxMappingLevel, setWritePermission, slotHva, slotIndexForGfn } from './stage2.ts';
import { GUEST_ACCESS_BYTES, withVcpu, type GuestOp, type InFlightFault, type KernelState, type Memslot, type RunResult, type Vcpu } from './state.ts';
import { storeBytes } from '../mm/page-content.ts';
import { guestTimeUpdate } from './pvclock.ts';
import { recordStealTime } from './steal-time.ts';
import {
  Errno,
  KVM_EXIT_HLT,
  KVM_EXIT_MEMORY_FAULT,
  KVM_EXIT_MMIO,
  KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER,
  KVM_MEMORY_EXIT_FLAG_NOT_PRESENT,
  KVM_MEMORY_EXIT_FLAG_PRIVATE,
  KVM_MEMORY_EXIT_FLAG_USERFAULT,
  KVM_MEM_READONLY,
  KVM_MEM_USERFAULT,
  KVM_MEM_EXIT_ON_MISSING,
  PAGE_SIZE,
} from './uapi.ts';
import { hasUserfaultCap, SimulationUsageError } from './variant.ts';
import { isTaskInUffd } from '../mm/userfaultfd.ts';
import { asyncPfAllowed, asyncPfPending, freeAsyncPfSlot, parkOp } from './async-pf-user.ts';
import { gfnNonPresent } from './demand-paging-wait.ts';
import { directPtePrefetch } from './shadow-prefetch.ts';
import { signalExit, signalExitDue } from './kick.ts';

export function vcpuAt(k: KernelState, id: number): Vcpu {
  const v = k.vm.vcpus[id];
  if (!v) throw new SimulationUsageError(`no vCPU ${id}`);
  return v;
}

/**
 * Whether vCPU `id`'s vcpu->mutex is free for KVM_RUN: no device ioctl holds every vCPU
 * mutex (lock_all_vcpus, vgic.ts) and no vCPU ioctl of another thread holds this one
 * (KVM_SET_MSRS asleep in userfaultfd, pvclock.ts).
 */
export function vcpuMutexFree(k: KernelState, id: number): boolean {
  return k.vm.vgic.vcpusLocked !== true && k.vm.vcpus[id]?.mutexHeldBy === undefined;
}

/** The KVM_RUN ioctl begins: the vCPU enters the guest. */
export function kvmRun(k: KernelState, id: number): KernelState {
  const v = vcpuAt(k, id);
  if (v.mode !== 'user') throw new SimulationUsageError(`vCPU ${id} is already in KVM_RUN`);
  // KVM_RUN takes vcpu->mutex (mutex_lock_killable): it waits while a device ioctl holds
  // every vCPU mutex (vgic.ts). Callers check vcpuMutexFree() first.
  if (!vcpuMutexFree(k, id)) throw new SimulationUsageError(`vCPU ${id}: KVM_RUN would sleep on vcpu->mutex (a device ioctl holds it)`);
  return withVcpu(k, { ...v, mode: 'guest' });
}

/**
 * Whether vcpuStep() can run now: in KVM_RUN, not asleep in userfaultfd, and not halted
 * waiting for "page ready" (a halted vCPU wakes when a parked op is ready).
 */
export function vcpuRunnable(k: KernelState, id: number): boolean {
  const v = vcpuAt(k, id);
  if (v.mode === 'user') return false;
  if (signalExitDue(k, v)) return true;
  if (v.mode === 'halted') return v.parked.length === 0 || v.parked.some((p) => p.ready);
  return v.mode !== 'uffd-wait' || !isTaskInUffd(k.mm, id);
}

/**
 * The op the guest executes next: a parked op whose page is ready comes first (the guest
 * handles "page ready" and resumes that task), else the op at pc.
 */
interface Executing {
  readonly op: GuestOp;
  readonly opPc: number;
  readonly resumed: boolean;
}

function executing(k: KernelState, v: Vcpu): Executing | undefined {
  const program = k.config.programs[v.id] ?? [];
  const ready = v.parked.find((p) => p.ready);
  const opPc = ready ? ready.pc : v.pc;
  const op = program[opPc];
  return op ? { op, opPc, resumed: ready !== undefined } : undefined;
}

/** The vCPU after the op at `opPc` completed: pc moves on, or the parked op is done. */
function completed(v: Vcpu, opPc: number): Vcpu {
  if (opPc === v.pc) return { ...v, pc: v.pc + 1 };
  return { ...v, parked: v.parked.filter((p) => p.pc !== opPc) };
}

function exitTo(k: KernelState, v: Vcpu, run: RunResult, done?: number): KernelState {
  const { fault: _dropped, ...rest } = v;
  const next: Vcpu = { ...rest, mode: 'user', run };
  return withVcpu(k, done === undefined ? next : completed(next, done));
}

/**
 * A memory-fault exit reports the page, never the byte: the gpa is page aligned and the
 * size PAGE_SIZE even for an access at offset 0x123 (x86 kvm_mmu_prepare_memory_fault_exit:
 * `kvm_prepare_memory_fault_exit(vcpu, fault->gfn << PAGE_SHIFT, PAGE_SIZE, ...)`; the v3
 * userfault exits on x86 and arm64 pass `gfn << PAGE_SHIFT, PAGE_SIZE` the same way).
 */
function memoryFaultExit(k: KernelState, v: Vcpu, gfn: number, flags: number, token?: number): KernelState {
  const run: RunResult = {
    ret: -1,
    errno: Errno.EFAULT,
    exitReason: KVM_EXIT_MEMORY_FAULT,
    memoryFault: { flags, gpa: gfn * PAGE_SIZE, size: PAGE_SIZE, ...(token !== undefined ? { token } : {}) },
  };
  return exitTo(k, v, run);
}

/** Halt in KVM until a parked op's page is ready (no exit to userspace). */
function halt(k: KernelState, v: Vcpu): KernelState {
  const { fault: _dropped, ...rest } = v;
  return withVcpu(k, { ...rest, mode: 'halted' });
}

/** -EFAULT with no exit information: exit_reason and memory_fault keep their stale values. */
function bareEfault(k: KernelState, v: Vcpu): KernelState {
  return exitTo(k, v, { ...v.run, ret: -1, errno: Errno.EFAULT });
}

function userfaultChecked(k: KernelState, slot: Memslot): boolean {
  if ((slot.flags & KVM_MEM_USERFAULT) === 0 || !hasUserfaultCap(k.config.variant)) return false;
  const { arch, userfault } = k.config.variant;
  // v3 does not hook arm64 gmem_abort: guest_memfd faults there skip the bitmap. v3's base
  // has no arm64 guest_memfd at all (review V5), so this is what a hypothetical v3 rebased
  // onto gmem_abort without the hook would do (inference); composed systems refuse the
  // combination (config.ts, KVMUF105).
  return !(arch === 'arm64' && slot.gmemFile >= 0 && userfault !== 'v2-firecracker');
}

/**
 * The content of the page behind `gfn`, accessed (and for writes, stored) through its
 * backing. A store at an offset changes only its GUEST_ACCESS_BYTES (page-content.ts).
 */
function accessBacking(k: KernelState, v: Vcpu, slot: Memslot, gfn: number, exec: Executing, fromGmem: boolean): KernelState {
  const op = exec.op;
  const write = op.kind === 'write';
  const value = op.kind === 'write' ? op.value : 0;
  const stored = (old: number) => (op.offset === undefined ? value : storeBytes(old, op.offset, GUEST_ACCESS_BYTES, value));
  let mm = k.mm;
  let content: number;
  if (fromGmem) {
    const page = slot.gmemOffset + gfn - slot.baseGfn;
    const got = gmemGetPage(mm, slot.gmemFile, page);
    mm = got.mm;
    content = got.content;
    if (write) {
      const f = mm.files[slot.gmemFile];
      if (!f) throw new SimulationUsageError('guest_memfd file vanished');
      content = stored(content);
      mm = { ...mm, files: replaceAt(mm.files, slot.gmemFile, { ...f, pages: replaceAt(f.pages, page, content) }) };
    }
  } else {
    const hva = slotHva(slot, gfn);
    let r = hostAccess(mm, v.id, hva, write, write && op.offset === undefined ? value : undefined);
    // A store at an offset: the page is now writable; merge the bytes into what it holds.
    if (r.kind === 'ok' && write && op.offset !== undefined) r = hostAccess(r.mm, v.id, hva, true, stored(r.content));
    if (r.kind !== 'ok') throw new SimulationUsageError(`stage-2 maps gfn ${gfn} but the host page is not mapped`);
    mm = r.mm;
    content = r.content;
  }
  const { fault: _done, ...rest } = v;
  const at = op.offset !== undefined ? { offset: op.offset, ...(write ? { stored: value } : {}) } : {};
  const next: Vcpu = completed({ ...rest, mode: 'guest', lastAccess: { gfn, write, value: content, ...at } }, exec.opPc);
  return withVcpu({ ...k, mm }, next);
}

/** GUP or guest_memfd: make the backing page present. Sleeps in userfaultfd when it must. */
function lookupPfn(k: KernelState, v: Vcpu, slot: Memslot, fault: InFlightFault): KernelState {
  if (fault.private) {
    const got = gmemGetPage(k.mm, slot.gmemFile, slot.gmemOffset + fault.gfn - slot.baseGfn);
    return withVcpu({ ...k, mm: got.mm }, { ...v, mode: 'install', fault });
  }
  const hva = slotHva(slot, fault.gfn);
  // Exit-on-missing (Anish Moorthy's series, v7; review V4): the flag makes the pfn lookup
  // atomic, fast GUP only (hva_to_pfn → hva_to_pfn_fast; `if (atomic) return
  // KVM_PFN_ERR_FAULT`), and any fault that would need the host to fault in the page
  // exits instead (v6 06/14 doc). Fast GUP fails when there is no PTE, and also for a
  // write through a read-only PTE (the zero page after a read fault or UFFDIO_ZEROPAGE):
  // that exit repeats until userspace makes the page writable (MADV_POPULATE_WRITE, seed 001).
  const fastGupFails = peekHostPage(k.mm, hva) === ABSENT || (fault.write && hostPteReadOnly(k.mm, hva));
  if (k.config.variant.exitOnMissing && (slot.flags & KVM_MEM_EXIT_ON_MISSING) !== 0 && fastGupFails) {
    return memoryFaultExit(k, v, fault.gfn, 0);
  }
  const r = hostAccess(k.mm, v.id, hva, fault.write);
  switch (r.kind) {
    case 'efault':
      return bareEfault(k, v);
    case 'userfault':
      return withVcpu({ ...k, mm: r.mm }, { ...v, mode: 'uffd-wait', fault });
    case 'ok':
      return withVcpu({ ...k, mm: r.mm }, { ...v, mode: 'install', fault });
  }
}

/** A userfault exit: asynchronous when async PF user can take it (see async-pf-user.ts). */
function userfaultExit(k: KernelState, v: Vcpu, exec: Executing, isPrivate: boolean): KernelState {
  const gfn = exec.op.gfn;
  const flags = KVM_MEMORY_EXIT_FLAG_USERFAULT | (isPrivate ? KVM_MEMORY_EXIT_FLAG_PRIVATE : 0);
  if (!k.config.variant.asyncPfUser || !asyncPfAllowed(k, isPrivate) || exec.resumed) return memoryFaultExit(k, v, gfn, flags);
  // A second fault on a gfn with a pending async PF halts the vCPU until it is ready.
  if (asyncPfPending(v, gfn)) return halt(k, v);
  const slot = freeAsyncPfSlot(v);
  if (slot === undefined) return memoryFaultExit(k, v, gfn, flags);
  const { vcpu, token } = parkOp(v, gfn, slot);
  // The guest parks the faulting task and goes on with its next op.
  return memoryFaultExit(k, { ...vcpu, pc: v.pc + 1 }, gfn, flags | KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER, token);
}

function stepGuest(k: KernelState, v: Vcpu): KernelState {
  const exec = executing(k, v);
  if (!exec) {
    // Nothing to run: the program is over, or every op left is parked (the guest idles).
    if (v.parked.length > 0) return halt(k, v);
    return exitTo(k, v, { ret: 0, errno: 0, exitReason: KVM_EXIT_HLT });
  }
  const op = exec.op;
  const si = slotIndexForGfn(k.vm, op.gfn);
  const slot = k.vm.slots[si];
  const write = op.kind === 'write';
  if (!slot || (write && (slot.flags & KVM_MEM_READONLY) !== 0)) {
    // kvm_run->mmio.phys_addr is the exact address accessed (offset included).
    return exitTo(k, v, { ret: 0, errno: 0, exitReason: KVM_EXIT_MMIO, mmioGpa: op.gfn * PAGE_SIZE + (op.offset ?? 0) }, exec.opPc);
  }
  const isPrivate = isPrivateGfn(k.vm, op.gfn);
  // The exit flags say private only for private gfns; the page comes from the guest_memfd
  // for those and for every gfn of a gmem-only slot.
  const fromGmem = faultsFromGmem(k, slot, op.gfn);
  if ((slot.spte[op.gfn - slot.baseGfn] ?? 0) > 0) {
    // A write to a gfn mapped from the host's zero page: KVM maps writable only a pfn GUP
    // returned writable, so that stage-2 mapping is read-only and the write takes a
    // permission fault down the fault path below (x86: fast_page_fault cannot fix a
    // non-MMU-writable SPTE; arm64: user_mem_abort handles permission faults too). The sim
    // keeps no SPTE permissions: a read-only host PTE under a present SPTE stands for them
    // (inference; sound because COW of that PTE would zap the SPTE via the MMU notifier).
    const permissionFault = write && !fromGmem && hostPteReadOnly(k.mm, slotHva(slot, op.gfn));
    // A write to a gfn write-protected for dirty logging (review M4; a reading of the code,
    // as the review marks it "suspected"): x86's fast_page_fault makes the MMU-writable SPTE
    // writable in place, with no userfault check; arm64's user_mem_abort handles the
    // permission fault, and v3 checks the bitmap right after the mmu_seq snapshot there
    // (v3 06/15), so a set bit exits.
    const dirtyWp = write && isWriteProtected(slot, op.gfn);
    if (dirtyWp && !permissionFault && (k.config.variant.arch === 'x86' || k.config.variant.arm64WpFault === 'no-check')) {
      const writable = setWritePermission(slot, op.gfn, 1, true);
      return accessBacking({ ...k, vm: { ...k.vm, slots: replaceAt(k.vm.slots, si, writable) } }, v, writable, op.gfn, exec, fromGmem);
    }
    if (!permissionFault && !dirtyWp) return accessBacking(k, v, slot, op.gfn, exec, fromGmem);
  }

  // A stage-2 fault.
  // A private fault with no guest_memfd (never bound, or released by its last close).
  if (isPrivate && (slot.gmemFile < 0 || gmemReleased(k.mm, slot.gmemFile))) {
    return memoryFaultExit(k, v, op.gfn, KVM_MEMORY_EXIT_FLAG_PRIVATE);
  }
  // KVM Demand Paging: a non-present gfn exits (covered by the invalidation sequence).
  if (gfnNonPresent(k.vm, op.gfn)) {
    return memoryFaultExit(k, v, op.gfn, KVM_MEMORY_EXIT_FLAG_NOT_PRESENT | (isPrivate ? KVM_MEMORY_EXIT_FLAG_PRIVATE : 0));
  }
  if (userfaultChecked(k, slot)) {
    const bit = readBitmapBit(k.mm, slot.userfaultBitmap, op.gfn - slot.baseGfn);
    if (bit === undefined) return bareEfault(k, v);
    if (bit) return userfaultExit(k, v, exec, isPrivate);
  }
  return lookupPfn(k, v, slot, { gfn: op.gfn, write, private: fromGmem, retry: false, opPc: exec.opPc });
}

function stepInstall(k: KernelState, v: Vcpu, fault: InFlightFault): KernelState {
  const si = slotIndexForGfn(k.vm, fault.gfn);
  const slot = k.vm.slots[si];
  const op = k.config.programs[v.id]?.[fault.opPc];
  if (fault.retry || !slot || !op) {
    // mmu_invalidate_retry: back to the guest, which faults again from the start.
    const { fault: _retry, ...rest } = v;
    return withVcpu(k, { ...rest, mode: 'guest' });
  }
  const level = maxMappingLevel(k, slot, fault.gfn, fault.private);
  const installed = installMapping(k.config.variant, slot, fault.gfn, level, fault.write);
  // The x86 shadow MMU maps neighbours too, with no userfault check (shadow-prefetch.ts, review M7).
  const mapped = level === 1 && !fault.private ? directPtePrefetch(k, installed, fault.gfn) : installed;
  const k2: KernelState = { ...k, vm: { ...k.vm, slots: replaceAt(k.vm.slots, si, mapped) } };
  return accessBacking(k2, v, mapped, fault.gfn, { op, opPc: fault.opPc, resumed: fault.opPc !== v.pc }, fault.private);
}

/** One atomic step of a vCPU inside KVM_RUN. */
export function vcpuStep(k: KernelState, id: number): KernelState {
  const v = vcpuAt(k, id);
  if (!vcpuRunnable(k, id)) throw new SimulationUsageError(`vCPU ${id} cannot step (mode ${v.mode})`);
  if (signalExitDue(k, v)) return signalExit(k, v);
  switch (v.mode) {
    case 'guest':
      // vcpu_enter_guest handles KVM_REQ_CLOCK_UPDATE before the guest runs (pvclock.ts).
      if (v.pvclockPending !== undefined) return guestTimeUpdate(k, v).state;
      // ... and, later in the same function, KVM_REQ_STEAL_UPDATE (record_steal_time; steal-time.ts).
      if (v.stealTimePending !== undefined) return recordStealTime(k, v).state;
      return stepGuest(k, v);
    case 'install':
      return stepInstall(k, v, v.fault as InFlightFault);
    case 'uffd-wait': {
      // Woken: GUP retries the host fault (the userfault bit is not checked again).
      const fault = v.fault as InFlightFault;
      const slot = k.vm.slots[slotIndexForGfn(k.vm, fault.gfn)];
      // KVM's own write at guest entry (pvclock refresh, steal time): back to guest entry,
      // which makes it again (entry-write.ts).
      if (!slot || fault.retry || fault.pvclock === true || fault.stealTime === true) {
        const { fault: _retry, ...rest } = v;
        return withVcpu(k, { ...rest, mode: 'guest' });
      }
      return lookupPfn(k, v, slot, fault);
    }
    case 'halted':
      // Woken by "page ready": back to the guest, which runs the ready op first.
      return withVcpu(k, { ...v, mode: 'guest' });
    case 'user':
      throw new SimulationUsageError(`vCPU ${id} is not in KVM_RUN`);
  }
}

