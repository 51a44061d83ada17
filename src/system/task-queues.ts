/**
 * Where the kernel names a task (a sleeping thread): the userfaultfd fault, wait and event
 * queues, and the pending zaps of madvise() callers. The symmetry reductions
 * (vcpu-symmetry.ts, worker-symmetry.ts) read a task's places there for their sort keys,
 * and rename tasks there when they rename threads.
 */
import type { MmState } from '../mm/host-memory.ts';
import type { SystemState } from './state.ts';

type TaskList = readonly { readonly task: number }[];

/** The task's positions in each of the mm's task queues, each list closed by -1, appended to `words`. */
export function pushMmQueuePlaces(s: SystemState, task: number, words: number[]): void {
  const at = (list: TaskList) => {
    for (let i = 0; i < list.length; i++) if ((list[i] as { task: number }).task === task) words.push(i);
    words.push(-1);
  };
  for (const u of s.kernel.mm.uffds) {
    at(u.pending);
    at(u.waiting);
    at(u.events);
  }
  at(s.kernel.mm.pendingZaps);
}

/** The mm with every task id `t` in its queues renamed `task(t)`. */
export function renameMmTasks(mm: MmState, task: (t: number) => number): MmState {
  return {
    ...mm,
    uffds: mm.uffds.map((u) => ({
      ...u,
      pending: u.pending.map((f) => ({ ...f, task: task(f.task) })),
      waiting: u.waiting.map((f) => ({ ...f, task: task(f.task) })),
      events: u.events.map((e) => ({ ...e, task: task(e.task) })),
    })),
    pendingZaps: mm.pendingZaps.map((z) => ({ ...z, task: task(z.task) })),
  };
}
