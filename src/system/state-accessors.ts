/**
 * Documented ways for a user's properties to read a SystemState without knowing its
 * layout: what a page should hold and holds, where a thread is, the VMM's shared words.
 * Threads are numbered as in paths: the vCPUs, then the control thread (if any), then the
 * handler's threads in the order `threads(env)` returns them.
 */
import { ABSENT } from '../mm/host-memory.ts';
import { backingContent } from './backing.ts';
import type { Environment } from './environment.ts';
import { DONE, type SystemState } from './state.ts';

export { ABSENT };
export { byteAt, PARTIAL_BASE } from '../mm/page-content.ts';

/**
 * What guest page `gfn` should hold: the source content, the guest's last write, 0 after a
 * balloon's zap, or GIVEN_UP. A page written in part (KVM's pvclock, a guest store at an
 * offset) is one integer at or above PARTIAL_BASE: compare with `===` as usual, or read its
 * bytes with byteAt (src/mm/page-content.ts).
 */
export function pageExpected(s: SystemState, gfn: number): number {
  return s.expected[gfn] ?? ABSENT;
}

/** What guest page `gfn`'s backing holds now (a partial page as in pageExpected), or ABSENT (-1) when no page is there. */
export function pageContent(s: SystemState, env: Environment, gfn: number): number {
  return backingContent(s, env, gfn);
}

/** Whether thread `index` has finished (reached DONE). */
export function threadFinished(s: SystemState, index: number): boolean {
  return s.threads[index]?.pc === DONE;
}

/** Register `reg` of thread `index`. */
export function threadRegister(s: SystemState, index: number, reg: number): number {
  return s.threads[index]?.regs[reg] ?? 0;
}

/** The VMM's shared word `i` (c.vmm(i) in a step). */
export function vmmWord(s: SystemState, i: number): number {
  return s.vmm[i] ?? 0;
}
