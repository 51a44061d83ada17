/**
 * A canonical encoding of the kernel state into 32-bit words, for fingerprints and exact
 * state comparison. Two states encode equal iff they are equal (static configuration
 * aside): every variable-length part carries its length, and the order is fixed.
 */
import type { MemFile, MmState, Uffd, UffdFault, Vma } from '../mm/host-memory.ts';
import type { InFlightFault, KernelState, Memslot, RunResult, Vcpu, VgicState, VmState } from './state.ts';

export type WordSink = (word: number) => void;

const TWO_32 = 2 ** 32;

export function u64(push: WordSink, n: number): void {
  push(n % TWO_32 | 0);
  push(Math.floor(n / TWO_32) | 0);
}

function list<T>(push: WordSink, items: readonly T[], each: (item: T) => void): void {
  push(items.length);
  for (const item of items) each(item);
}

/** Pack small values (each < 2^bits) several to a word. */
function packed(push: WordSink, values: readonly (number | boolean)[], bits: number): void {
  push(values.length);
  const perWord = Math.floor(32 / bits);
  for (let i = 0; i < values.length; i += perWord) {
    let word = 0;
    for (let j = 0; j < perWord && i + j < values.length; j++) word |= (Number(values[i + j]) & ((1 << bits) - 1)) << (j * bits);
    push(word);
  }
}

const FILE_KIND = { anon: 0, shmem: 1, hugetlb: 2, guest_memfd: 3 } as const;
const MODE = { user: 0, guest: 1, install: 2, 'uffd-wait': 3, halted: 4 } as const;

function encodeFile(push: WordSink, f: MemFile): void {
  push(FILE_KIND[f.kind]);
  push(f.hostPagePages);
  list(push, f.pages, (p) => push(p));
}

function encodeVma(push: WordSink, v: Vma): void {
  u64(push, v.start);
  push(v.npages);
  push(v.file);
  push(v.fileOffset);
  packed(push, v.mapped, 1);
  packed(push, v.zeroPage, 1);
  push(v.thp ? 1 : 0);
  push(v.uffd);
  push(v.uffdMode);
}

function encodeFault(push: WordSink, f: UffdFault): void {
  push(f.task);
  u64(push, f.address);
  push(f.flags);
}

function encodeUffd(push: WordSink, u: Uffd): void {
  push(u.fd);
  push(u.open ? 1 : 0);
  push(u.features);
  list(push, u.pending, (f) => encodeFault(push, f));
  list(push, u.waiting, (f) => encodeFault(push, f));
  list(push, u.events, (e) => {
    push(e.task);
    u64(push, e.start);
    u64(push, e.len);
  });
}

export function encodeFiles(push: WordSink, files: MmState['files']): void {
  list(push, files, (f) => encodeFile(push, f));
}

export function encodeVmas(push: WordSink, vmas: MmState['vmas']): void {
  list(push, vmas, (v) => encodeVma(push, v));
}

export function encodeDataRegions(push: WordSink, data: MmState['data']): void {
  list(push, data, (d) => {
    u64(push, d.start);
    push(d.length);
    packed(push, d.bytes, 8);
  });
}

export function encodeUffds(push: WordSink, uffds: MmState['uffds']): void {
  list(push, uffds, (u) => encodeUffd(push, u));
}

export function encodePendingZaps(push: WordSink, zaps: MmState['pendingZaps']): void {
  list(push, zaps, (z) => {
    push(z.task);
    push(z.uffd);
    push(z.mmapChanging ? 1 : 0);
    u64(push, z.start);
    u64(push, z.len);
  });
}

export function encodeGmems(push: WordSink, gmems: MmState['gmems']): void {
  list(push, gmems, (g) => {
    push(g.fd);
    push(g.file);
    push(g.flags | (g.open ? 1 << 31 : 0));
  });
}

export function encodeMm(push: WordSink, mm: MmState): void {
  encodeFiles(push, mm.files);
  encodeVmas(push, mm.vmas);
  encodeDataRegions(push, mm.data);
  encodeUffds(push, mm.uffds);
  encodePendingZaps(push, mm.pendingZaps);
  encodeGmems(push, mm.gmems);
  u64(push, mm.nextHva);
  push(mm.nextFd);
}

function encodeSlot(push: WordSink, s: Memslot): void {
  push(s.id);
  push(s.baseGfn);
  push(s.npages);
  u64(push, s.userspaceAddr);
  push(s.flags);
  u64(push, s.userfaultBitmap);
  push(s.gmemFile);
  push(s.gmemOffset);
  packed(push, s.spte, 2);
  packed(push, s.present, 1);
  // Only once dirty logging was enabled; the marker is no slot id and no list length.
  if (s.writeProtected) {
    push(0xfffffffe);
    packed(push, s.writeProtected, 1);
  }
}

function encodeInFlight(push: WordSink, f: InFlightFault | undefined): void {
  if (!f) return push(0);
  push(1 | (f.write ? 2 : 0) | (f.private ? 4 : 0) | (f.retry ? 8 : 0) | (f.pvclock ? 16 : 0) | (f.stealTime ? 32 : 0));
  push(f.gfn);
  push(f.opPc);
}

function encodeRun(push: WordSink, r: RunResult): void {
  push(r.ret);
  push(r.errno);
  push(r.exitReason);
  if (r.memoryFault) {
    push(1);
    push(r.memoryFault.flags);
    u64(push, r.memoryFault.gpa);
    push(r.memoryFault.size);
    if (r.memoryFault.token !== undefined) {
      push(1);
      push(r.memoryFault.token);
    } else push(0);
  } else push(0);
  if (r.mmioGpa !== undefined) {
    push(1);
    u64(push, r.mmioGpa);
  } else push(0);
}

export function encodeVcpu(push: WordSink, v: Vcpu): void {
  push(v.pc);
  push(MODE[v.mode] | (v.kicked ? 0x100 : 0) | (v.pvclockPending !== undefined ? 0x200 : 0) | (v.mutexHeldBy !== undefined ? 0x400 : 0) | (v.stealTimePending !== undefined ? 0x800 : 0));
  if (v.mutexHeldBy !== undefined) push(v.mutexHeldBy);
  if (v.pvclockPending !== undefined) u64(push, v.pvclockPending);
  if (v.stealTimePending !== undefined) u64(push, v.stealTimePending);
  encodeInFlight(push, v.fault);
  encodeRun(push, v.run);
  if (v.lastAccess) {
    const at = v.lastAccess.offset;
    push((v.lastAccess.write ? 3 : 1) | (at !== undefined ? 4 : 0));
    push(v.lastAccess.gfn);
    push(v.lastAccess.value);
    if (at !== undefined) {
      push(at);
      push(v.lastAccess.stored ?? 0);
    }
  } else push(0);
  list(push, v.parked, (p) => {
    push(p.token);
    push(p.pc);
    push(p.gfn);
    push(p.ready ? 1 : 0);
  });
}

export function encodeVgic(push: WordSink, g: VgicState): void {
  list(push, g.itsTableGfns, (x) => push(x));
  list(push, g.itsTablesRead, (x) => push(x));
  push((g.itsTablesRestored ? 1 : 0) | (g.gitsCtlrEnabled ? 2 : 0) | (g.vcpusLocked ? 4 : 0));
  push(g.pendingTableGfn);
  push(g.pendingTableRead);
  push(g.propTableGfn);
  push(g.cmdQueueGfn);
  push(g.cmdQueueRead);
  push((g.pendingTableZero ? 1 : 0) | (g.cmdQueuePending ? 2 : 0));
}

export function encodeSlots(push: WordSink, slots: VmState['slots']): void {
  list(push, slots, (s) => encodeSlot(push, s));
}

export function encodeGfnList(push: WordSink, gfns: readonly number[]): void {
  list(push, gfns, (g) => push(g));
}

export function encodeDemandPaging(push: WordSink, d: VmState['demandPaging']): void {
  push(d.notifyFd);
  list(push, d.waiters, (w) => {
    push(w.task);
    push(w.gfn);
    push(w.notified ? 1 : 0);
  });
}

export function encodeWarnings(push: WordSink, warnings: VmState['warnings']): void {
  list(push, warnings, (w) => push(w));
}

export function encodeVm(push: WordSink, vm: VmState): void {
  encodeSlots(push, vm.slots);
  list(push, vm.vcpus, (v) => encodeVcpu(push, v));
  encodeGfnList(push, vm.privateGfns);
  encodeVgic(push, vm.vgic);
  encodeDemandPaging(push, vm.demandPaging);
  encodeWarnings(push, vm.warnings);
}

export function encodeKernel(push: WordSink, k: KernelState): void {
  encodeMm(push, k.mm);
  encodeVm(push, k.vm);
}

/** The encoding as an array (for tests and exact comparison). */
export function kernelWords(k: KernelState): number[] {
  const out: number[] = [];
  encodeKernel((w) => out.push(w | 0), k);
  return out;
}
