/**
 * A VMM handler strategy: how a VMM serves faults. It is what users write in their own
 * file (`kvmuf check --handler ./my-handler.ts`) and what `src/vmm/` bundles.
 *
 * A strategy supplies steps, each one atomic operation on the simulated kernel through
 * the StepContext (c.populate, c.uffdCopy, c.setUserfaultBit, c.uffdRead, ...):
 * - `vcpuExit`: what a vCPU thread does after KVM_RUN returned KVM_EXIT_MEMORY_FAULT.
 *   Register 0 holds the faulting gfn, register 1 the exit flags, register 2 the async
 *   PF user token (0 if none); after the last step
 *   the vCPU enters KVM_RUN again.
 * - `threads`: extra VMM threads (userfaultfd readers, prefetchers, ...), each a loop of
 *   steps; a step calls c.guard(false) when it cannot run (e.g. nothing to read).
 * VMM bookkeeping lives in registers (per thread) and `vmm` words (shared).
 */
import type { DesignName } from '../system/config.ts';
import type { Environment } from '../system/environment.ts';
import type { Property } from '../checker/index.ts';
import type { SystemState } from '../system/state.ts';
import type { Step } from '../system/thread.ts';

export interface HandlerThread {
  readonly name: string;
  /** Registers the thread uses (default 4). */
  readonly regs?: number;
  readonly steps: readonly Step[];
  /**
   * The thread must finish (reach DONE via c.goto(DONE)): a run where it never does is a
   * deadlock or a violation of "declared threads finish". Default false: handler threads
   * loop and may idle forever.
   */
  readonly mustFinish?: boolean;
}

export interface HandlerStrategy {
  readonly name: string;
  readonly description: string;
  /** The designs this strategy serves. */
  readonly designs: readonly DesignName[];
  readonly vcpuExit: readonly Step[];
  readonly threads?: (env: Environment) => readonly HandlerThread[];
  /** Words of shared VMM memory, all 0 at start (default: one per guest page). */
  readonly vmmWords?: (env: Environment) => number;
  /** Every thread of `threads(env)` must finish (as if each declared `mustFinish: true`). */
  readonly threadsMustFinish?: boolean;
  /**
   * A promise that the handler never tells vCPUs apart by index: no VMM word, handler
   * register or handler step depends on which vCPU faulted (a vCPU's own exit steps may
   * use its own state). Lets `kvmuf check --symmetry` treat vCPUs with identical guest
   * programs as interchangeable (src/system/vcpu-symmetry.ts). Default: false.
   */
  readonly vcpuSymmetric?: boolean;
  /**
   * A promise that handler threads built from the very same step objects (a pool of
   * identical workers, e.g. `threads: () => [reader, { ...reader, name: 'reader2' }]`) are
   * never told apart: no step reads its thread's name or index, and no VMM word or
   * register belongs to one worker. Lets `kvmuf check --symmetry` treat them as
   * interchangeable (src/system/worker-symmetry.ts). Default: false.
   */
  readonly workersSymmetric?: boolean;
  /**
   * A promise that no handler step reads or changes a vCPU object: no kick, no
   * KVM_ASYNC_PF_USER_READY, no KVM_SET_MSRS, no device (ITS) ioctl, no KVM_RUN of its own,
   * and no reading `c.kernel.vm.vcpus` or `c.sys` directly (a vCPU's exit steps learn about
   * their exit from its registers). The operations are checked (KVMUF210 when one is
   * attempted); the reads are not. Lets `kvmuf check --por` treat a vCPU's KVM_RUN entry
   * as independent of every handler step (src/system/partial-order.ts). Default: false.
   */
  readonly leavesVcpusAlone?: boolean;
  /**
   * Properties of your own, checked and reported like the built-in ones: `always`,
   * `eventually`, `leadsTo`, `sometimes` over the SystemState (see the accessors in
   * 'kvmuf': pageExpected, pageContent, threadFinished, vmmWord), or a function of the
   * environment returning them.
   */
  readonly properties?: readonly Property<SystemState>[] | ((env: Environment) => readonly Property<SystemState>[]);
}

/** Register numbers of a vCPU thread. */
export const REG_GFN = 0;
export const REG_FLAGS = 1;
/** Async PF user: the token of an asynchronous exit (0 for a synchronous one). */
export const REG_TOKEN = 2;

/** Identity helper that gives a user's handler file its types. */
export function defineHandler(strategy: HandlerStrategy): HandlerStrategy {
  return strategy;
}
