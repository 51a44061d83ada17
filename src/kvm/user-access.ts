/**
 * A VMM thread touching guest memory through its own mapping (memcpy into the HVA,
 * reading a page to send it): an ordinary user access that may sleep in userfaultfd.
 */
import { hostAccess } from '../mm/host-fault.ts';
import { accessOutcome, type KvmAccessOutcome } from './kvm-access.ts';
import type { KernelState } from './state.ts';

/** A read (or, with `value`, a write) of the page at `hva`. EFAULT stands for SIGSEGV. */
export function userAccess(k: KernelState, task: number, hva: number, value?: number): KvmAccessOutcome {
  return accessOutcome(k, hostAccess(k.mm, task, hva, value !== undefined, value));
}
