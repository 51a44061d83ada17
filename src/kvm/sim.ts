/**
 * KvmSim: a mutable handle over the pure kernel simulation, with one method per ioctl or
 * syscall, for tests and for reading as documentation. Every method applies one atomic
 * operation (runUntilExit applies several) and returns the kernel-style result.
 */
import { createFile, mapData, mapVma } from '../mm/host-memory.ts';
import { gmemClose, gmemCreate, gmemWrite } from '../mm/guest-memfd.ts';
import { uffdClose, uffdCreate, uffdFill, uffdRead, uffdReadable, uffdRegister, uffdWake, type UffdMsg } from '../mm/userfaultfd.ts';
import { storeUserfaultBit } from './bitmap.ts';
import { kvmReadGuest, kvmWriteGuest, type KvmAccessOutcome } from './kvm-access.ts';
import { setSystemTimeMsr } from './pvclock.ts';
import { setStealTimeMsr } from './steal-time.ts';
import { setUserMemoryRegion, setUserMemoryRegion2, type UserspaceMemoryRegion2 } from './memslot.ts';
import { madvise, setMemoryAttributes, type MadviseResult, type MemoryAttributes } from './mmu-notifier.ts';
import { createKernel, type GuestOp, type KernelState, type Memslot, type RunResult, type Vcpu } from './state.ts';
import { asyncPfUserReady } from './async-pf-user.ts';
import { createDemandPagingFd, demandPagingRead, demandPagingReadable, enableDemandPaging, markGfnsNonPresent, markGfnsPresent, type GfnRangePresence } from './demand-paging.ts';
import { isTaskAsleep } from './sleep.ts';
import { UFFD_FEATURE_EVENT_REMOVE, Errno, KVM_CAP_ASYNC_PF_USER, KVM_CAP_DEMAND_PAGING, KVM_CAP_GUEST_MEMFD, KVM_CAP_USERFAULT, KVM_CAP_USER_MEMORY2, fail, type SysResult } from './uapi.ts';
import { userAccess } from './user-access.ts';
import { kernelVariant, hasUserfaultCap, SimulationUsageError, type KernelVariant } from './variant.ts';
import { kvmRun, vcpuAt, vcpuRunnable, vcpuStep } from './vcpu.ts';
import { kickVcpu } from './kick.ts';
import { gicrEnableLpis, gicrSetPendbaser, gicrSetPropbaser, itsRestoreTables, itsSetBaser, itsSetCmdQueue, itsSetCtlr, type RestoreOutcome } from './vgic.ts';

export interface SimOptions {
  readonly variant?: Partial<KernelVariant>;
  readonly programs?: readonly (readonly GuestOp[])[];
  readonly privateMem?: boolean;
}

export type RunUntil = { readonly kind: 'exit'; readonly run: RunResult } | { readonly kind: 'blocked' };

export class KvmSim {
  state: KernelState;

  constructor(options: SimOptions = {}) {
    this.state = createKernel({
      variant: kernelVariant(options.variant),
      programs: options.programs ?? [[]],
      privateMem: options.privateMem ?? false,
    });
  }

  private apply<R>(out: { state: KernelState; result: R }): R {
    this.state = out.state;
    return out.result;
  }

  // --- system and VM ioctls ---------------------------------------------------------

  /** KVM_CHECK_EXTENSION. */
  checkExtension(cap: number): number {
    if (cap === KVM_CAP_USERFAULT) return hasUserfaultCap(this.state.config.variant) ? 1 : 0;
    if (cap === KVM_CAP_USER_MEMORY2) return 1;
    if (cap === KVM_CAP_GUEST_MEMFD) return this.state.config.privateMem ? 1 : 0;
    if (cap === KVM_CAP_DEMAND_PAGING) return this.state.config.variant.demandPaging ? 1 : 0;
    if (cap === KVM_CAP_ASYNC_PF_USER) return this.state.config.variant.asyncPfUser ? 1 : 0;
    return 0;
  }

  /** KVM_ENABLE_CAP: KVM_CAP_USERFAULT is informational only. */
  enableCap(cap: number): SysResult {
    void cap;
    return fail(Errno.EINVAL);
  }

  /** `blocked`: the ioctl sleeps in synchronize_srcu (see SetRegionOutcome). */
  setUserMemoryRegion(region: UserspaceMemoryRegion2): SysResult & { blocked?: true } {
    const r = setUserMemoryRegion(this.state, region);
    this.state = r.state;
    return r.blocked ? { ...r.result, blocked: true } : r.result;
  }

  setUserMemoryRegion2(region: UserspaceMemoryRegion2): SysResult & { blocked?: true } {
    const r = setUserMemoryRegion2(this.state, region);
    this.state = r.state;
    return r.blocked ? { ...r.result, blocked: true } : r.result;
  }

  setMemoryAttributes(attrs: MemoryAttributes): SysResult {
    return this.apply(setMemoryAttributes(this.state, attrs));
  }

  /** KVM_CREATE_GUEST_MEMFD: ret is the new fd. */
  createGuestMemfd(size: number, flags = 0): SysResult {
    if (!this.state.config.privateMem) return fail(Errno.EINVAL);
    const r = gmemCreate(this.state.mm, size, flags);
    this.state = { ...this.state, mm: r.mm };
    return r.result;
  }

  slot(id: number): Memslot | undefined {
    return this.state.vm.slots.find((s) => s.id === id);
  }

  // --- host memory ---------------------------------------------------------------------

  mmapAnonymous(npages: number, options: { thp?: boolean } = {}): number {
    const r = mapVma(this.state.mm, { npages, thp: options.thp ?? false, thpPages: this.state.config.variant.geometry[1] });
    this.state = { ...this.state, mm: r.mm };
    return r.hva;
  }

  /** A shmem (memfd) or hugetlbfs file of `npages` base pages; returns its file index. */
  createFile(kind: 'shmem' | 'hugetlb', npages: number, hugePagePages = 1): number {
    const r = createFile(this.state.mm, kind, npages, hugePagePages);
    this.state = { ...this.state, mm: r.mm };
    return r.file;
  }

  mmapFile(file: number, npages: number, fileOffset = 0, options: { thp?: boolean } = {}): number {
    const r = mapVma(this.state.mm, { npages, file, fileOffset, thp: options.thp ?? false, thpPages: this.state.config.variant.geometry[1] });
    this.state = { ...this.state, mm: r.mm };
    return r.hva;
  }

  /** mmap() of a guest_memfd created with GUEST_MEMFD_FLAG_MMAP. */
  mmapGuestMemfd(fd: number, npages: number): number {
    const g = this.state.mm.gmems.find((x) => x.fd === fd && x.open);
    if (!g) throw new SimulationUsageError(`fd ${fd} is not a guest_memfd`);
    return this.mmapFile(g.file, npages);
  }

  /** VMM data memory (e.g. for a userfault bitmap); returns its address. */
  mmapData(bytes: number): number {
    const r = mapData(this.state.mm, bytes);
    this.state = { ...this.state, mm: r.mm };
    return r.hva;
  }

  madvise(task: number, start: number, len: number, advice: number): MadviseResult {
    const r = madvise(this.state, task, start, len, advice);
    this.state = r.state;
    return r;
  }

  /** A VMM thread's read (or write, with `value`) of its own mapping of guest memory. */
  userAccess(task: number, hva: number, value?: number): KvmAccessOutcome {
    const r = userAccess(this.state, task, hva, value);
    this.state = r.state;
    return r;
  }

  /** write()/pwrite() into a guest_memfd. */
  gmemWrite(fd: number, offset: number, content: number): SysResult {
    const r = gmemWrite(this.state.mm, fd, offset, content, this.state.config.variant.gmemWrite);
    this.state = { ...this.state, mm: r.mm };
    return r.result;
  }

  setUserfaultBit(bitmap: number, index: number, value: boolean): SysResult {
    return this.apply(storeUserfaultBit(this.state, bitmap, index, value));
  }

  // --- KVM Demand Paging (hypothetical UAPI, demand-paging.ts) ---------------------------

  /** KVM_ENABLE_DEMAND_PAGING on memslot `slot`: every gfn starts non-present. */
  enableDemandPaging(slot: number): SysResult {
    return this.apply(enableDemandPaging(this.state, slot));
  }

  /** KVM_CREATE_DEMAND_PAGING_FD: ret is the notification fd. */
  createDemandPagingFd(): SysResult {
    return this.apply(createDemandPagingFd(this.state));
  }

  markGfnsPresent(range: GfnRangePresence): SysResult {
    return this.apply(markGfnsPresent(this.state, range));
  }

  markGfnsNonPresent(range: GfnRangePresence): SysResult {
    return this.apply(markGfnsNonPresent(this.state, range));
  }

  /** read() on the notification fd: the gpa a KVM access waits for, or EAGAIN. */
  demandPagingRead(fd: number): { result: SysResult; gpa?: number } {
    const r = demandPagingRead(this.state, fd);
    this.state = r.state;
    return r.gpa !== undefined ? { result: r.result, gpa: r.gpa } : { result: r.result };
  }

  demandPagingPoll(fd: number): boolean {
    return demandPagingReadable(this.state, fd);
  }

  // --- async PF user (async-pf-user.ts) ---------------------------------------------------

  /** KVM_ASYNC_PF_USER_READY {token} on vCPU `vcpu`'s fd (any thread may call it). */
  asyncPfUserReady(vcpu: number, token: number): SysResult {
    return this.apply(asyncPfUserReady(this.state, vcpu, token));
  }

  // --- userfaultfd -------------------------------------------------------------------------

  userfaultfd(features = UFFD_FEATURE_EVENT_REMOVE): number {
    const r = uffdCreate(this.state.mm, features);
    this.state = { ...this.state, mm: r.mm };
    return r.fd;
  }

  private mm<R>(r: { mm: KernelState['mm']; result: R }): R {
    this.state = { ...this.state, mm: r.mm };
    return r.result;
  }

  uffdRegister(fd: number, start: number, len: number, mode: number): SysResult {
    return this.mm(uffdRegister(this.state.mm, fd, start, len, mode, this.state.config.variant.gmemUffd));
  }

  uffdRead(fd: number): { result: SysResult; msg?: UffdMsg } {
    const r = uffdRead(this.state.mm, fd);
    this.state = { ...this.state, mm: r.mm };
    return r.msg ? { result: r.result, msg: r.msg } : { result: r.result };
  }

  uffdPoll(fd: number): boolean {
    return uffdReadable(this.state.mm, fd);
  }

  uffdCopy(fd: number, dst: number, len: number, content: number | readonly number[], mode = 0): { result: SysResult; copy: number } {
    const r = uffdFill(this.state.mm, fd, 'copy', dst, len, mode, content);
    this.state = { ...this.state, mm: r.mm };
    return { result: r.result, copy: r.done };
  }

  uffdZeropage(fd: number, dst: number, len: number, mode = 0): { result: SysResult; zeropage: number } {
    const r = uffdFill(this.state.mm, fd, 'zeropage', dst, len, mode);
    this.state = { ...this.state, mm: r.mm };
    return { result: r.result, zeropage: r.done };
  }

  uffdContinue(fd: number, start: number, len: number, mode = 0): { result: SysResult; mapped: number } {
    const r = uffdFill(this.state.mm, fd, 'continue', start, len, mode);
    this.state = { ...this.state, mm: r.mm };
    return { result: r.result, mapped: r.done };
  }

  uffdWake(fd: number, start: number, len: number): SysResult {
    return this.mm(uffdWake(this.state.mm, fd, start, len));
  }

  close(fd: number): SysResult {
    if (this.state.mm.uffds.some((u) => u.fd === fd && u.open)) return this.mm(uffdClose(this.state.mm, fd));
    return this.mm(gmemClose(this.state.mm, fd));
  }

  /** Asleep in a userfaultfd or on the demand-paging wait queue. */
  isTaskBlocked(task: number): boolean {
    return isTaskAsleep(this.state, task);
  }

  // --- vCPUs -----------------------------------------------------------------------------

  vcpu(id: number): Vcpu {
    return vcpuAt(this.state, id);
  }

  kvmRun(id: number): void {
    this.state = kvmRun(this.state, id);
  }

  runnable(id: number): boolean {
    return vcpuRunnable(this.state, id);
  }

  step(id: number): void {
    this.state = vcpuStep(this.state, id);
  }

  /** Enter KVM_RUN if needed and step until it returns, or until the vCPU sleeps in userfaultfd. */
  runUntilExit(id: number, maxSteps = 10_000): RunUntil {
    if (this.vcpu(id).mode === 'user') this.kvmRun(id);
    for (let i = 0; i < maxSteps; i++) {
      if (this.vcpu(id).mode === 'user') return { kind: 'exit', run: this.vcpu(id).run };
      if (!this.runnable(id)) return { kind: 'blocked' };
      this.step(id);
    }
    throw new SimulationUsageError(`vCPU ${id} did not exit within ${maxSteps} steps`);
  }

  // --- KVM's own accesses --------------------------------------------------------------

  kvmReadGuest(task: number, gpa: number): KvmAccessOutcome {
    const r = kvmReadGuest(this.state, task, gpa);
    this.state = r.state;
    return r;
  }

  kvmWriteGuest(task: number, gpa: number, value: number): KvmAccessOutcome {
    const r = kvmWriteGuest(this.state, task, gpa, value);
    this.state = r.state;
    return r;
  }

  /** KVM_SET_MSRS(MSR_KVM_SYSTEM_TIME_NEW = gpa | 1) of `vcpu`, made by `task` (pvclock.ts). */
  setSystemTimeMsr(task: number, vcpu: number, gpa: number): KvmAccessOutcome {
    const r = setSystemTimeMsr(this.state, task, vcpu, gpa);
    this.state = r.state;
    return r;
  }

  /** KVM_SET_MSRS(MSR_KVM_STEAL_TIME = gpa | KVM_MSR_ENABLED) of `vcpu` (steal-time.ts): records the gpa, never sleeps. */
  setStealTimeMsr(vcpu: number, gpa: number): void {
    this.state = setStealTimeMsr(this.state, vcpu, gpa);
  }

  itsSetBaser(tableGpas: readonly number[]): SysResult {
    const r = itsSetBaser(this.state, tableGpas);
    this.state = r.state;
    return r.result;
  }

  /** pthread_kill() of vCPU `id`'s thread (kick.ts). */
  kick(id: number): void {
    this.state = kickVcpu(this.state, id);
  }

  itsRestoreTables(task: number): RestoreOutcome {
    const r = itsRestoreTables(this.state, task);
    this.state = r.state;
    return r;
  }

  /** GITS_CTLR; `blocked` when enabling reads a command queue page that sleeps in userfaultfd (repeat once woken). */
  itsSetCtlr(enabled: boolean, task?: number): SysResult & { blocked?: true } {
    const r = itsSetCtlr(this.state, enabled, task);
    this.state = r.state;
    return r.blocked ? { ...r.result, blocked: true } : r.result;
  }

  itsSetCmdQueue(gpa: number, pending: boolean): SysResult {
    const r = itsSetCmdQueue(this.state, gpa, pending);
    this.state = r.state;
    return r.result;
  }

  gicrSetPendbaser(gpa: number, ptz = false): void {
    this.state = gicrSetPendbaser(this.state, gpa, ptz);
  }

  gicrSetPropbaser(gpa: number): void {
    this.state = gicrSetPropbaser(this.state, gpa);
  }

  gicrEnableLpis(task: number): RestoreOutcome {
    const r = gicrEnableLpis(this.state, task);
    this.state = r.state;
    return r;
  }
}

