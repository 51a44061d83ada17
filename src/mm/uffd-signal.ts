/**
 * A signal interrupts a task sleeping in handle_userfault() in an interruptible state
 * (fs/userfaultfd.c: userfaultfd_get_blocking_state() gives TASK_INTERRUPTIBLE for
 * FAULT_FLAG_INTERRUPTIBLE, which GUP sets for FOLL_INTERRUPTIBLE): schedule() returns,
 * and the waiter takes itself off the queue it is on (`if
 * (!list_empty_careful(&uwq.wq.entry)) list_del(&uwq.wq.entry)`), read or not. The fault
 * returns VM_FAULT_RETRY and GUP returns -EINTR. A message already read stays read: the
 * handler may still install the page, and its wake then finds nobody.
 */
import type { MmState } from './host-memory.ts';
import { replaceAt } from './immutable.ts';

/** Take `task`'s page-fault waits off every userfaultfd (pending and read alike). */
export function interruptUffdWait(mm: MmState, task: number): MmState {
  let uffds = mm.uffds;
  uffds.forEach((u, i) => {
    if (!u.pending.some((f) => f.task === task) && !u.waiting.some((f) => f.task === task)) return;
    uffds = replaceAt(uffds, i, { ...u, pending: u.pending.filter((f) => f.task !== task), waiting: u.waiting.filter((f) => f.task !== task) });
  });
  return uffds === mm.uffds ? mm : { ...mm, uffds };
}
