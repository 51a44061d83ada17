/**
 * The reference handler for async PF user (Kalyazin's RFC, x86): on an exit flagged
 * KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER the vCPU thread records the token and re-enters at
 * once (the guest runs other work); a worker thread installs the page, clears the
 * userfault bit, then calls KVM_ASYNC_PF_USER_READY {token}. A synchronous userfault exit
 * (no free async slot, or an op that came back after "page ready") is served by the vCPU
 * thread itself, as with KVM Userfault. A uffd reader serves KVM's own accesses.
 */
import { Errno, KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER } from '../kvm/uapi.ts';
import { VIOLATION } from '../system/state.ts';
import type { Step } from '../system/thread.ts';
import { VCPU_ENTER } from '../system/vcpu-thread.ts';
import { asyncQueueWords, recordAsyncFault } from './async-pf-queue.ts';
import { asyncPfWorkerThread, type WorkerOptions } from './async-pf-worker.ts';
import { defineHandler, REG_FLAGS, REG_GFN, REG_TOKEN, type HandlerStrategy } from './strategy.ts';
import { readerIfRegistered } from './uffd-reader.ts';
import { clearBitStep, populateStep } from './exit-steps.ts';

/** The vCPU side: record an asynchronous fault and re-enter, or serve a synchronous one. */
export const asyncPfUserExitSteps: readonly Step[] = [
  {
    label: 'record-async',
    run(c) {
      if ((c.reg(REG_FLAGS) & KVM_MEMORY_EXIT_FLAG_ASYNC_PF_USER) === 0) return c.note('synchronous exit');
      const vcpu = c.spec.vcpu ?? 0;
      if (!recordAsyncFault(c, vcpu, c.reg(REG_TOKEN), c.reg(REG_GFN))) c.violate(VIOLATION.populateFailed, c.reg(REG_GFN), Errno.ENOSPC, 0);
      c.note(`token 0x${c.reg(REG_TOKEN).toString(16)} queued for the worker`);
      c.goto(VCPU_ENTER);
    },
  },
  populateStep(),
  clearBitStep(),
];

/** A handler with the reference vCPU steps and a worker built with `worker` options. */
export function asyncPfUserStrategy(name: string, description: string, worker: WorkerOptions = {}): HandlerStrategy {
  return defineHandler({
    name,
    description,
    designs: ['async-pf-user'],
    vcpuExit: asyncPfUserExitSteps,
    threads: (env) => [asyncPfWorkerThread('async-pf-worker', worker), ...readerIfRegistered(env)],
    vmmWords: asyncQueueWords,
  });
}

export const asyncPfUserHandler: HandlerStrategy = asyncPfUserStrategy(
  'async-pf-user',
  'vCPU thread: on an async exit record the token and re-enter at once; worker: install, clear the bit, KVM_ASYNC_PF_USER_READY {token}',
);
