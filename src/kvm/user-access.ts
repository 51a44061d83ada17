/**
 * A VMM thread touching guest memory through its own mapping (memcpy into the HVA,
 * reading a page to send it): an ordinary user access that may sleep in userfaultfd.
 */
import { hostAccess } from '../mm/host-fault.ts';
import type { KvmAccessOutcome } from './kvm-access.ts';
import type { KernelState } from './state.ts';
import { Errno, fail, ok } from './uapi.ts';

/** A read (or, with `value`, a write) of the page at `hva`. EFAULT stands for SIGSEGV. */
export function userAccess(k: KernelState, task: number, hva: number, value?: number): KvmAccessOutcome {
  const r = hostAccess(k.mm, task, hva, value !== undefined, value);
  switch (r.kind) {
    case 'efault':
      return { kind: 'done', state: k, result: fail(Errno.EFAULT), value: 0 };
    case 'userfault':
      return { kind: 'blocked', state: { ...k, mm: r.mm } };
    case 'ok':
      return { kind: 'done', state: { ...k, mm: r.mm }, result: ok(), value: r.content };
  }
}
