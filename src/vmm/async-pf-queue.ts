/**
 * The VMM's queue of asynchronous faults (async PF user), in shared VMM words after the
 * per-page words: each vCPU owns ASYNC_PF_USER_SLOTS entries of two words,
 * [token, gfn + 1]; an entry with token 0 is free (the kernel never issues token 0).
 */
import { ASYNC_PF_USER_SLOTS } from '../kvm/async-pf-user.ts';
import type { Environment } from '../system/environment.ts';
import type { StepContext } from '../system/step-context.ts';

export interface AsyncFault {
  readonly entry: number;
  readonly vcpu: number;
  readonly token: number;
  readonly gfn: number;
}

export function asyncQueueWords(env: Environment): number {
  return env.config.pages + 2 * env.config.vcpus * ASYNC_PF_USER_SLOTS;
}

function base(c: StepContext, entry: number): number {
  return c.env.config.pages + 2 * entry;
}

/** Record an asynchronous fault of `vcpu` in one of its free entries; false if none is free. */
export function recordAsyncFault(c: StepContext, vcpu: number, token: number, gfn: number): boolean {
  for (let e = vcpu * ASYNC_PF_USER_SLOTS; e < (vcpu + 1) * ASYNC_PF_USER_SLOTS; e++) {
    if (c.vmm(base(c, e)) !== 0) continue;
    c.setVmm(base(c, e), token);
    c.setVmm(base(c, e) + 1, gfn + 1);
    return true;
  }
  return false;
}

export function asyncFaultAt(c: StepContext, entry: number): AsyncFault | undefined {
  const token = c.vmm(base(c, entry));
  if (token === 0) return undefined;
  return { entry, vcpu: Math.floor(entry / ASYNC_PF_USER_SLOTS), token, gfn: c.vmm(base(c, entry) + 1) - 1 };
}

/** The oldest-numbered recorded fault, if any. */
export function firstAsyncFault(c: StepContext): AsyncFault | undefined {
  for (let e = 0; e < c.env.config.vcpus * ASYNC_PF_USER_SLOTS; e++) {
    const f = asyncFaultAt(c, e);
    if (f) return f;
  }
  return undefined;
}

export function releaseAsyncFault(c: StepContext, entry: number): void {
  c.setVmm(base(c, entry), 0);
  c.setVmm(base(c, entry) + 1, 0);
}
