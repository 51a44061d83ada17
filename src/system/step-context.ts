/**
 * What a step can do. Reads are free; each kernel operation (an ioctl, a syscall, a
 * guest-memory access, a bitmap store) counts, and a second one in the same step is a
 * programming error: every step is one atomic operation.
 */
import { asyncPfUserReady } from '../kvm/async-pf-user.ts';
import { storeUserfaultBit } from '../kvm/bitmap.ts';
import { demandPagingRead, demandPagingReadable, markGfnsNonPresent, markGfnsPresent } from '../kvm/demand-paging.ts';
import { isTaskWaitingForPresent } from '../kvm/demand-paging-wait.ts';
import { kvmReadGuest, kvmWriteGuest } from '../kvm/kvm-access.ts';
import { setUserMemoryRegion2 } from '../kvm/memslot.ts';
import { madvise } from '../kvm/mmu-notifier.ts';
import type { KernelState } from '../kvm/state.ts';
import { Errno, MADV_DONTNEED, MADV_POPULATE_WRITE, PAGE_SIZE, UFFDIO_COPY_MODE_DONTWAKE, errnoName, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_USERFAULT } from '../kvm/uapi.ts';
import { userAccess } from '../kvm/user-access.ts';
import { SimulationUsageError } from '../kvm/variant.ts';
import { HandlerPanic, StepApiMisuse } from './step-errors.ts';
import { kvmRun, vcpuStep } from '../kvm/vcpu.ts';
import { kickVcpu } from '../kvm/kick.ts';
import { describeWarning } from '../kvm/kernel-warning.ts';
import { itsRestoreTables, itsSetBaser, itsSetCtlr, restorePlan } from '../kvm/vgic.ts';
import { gmemWrite } from '../mm/guest-memfd.ts';
import { uffdFill, uffdRead, uffdReadable, uffdWake, type FillKind, type UffdMsg } from '../mm/userfaultfd.ts';
import { replaceAt } from '../mm/immutable.ts';
import { ABSENT } from '../mm/host-memory.ts';
import { backingContent } from './backing.ts';
import { sourceContentOf } from './config.ts';
import type { Environment } from './environment.ts';
import { gfnOf, hvaOf, slotOf, slotRegion, userfaultBitOf, type SlotLayout } from './guest-layout.ts';
import { contentAgrees, DONE, GIVEN_UP, VIOLATION, type SystemState, type ThreadState, type ViolationCode } from './state.ts';
import type { ThreadSpec } from './thread.ts';
import { BitmapFacet } from './step-api/bitmap-facet.ts';
import { DevicesFacet } from './step-api/devices-facet.ts';
import { GmemFacet } from './step-api/gmem-facet.ts';
import { KvmFacet } from './step-api/kvm-facet.ts';
import { MemoryFacet } from './step-api/memory-facet.ts';
import { MemslotsFacet } from './step-api/memslots-facet.ts';
import { OP_HOST, type OpHost } from './step-api/op-host.ts';
import { UffdFacet } from './step-api/uffd-facet.ts';
import { touchesVcpuObject } from './step-api/vcpu-object-ops.ts';

/** Thrown by guard(false): the step is not enabled in this state. */
export class StepDisabled {
  readonly disabled = true;
}

export type Outcome = 'ok' | 'blocked';

export class StepContext {
  private ops = 0;
  private nextPc: number;
  private notes: string[] = [];
  /** The step's kernel operation put the thread to sleep: it stays at this step. */
  blocked = false;
  /** The state the step began in. */
  readonly initial: SystemState;

  constructor(
    public sys: SystemState,
    readonly self: number,
    readonly spec: ThreadSpec,
    readonly env: Environment,
    readonly pc: number,
    /**
     * Set for the steps of a handler that promises `leavesVcpusAlone`: an operation on a vCPU
     * object (step-api/vcpu-object-ops.ts) is then misuse (KVMUF210), not an operation.
     */
    private readonly leavesVcpusAlone = false,
  ) {
    this.nextPc = pc + 1 >= spec.steps.length ? spec.after : pc + 1;
    this.initial = sys;
  }

  // --- the kernel objects a step talks to ----------------------------------------------

  private host?: OpHost;
  // Made on first use: most steps touch none of them.
  private uffdFacet?: UffdFacet;
  private memFacet?: MemoryFacet;
  private gmemFacet?: GmemFacet;
  private bitmapFacet?: BitmapFacet;
  private memslotsFacet?: MemslotsFacet;
  private devicesFacet?: DevicesFacet;
  private kvmFacet?: KvmFacet;

  /** The userfaultfd: poll, read (several messages), COPY/ZEROPAGE/CONTINUE over ranges with byte counts, WAKE, UNREGISTER, close. */
  get uffd(): UffdFacet {
    return (this.uffdFacet ??= new UffdFacet(this[OP_HOST]()));
  }

  /** Guest memory through the VMM's mapping: madvise of any range, pwrite into the memfd, memcpy, MADV_POPULATE_WRITE. */
  get mem(): MemoryFacet {
    return (this.memFacet ??= new MemoryFacet(this[OP_HOST](), this));
  }

  /** The guest_memfd. */
  get gmem(): GmemFacet {
    return (this.gmemFacet ??= new GmemFacet(this));
  }

  /** The userfault bitmap. */
  get bitmap(): BitmapFacet {
    return (this.bitmapFacet ??= new BitmapFacet(this));
  }

  /** The memslot's flags. */
  get memslots(): MemslotsFacet {
    return (this.memslotsFacet ??= new MemslotsFacet(this));
  }

  /** Device restore (the arm64 ITS). */
  get devices(): DevicesFacet {
    return (this.devicesFacet ??= new DevicesFacet(this));
  }

  /** KVM's own accesses, demand paging, async PF user. */
  get kvm(): KvmFacet {
    return (this.kvmFacet ??= new KvmFacet(this[OP_HOST](), this));
  }

  /** For the facets (step-api/): this step's operation counter, state and checks. */
  [OP_HOST](): OpHost {
    if (this.host) return this.host;
    const c = this;
    this.host = {
      env: this.env,
      task: this.spec.task,
      op: (name) => c.op(name),
      vcpuObjectOp: (name) => c.vcpuObjectOp(name),
      kernel: () => c.kernel,
      setKernel: (k) => c.setKernel(k),
      sys: () => c.sys,
      setSys: (s) => {
        c.sys = s;
      },
      note: (text) => c.note(text),
      page: (gfn, what) => c.page(gfn, what),
      pages: (gfn, n, what) => c.pageRange(gfn, n, what),
      word: (what, value) => {
        c.checkWord(what, value);
        return value;
      },
      sleep: (what) => c.sleep(what),
      disable: () => {
        throw new StepDisabled();
      },
      fetch: (gfn) => sourceContentOf(this.env.config, gfn),
    };
    return this.host;
  }

  // --- reading and local state ---------------------------------------------------------

  get kernel(): KernelState {
    return this.sys.kernel;
  }

  private get thread(): ThreadState {
    return this.sys.threads[this.self] as ThreadState;
  }

  reg(i: number): number {
    this.checkIndex('register', i, this.spec.regs, 'declare more registers with `regs` on the thread (vCPU threads have 4)');
    return this.thread.regs[i] ?? 0;
  }

  setReg(i: number, value: number): void {
    this.checkIndex('register', i, this.spec.regs, 'declare more registers with `regs` on the thread (vCPU threads have 4)');
    this.checkWord(`register ${i}`, value);
    const t = this.thread;
    this.sys = { ...this.sys, threads: replaceAt(this.sys.threads, this.self, { ...t, regs: replaceAt(t.regs, i, value) }) };
  }

  vmm(i: number): number {
    this.checkIndex('VMM word', i, this.sys.vmm.length, 'ask for more shared words with `vmmWords(env)` in the handler');
    return this.sys.vmm[i] ?? 0;
  }

  setVmm(i: number, value: number): void {
    this.checkIndex('VMM word', i, this.sys.vmm.length, 'ask for more shared words with `vmmWords(env)` in the handler');
    this.checkWord(`VMM word ${i}`, value);
    this.sys = { ...this.sys, vmm: replaceAt(this.sys.vmm, i, value) };
  }

  private checkIndex(what: string, i: number, count: number, hint: string): void {
    if (!Number.isInteger(i) || i < 0 || i >= count) {
      throw new StepApiMisuse(`${what} ${String(i)} is out of range (this thread has ${count}: 0..${count - 1})`, hint);
    }
  }

  private checkWord(what: string, value: number): void {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
      throw new StepApiMisuse(`${what} = ${String(value)}: state words hold 32-bit integers`, 'store small integers (a gfn, a count, a flag); keep everything else out of the state');
    }
  }

  /** `n` pages from `gfn`, checked to lie inside guest memory (inside one memslot). */
  private pageRange(gfn: number, n: number, what: string): number {
    this.page(gfn, what);
    const slot = slotOf(this.env, gfn) as SlotLayout;
    const end = slot.baseGfn + slot.npages;
    if (!Number.isInteger(n) || n < 1 || gfn + n > end) {
      const where = this.env.slots.length > 1 ? `its memslot (gfns ${slot.baseGfn}..${end - 1})` : `guest memory (${end} pages)`;
      throw new StepApiMisuse(`${what}: ${String(n)} pages from gfn ${gfn} go past ${where}`, 'pass a page count of at least 1 that stays inside the memslot');
    }
    return n;
  }

  /** The guest page number `gfn`, checked: an integer gfn inside a memslot. */
  private page(gfn: number, what: string): number {
    const pages = this.env.config.pages;
    if (!Number.isInteger(gfn) || gfn < 0 || gfn >= pages) {
      throw new StepApiMisuse(`${what}: gfn ${String(gfn)} is not a guest page (0..${pages - 1})`, 'pass a gfn of the configuration, e.g. c.reg(REG_GFN) in an exit step');
    }
    if (!slotOf(this.env, gfn)) {
      throw new StepApiMisuse(`${what}: gfn ${gfn} is in a hole between the memslots (${this.env.config.memslots.map((m) => `${m.baseGfn}:${m.npages}`).join(',')})`, 'map fault addresses with c.gfnOf(address); pass only gfns of a memslot');
    }
    return gfn;
  }

  /**
   * Continue at another step: by label (a step of this handler thread, or of the vCPU's
   * exit steps; `'KVM_RUN'` re-enters the guest), or by index into the thread's step list,
   * or DONE to end the thread. Without goto, the thread moves on to the next step.
   */
  goto(target: string | number): void {
    if (typeof target === 'string') {
      const from = this.spec.labelBase ?? 0;
      const steps = this.spec.steps;
      let at = steps.findIndex((st, i) => i >= from && st.label === target);
      if (at < 0) at = steps.findIndex((st) => st.label === target);
      if (at < 0) {
        const labels = steps.slice(from).map((st) => st.label);
        throw new StepApiMisuse(`goto('${target}'): this thread has no step with that label`, `labels: ${labels.join(', ')}`);
      }
      this.nextPc = at;
      return;
    }
    if (target !== DONE && (!Number.isInteger(target) || target < 0 || target >= this.spec.steps.length)) {
      throw new StepApiMisuse(`goto(${String(target)}): no step at that index (0..${this.spec.steps.length - 1}, or DONE)`, "prefer goto('label')");
    }
    this.nextPc = target;
  }

  /** Run this same step again next time (e.g. after EAGAIN). */
  retry(): void {
    this.nextPc = this.pc;
  }

  /**
   * The VMM gives up: like a panic!() or abort() in a real VMM, it kills the VM. Reported
   * as a violation of "the handler never panics", with the trace that led here.
   */
  panic(reason: string): never {
    throw new HandlerPanic(reason);
  }

  get next(): number {
    return this.nextPc;
  }

  /** The step runs only if `condition` holds; call it before any kernel operation. */
  guard(condition: boolean): void {
    if (this.ops > 0) throw new StepApiMisuse('guard() after a kernel operation', 'call c.guard(...) first: a step that performed its operation cannot be disabled any more');
    if (!condition) throw new StepDisabled();
  }

  /** Add a few words to this step's description in traces. */
  note(text: string): void {
    this.notes.push(text);
  }

  get description(): string {
    return this.notes.join('; ');
  }

  /** The source host's content of a page (what a fetch over the network returns). */
  fetch(gfn: number): number {
    this.page(gfn, 'fetch');
    return sourceContentOf(this.env.config, gfn);
  }

  /** The guest page's host virtual address (through its memslot's userspace_addr). */
  hvaOf(gfn: number): number {
    this.page(gfn, 'hvaOf');
    return hvaOf(this.env, gfn);
  }

  /** The gfn a guest-memory host address belongs to (e.g. a uffd fault address), or -1. */
  gfnOf(address: number): number {
    return gfnOf(this.env, address);
  }

  /** The memslot holding `gfn` (base gfn, npages, userspace_addr, bitmap), or undefined in a hole. */
  slotOf(gfn: number): SlotLayout | undefined {
    return slotOf(this.env, gfn);
  }

  /** The first gfn of the host page holding `gfn` (hugetlbfs pages are installed whole). */
  hostPageOf(gfn: number): number {
    return gfn - (gfn % this.env.hostPagePages);
  }

  uffdReadable(): boolean {
    return this.env.uffd >= 0 && uffdReadable(this.kernel.mm, this.env.uffd);
  }

  /** Record a property violation (sticky: the first one is kept). */
  violate(code: ViolationCode, gfn: number, got: number, expected: number): void {
    if (this.sys.violation) return;
    this.sys = { ...this.sys, violation: { code, thread: this.self, gfn, got, expected } };
  }

  // --- kernel operations ---------------------------------------------------------------

  /** Checks the handler's `leavesVcpusAlone` promise before an operation (or its guard) touches a vCPU object. */
  private vcpuObjectOp(name: string): void {
    if (this.leavesVcpusAlone && touchesVcpuObject(name)) {
      throw new StepApiMisuse(`${name}: this handler promises leavesVcpusAlone, and this operation reads or changes a vCPU`, 'remove leavesVcpusAlone from the handler, or leave kicks, KVM_ASYNC_PF_USER_READY, KVM_SET_MSRS and device ioctls to kvmuf');
    }
  }

  private op(name: string): void {
    this.vcpuObjectOp(name);
    this.ops++;
    if (this.ops > 1) {
      throw new StepApiMisuse(`a second kernel operation (${name}) in one step`, 'split it into two steps: each step is one atomic kernel operation');
    }
  }

  private setKernel(kernel: KernelState): void {
    this.sys = { ...this.sys, kernel };
  }

  kvmRun(vcpu: number): void {
    this.op('KVM_RUN');
    this.setKernel(kvmRun(this.kernel, vcpu));
  }

  vcpuStep(vcpu: number): void {
    this.op('vCPU step');
    this.setKernel(vcpuStep(this.kernel, vcpu));
  }

  /** pthread_kill() of a vCPU thread (a kick): in KVM_RUN, it returns -EINTR (src/kvm/kick.ts). */
  kick(vcpu: number): void {
    this.op('kick');
    this.setKernel(kickVcpu(this.kernel, vcpu));
    this.note(`kick vcpu${vcpu}`);
  }

  /** read() on the userfaultfd; undefined for EAGAIN. */
  uffdRead(): UffdMsg | undefined {
    this.op('read(uffd)');
    const r = uffdRead(this.kernel.mm, this.env.uffd);
    this.setKernel({ ...this.kernel, mm: r.mm });
    this.note(r.msg ? `read → ${r.msg.event === 0x12 ? `fault at gfn ${gfnOf(this.env, r.msg.address)}` : 'REMOVE event'}` : 'read → EAGAIN');
    return r.msg;
  }

  private fill(kind: FillKind, gfn: number, wake: boolean, content?: number): number {
    this.page(gfn, `UFFDIO_${kind.toUpperCase()}`);
    if (content !== undefined) this.checkWord('content', content);
    const first = this.hostPageOf(gfn);
    const n = this.env.hostPagePages;
    const values = Array.from({ length: n }, (_, i) => content ?? this.fetch(first + i));
    this.op(`UFFDIO_${kind.toUpperCase()}`);
    const r = uffdFill(this.kernel.mm, this.env.uffd, kind, this.hvaOf(first), n * PAGE_SIZE, wake ? 0 : UFFDIO_COPY_MODE_DONTWAKE, values);
    this.setKernel({ ...this.kernel, mm: r.mm });
    this.note(`UFFDIO_${kind.toUpperCase()}${wake ? '' : '(DONTWAKE)'} gfn ${first} → ${r.result.ret === 0 ? '0' : errnoName(r.result.errno)}`);
    return r.result.ret === 0 ? 0 : r.result.errno;
  }

  /** UFFDIO_COPY of the source content (or `content`) of the host page holding `gfn`; 0 or errno. */
  uffdCopy(gfn: number, options: { wake: boolean; content?: number }): number {
    return this.fill('copy', gfn, options.wake, options.content);
  }

  uffdZeropage(gfn: number, options: { wake: boolean }): number {
    return this.fill('zeropage', gfn, options.wake, 0);
  }

  uffdContinue(gfn: number, options: { wake: boolean }): number {
    return this.fill('continue', gfn, options.wake);
  }

  uffdWake(gfn: number): number {
    this.page(gfn, 'UFFDIO_WAKE');
    this.op('UFFDIO_WAKE');
    const first = this.hostPageOf(gfn);
    const r = uffdWake(this.kernel.mm, this.env.uffd, this.hvaOf(first), this.env.hostPagePages * PAGE_SIZE);
    this.setKernel({ ...this.kernel, mm: r.mm });
    this.note(`UFFDIO_WAKE gfn ${first}`);
    return r.result.ret === 0 ? 0 : r.result.errno;
  }

  /**
   * A plain store of the content through the VMM's mapping (memcpy); may sleep in the
   * uffd. On hugetlbfs the whole huge page is copied in this one step (a shortcut: a real
   * memcpy fills it store by store after the first store faults it in zeroed).
   */
  memcpy(gfn: number, content?: number): Outcome {
    this.page(gfn, 'memcpy');
    if (content !== undefined) this.checkWord('content', content);
    this.op('memcpy');
    const first = this.env.hostPagePages > 1 ? this.hostPageOf(gfn) : gfn;
    for (let g = first; g < first + this.env.hostPagePages; g++) {
      const r = userAccess(this.kernel, this.spec.task, this.hvaOf(g), content ?? this.fetch(g));
      this.setKernel(r.state);
      if (r.kind === 'blocked') return this.sleep(`memcpy to gfn ${g}`);
    }
    this.note(`memcpy gfn ${first}${this.env.hostPagePages > 1 ? `..${first + this.env.hostPagePages - 1}` : ''}`);
    return 'ok';
  }

  /**
   * pwrite() of the page's content into the guest_memfd; 0 or errno. On a page already
   * present: ENOSPC (v1–v5), or 0 having overwritten it (v6): see GmemWriteSemantics.
   */
  gmemWrite(gfn: number, content = this.fetch(gfn)): number {
    this.page(gfn, 'write(guest_memfd)');
    this.checkWord('content', content);
    this.op('write(guest_memfd)');
    const before = backingContent(this.sys, this.env, gfn);
    const slot = slotOf(this.env, gfn) as SlotLayout;
    const r = gmemWrite(this.kernel.mm, this.env.gmemFd, (slot.hostOffset + gfn - slot.baseGfn) * PAGE_SIZE, content, this.kernel.config.variant.gmemWrite);
    this.setKernel({ ...this.kernel, mm: r.mm });
    const overwrote = r.result.ret >= 0 && before !== ABSENT ? ' (overwrote the page)' : '';
    this.note(`write(guest_memfd) gfn ${gfn} → ${r.result.ret >= 0 ? 'ok' : errnoName(r.result.errno)}${overwrote}`);
    return r.result.ret >= 0 ? 0 : r.result.errno;
  }

  /**
   * Install the source content of `gfn` the way this configuration installs pages:
   * UFFDIO_COPY (MISSING), UFFDIO_CONTINUE (MINOR), write() (guest_memfd), or a memcpy
   * when no userfaultfd is registered. 0, or the errno (EEXIST: someone else did it).
   * guest_memfd's "already populated" answer is ENOSPC (v1–v5): reported as EEXIST here;
   * under v6 the write overwrites and nothing says so (deduplicate: page-book installOnce).
   */
  populate(gfn: number, options: { wake: boolean }): number {
    this.page(gfn, 'populate');
    const { backing, uffdMode } = this.env.config;
    if (backing === 'guest_memfd') {
      const err = this.gmemWrite(gfn);
      return err === Errno.ENOSPC ? Errno.EEXIST : err;
    }
    if (this.env.uffd < 0) return this.memcpy(gfn) === 'ok' ? 0 : Errno.EAGAIN;
    return uffdMode === 'minor' ? this.uffdContinue(gfn, options) : this.uffdCopy(gfn, options);
  }

  /** Store `gfn`'s bit of its memslot's userfault bitmap, bit gfn - base_gfn (a release store when clearing). */
  setUserfaultBit(gfn: number, value: boolean): void {
    this.page(gfn, 'userfault bitmap store');
    const bit = userfaultBitOf(this.env, gfn);
    this.storeBitmapBit(bit?.bitmap ?? 0, bit?.index ?? gfn, value, this.env.slots.length > 1 ? `bit ${bit?.index ?? gfn} (gfn ${gfn})` : `bit ${gfn}`);
  }

  /**
   * Store bit `index` of memslot `slot`'s bitmap as given, without mapping a gfn: what a
   * VMM that computes the index itself does (right: gfn - base_gfn). 0, or EFAULT when the
   * store misses the VMM's memory.
   */
  setSlotBitmapBit(slot: number, index: number, value: boolean): number {
    const s = this.env.slots[slot];
    if (!s || !Number.isInteger(index) || index < 0) throw new StepApiMisuse(`bitmap store: memslot ${String(slot)} bit ${String(index)} does not exist`, `memslots: 0..${this.env.slots.length - 1}; bits from 0`);
    return this.storeBitmapBit(s.bitmap, index, value, `memslot ${slot} bit ${index}`);
  }

  private storeBitmapBit(bitmap: number, index: number, value: boolean, what: string): number {
    this.op('bitmap store');
    const r = storeUserfaultBit(this.kernel, bitmap, index, value);
    this.setKernel(r.state);
    this.note(`${value ? 'set' : 'clear'} ${what}${r.result.ret === 0 ? '' : ` → ${errnoName(r.result.errno)}`}`);
    return r.result.ret === 0 ? 0 : r.result.errno;
  }

  /** kvm_read_guest from this thread; the value, or 'blocked'. Checks it against the ground truth. */
  kvmReadGuest(gfn: number): number | 'blocked' {
    this.page(gfn, 'kvm_read_guest');
    this.op('kvm_read_guest');
    const r = kvmReadGuest(this.kernel, this.spec.task, gfn * PAGE_SIZE);
    this.setKernel(r.state);
    if (r.kind === 'blocked') return this.sleep(`kvm_read_guest gfn ${gfn}`);
    this.checkKvmRead(gfn, r.value);
    return r.value;
  }

  /** kvm_write_guest from this thread (e.g. the kvm-clock page); 'ok' or 'blocked'. */
  kvmWriteGuest(gfn: number, value: number): Outcome {
    this.page(gfn, 'kvm_write_guest');
    this.checkWord('value', value);
    this.op('kvm_write_guest');
    const r = kvmWriteGuest(this.kernel, this.spec.task, gfn * PAGE_SIZE, value);
    this.setKernel(r.state);
    if (r.kind === 'blocked') return this.sleep(`kvm_write_guest gfn ${gfn}`);
    this.sys = { ...this.sys, expected: replaceAt(this.sys.expected, gfn, value) };
    this.note(`kvm_write_guest gfn ${gfn} = ${value}`);
    return 'ok';
  }

  /**
   * madvise(MADV_DONTNEED) of one page: the guest gave it up, so it must read as zeros from
   * now on. With a REMOVE event it takes three steps (the step repeats): queue the event
   * and sleep; once woken, drop mmap_changing; then zap.
   */
  balloon(gfn: number): Outcome | 'resumed' {
    this.page(gfn, 'madvise');
    this.op('madvise');
    const r = madvise(this.kernel, this.spec.task, this.hvaOf(gfn), PAGE_SIZE, MADV_DONTNEED);
    this.setKernel(r.state);
    // The guest gave the page up when madvise() was called: until the zap, any content is right.
    if (r.kind === 'blocked') {
      this.sys = { ...this.sys, expected: replaceAt(this.sys.expected, gfn, GIVEN_UP) };
      return this.sleep(`madvise(DONTNEED) gfn ${gfn}: REMOVE event`);
    }
    if (r.kind === 'resumed') {
      this.goto(this.pc);
      this.note(`madvise(DONTNEED) gfn ${gfn}: woken, drops mmap_changing (the zap is next)`);
      return 'resumed';
    }
    this.sys = { ...this.sys, expected: replaceAt(this.sys.expected, gfn, 0) };
    this.note(`madvise(DONTNEED) gfn ${gfn}`);
    return 'ok';
  }

  /**
   * madvise(MADV_POPULATE_WRITE) of the host page holding `gfn`: make it present and
   * writable (breaking COW of a zero page) without changing its content. May sleep in
   * the uffd if the page is missing; the step then repeats once woken.
   */
  populateWrite(gfn: number): Outcome {
    this.op('madvise(MADV_POPULATE_WRITE)');
    const first = this.hostPageOf(gfn);
    const r = madvise(this.kernel, this.spec.task, this.hvaOf(first), this.env.hostPagePages * PAGE_SIZE, MADV_POPULATE_WRITE);
    this.setKernel(r.state);
    if (r.kind === 'blocked') return this.sleep(`madvise(POPULATE_WRITE) gfn ${first}`);
    this.note(`madvise(POPULATE_WRITE) gfn ${first} → ${r.kind === 'done' && r.result.ret === 0 ? '0' : errnoName(r.kind === 'done' ? r.result.errno : 0)}`);
    return 'ok';
  }

  itsSetBaser(gfns: readonly number[]): number {
    this.op('KVM_SET_DEVICE_ATTR(GITS_BASER)');
    const r = itsSetBaser(this.kernel, gfns.map((g) => g * PAGE_SIZE));
    this.setKernel(r.state);
    this.note(r.result.ret < 0 ? `GITS_BASER → ${errnoName(r.result.errno)}` : `GITS_BASER → tables at gfn ${gfns.join(', ')}`);
    return r.result.ret < 0 ? r.result.errno : 0;
  }

  /** One step of KVM_DEV_ARM_ITS_RESTORE_TABLES; checks each table read against the ground truth. */
  itsRestoreTables(): 'blocked' | 'progress' | 'done' {
    this.op('KVM_DEV_ARM_ITS_RESTORE_TABLES');
    const before = this.kernel.vm.vgic;
    const r = itsRestoreTables(this.kernel, this.spec.task);
    this.setKernel(r.state);
    if (r.kind === 'blocked') return this.sleep(`ITS restore reads gfn ${restorePlan(before)[before.itsTablesRead.length]}`);
    const read = r.state.vm.vgic.itsTablesRead;
    if (read.length > before.itsTablesRead.length) {
      const gfn = restorePlan(before)[read.length - 1] as number;
      this.checkKvmRead(gfn, read[read.length - 1] as number);
    }
    if (r.kind === 'done' && r.result.ret < 0) this.note(`→ ${errnoName(r.result.errno)}`);
    return r.kind;
  }

  itsSetCtlr(): number {
    this.op('KVM_SET_DEVICE_ATTR(GITS_CTLR)');
    const r = itsSetCtlr(this.kernel, true);
    this.setKernel(r.state);
    this.note(r.result.ret < 0 ? `GITS_CTLR → ${errnoName(r.result.errno)}` : 'GITS_CTLR.Enabled = 1');
    return r.result.ret < 0 ? r.result.errno : 0;
  }

  /**
   * Toggle KVM_MEM_USERFAULT on memslot `slot` (default the first; flags-only change). The
   * step is not enabled while a vCPU's fault sleeps in userfaultfd (the memslot update
   * waits for SRCU readers).
   */
  setUserfaultFlag(on: boolean, slot = 0): number {
    return this.setSlotFlag(KVM_MEM_USERFAULT, on, 'KVM_MEM_USERFAULT', slot);
  }

  /** Toggle KVM_MEM_LOG_DIRTY_PAGES on memslot `slot` (flags-only change), like setUserfaultFlag. */
  setDirtyLogFlag(on: boolean, slot = 0): number {
    return this.setSlotFlag(KVM_MEM_LOG_DIRTY_PAGES, on, 'KVM_MEM_LOG_DIRTY_PAGES', slot);
  }

  private setSlotFlag(flag: number, on: boolean, name: string, index: number): number {
    const layout = this.env.slots[index];
    if (!layout) throw new StepApiMisuse(`memslot ${String(index)} does not exist`, `memslots: 0..${this.env.slots.length - 1}`);
    const slot = this.kernel.vm.slots.find((s) => s.id === layout.id);
    if (!slot) throw new SimulationUsageError('no memslot');
    const flags = on ? slot.flags | flag : slot.flags & ~flag;
    const r = setUserMemoryRegion2(this.kernel, slotRegion(layout, flags, slot.gmemFile >= 0 ? this.env.gmemFd : -1));
    this.guard(!r.blocked);
    this.op('KVM_SET_USER_MEMORY_REGION2');
    this.setKernel(r.state);
    this.note(`${name} ${on ? 'on' : 'off'}${this.env.slots.length > 1 ? ` (memslot ${index})` : ''} → ${r.result.ret === 0 ? '0' : errnoName(r.result.errno)}`);
    for (const w of r.state.vm.warnings.slice(this.initial.kernel.vm.warnings.length)) this.note(`kernel: ${describeWarning(w)}`);
    return r.result.ret === 0 ? 0 : r.result.errno;
  }

  // --- KVM Demand Paging and async PF user ---------------------------------------------

  /** Whether the demand-paging notification fd has a notification to read. */
  demandPagingReadable(): boolean {
    return demandPagingReadable(this.kernel, this.env.demandPagingFd);
  }

  /** read() on the demand-paging notification fd: the gfn KVM waits for, or undefined (EAGAIN). */
  demandPagingRead(): number | undefined {
    this.op('read(demand-paging fd)');
    const r = demandPagingRead(this.kernel, this.env.demandPagingFd);
    this.setKernel(r.state);
    const gfn = r.gpa === undefined ? undefined : r.gpa / PAGE_SIZE;
    this.note(gfn === undefined ? `read → ${errnoName(r.result.errno)}` : `read → KVM waits for gfn ${gfn}`);
    return gfn;
  }

  /**
   * KVM_MARK_GFNS_PRESENT (or NON_PRESENT with `present` false) of the host page holding
   * `gfn` (a whole huge page on hugetlbfs); 0 or errno.
   */
  markPresent(gfn: number, present = true): number {
    this.page(gfn, 'KVM_MARK_GFNS_PRESENT');
    const first = this.hostPageOf(gfn);
    const n = this.env.hostPagePages;
    this.op(present ? 'KVM_MARK_GFNS_PRESENT' : 'KVM_MARK_GFNS_NON_PRESENT');
    const range = { gpa: first * PAGE_SIZE, size: n * PAGE_SIZE };
    const r = present ? markGfnsPresent(this.kernel, range) : markGfnsNonPresent(this.kernel, range);
    this.setKernel(r.state);
    const name = present ? 'KVM_MARK_GFNS_PRESENT' : 'KVM_MARK_GFNS_NON_PRESENT';
    this.note(`${name} gfn ${first}${n > 1 ? `..${first + n - 1}` : ''} → ${r.result.ret === 0 ? '0' : errnoName(r.result.errno)}`);
    return r.result.ret === 0 ? 0 : r.result.errno;
  }

  /** KVM_ASYNC_PF_USER_READY {token} on vCPU `vcpu`'s fd; 0 or errno (EINVAL: not an outstanding token). */
  asyncPfUserReady(vcpu: number, token: number): number {
    this.op('KVM_ASYNC_PF_USER_READY');
    const r = asyncPfUserReady(this.kernel, vcpu, token);
    this.setKernel(r.state);
    this.note(`KVM_ASYNC_PF_USER_READY vcpu ${vcpu} token 0x${token.toString(16)} → ${r.result.ret === 0 ? '0' : errnoName(r.result.errno)}`);
    return r.result.ret === 0 ? 0 : r.result.errno;
  }

  private sleep(what: string): 'blocked' {
    this.blocked = true;
    const where = isTaskWaitingForPresent(this.kernel, this.spec.task) ? 'waits for KVM_MARK_GFNS_PRESENT' : 'sleeps in userfaultfd';
    this.note(`${what}: ${where}`);
    return 'blocked';
  }

  private checkKvmRead(gfn: number, value: number): void {
    const expected = this.sys.expected[gfn] ?? 0;
    this.note(`KVM read gfn ${gfn} = ${value}`);
    if (!contentAgrees(expected, value)) this.violate(VIOLATION.kvmReadWrongContent, gfn, value, expected);
  }
}
