/**
 * What the per-kernel-object parts of the step API (uffd, memory, ...) need from the step
 * they run in: count the step's one kernel operation, read and replace the kernel state,
 * note what happened for traces, check arguments, and put the thread to sleep. The step
 * context provides it under a symbol, out of the way of handler authors.
 */
import type { KernelState } from '../../kvm/state.ts';
import type { Environment } from '../environment.ts';
import type { SystemState } from '../state.ts';

export const OP_HOST = Symbol('kvmuf.opHost');

export interface OpHost {
  readonly env: Environment;
  /** The kernel task this thread sleeps as. */
  readonly task: number;
  /** Count the step's kernel operation (a second one is misuse). */
  op(name: string): void;
  /** Before a guard that reads a vCPU object: the handler's leavesVcpusAlone promise (vcpu-object-ops.ts). */
  vcpuObjectOp(name: string): void;
  kernel(): KernelState;
  setKernel(kernel: KernelState): void;
  sys(): SystemState;
  setSys(sys: SystemState): void;
  note(text: string): void;
  /** `gfn`, checked to be a guest page of the configuration. */
  page(gfn: number, what: string): number;
  /** `n` pages from `gfn`, checked to stay inside guest memory. */
  pages(gfn: number, n: number, what: string): number;
  /** `value`, checked to be a 32-bit integer. */
  word(what: string, value: number): number;
  /** The operation sleeps: the thread stays at this step and runs it again once woken. */
  sleep(what: string): 'blocked';
  /** The step is not enabled now (like c.guard(false)). */
  disable(): never;
  /** The source host's content of a page. */
  fetch(gfn: number): number;
}
