/** Small helpers shared by the host-memory / userfaultfd / madvise suites. */
import { expect } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import { MADV_DONTNEED, PAGE_SIZE, UFFD_FEATURE_EVENT_REMOVE, errnoName, type ErrnoValue, type SysResult } from '../../src/kvm/uapi.ts';
import { peekHostPage } from '../../src/mm/host-fault.ts';
import { ABSENT, fileAt, findVma, vmaAt } from '../../src/mm/host-memory.ts';

export const P = PAGE_SIZE;
/** VMM thread ids (vCPU i is task i). */
export const VMM = 1000;
export const VMM2 = 1001;
export const VMM3 = 1002;

/** Assert a failed syscall with `errno` (compared by name for readable failures). */
export function expectErrno(r: SysResult, errno: ErrnoValue): void {
  expect({ ret: r.ret, errno: errnoName(r.errno) }).toEqual({ ret: -1, errno: errnoName(errno) });
}

export function expectOk(r: SysResult, ret = 0): void {
  expect({ ret: r.ret, errno: r.errno }).toEqual({ ret, errno: 0 });
}

/** What the host PTE at `hva` maps right now, or 'unmapped' (no fault is taken). */
export function mapped(sim: KvmSim, hva: number): number | 'unmapped' {
  const c = peekHostPage(sim.state.mm, hva);
  return c === ABSENT ? 'unmapped' : c;
}

/** The backing page behind `hva` (page cache / anonymous page), mapped or not; 'absent' if none. */
export function backing(sim: KvmSim, hva: number): number | 'absent' {
  const mm = sim.state.mm;
  const vi = findVma(mm, hva);
  if (vi < 0) throw new Error(`no VMA at ${hva.toString(16)}`);
  const vma = vmaAt(mm, vi);
  const c = fileAt(mm, vma.file).pages[vma.fileOffset + Math.floor((hva - vma.start) / P)];
  if (c === undefined) throw new Error('page out of range');
  return c === ABSENT ? 'absent' : c;
}

/** A user access that must complete; returns the content read or written. */
export function access(sim: KvmSim, task: number, hva: number, value?: number): number {
  const r = sim.userAccess(task, hva, value);
  if (r.kind !== 'done') throw new Error(`task ${task} blocked on ${hva.toString(16)}`);
  expectOk(r.result);
  return r.value;
}

/** A user access that must put the task to sleep in userfaultfd. */
export function accessBlocks(sim: KvmSim, task: number, hva: number, value?: number): void {
  const r = sim.userAccess(task, hva, value);
  expect(r.kind).toBe('blocked');
  expect(sim.isTaskBlocked(task)).toBe(true);
}

/** An anonymous mapping of `npages` registered with a new uffd in `mode`. */
export function anonRegistered(npages: number, mode: number, features = UFFD_FEATURE_EVENT_REMOVE): { sim: KvmSim; hva: number; uffd: number } {
  const sim = new KvmSim();
  const hva = sim.mmapAnonymous(npages);
  const uffd = sim.userfaultfd(features);
  expectOk(sim.uffdRegister(uffd, hva, npages * P, mode));
  return { sim, hva, uffd };
}

/** A shmem file of `npages` mapped once, optionally pre-populated with `contents[i]` per page. */
export function shmemMapped(npages: number, contents: readonly number[] = []): { sim: KvmSim; hva: number; file: number } {
  const sim = new KvmSim();
  const file = sim.createFile('shmem', npages);
  const hva = sim.mmapFile(file, npages);
  contents.forEach((c, i) => access(sim, VMM, hva + i * P, c));
  return { sim, hva, file };
}

export function dontneed(sim: KvmSim, task: number, start: number, len: number) {
  return sim.madvise(task, start, len, MADV_DONTNEED);
}
