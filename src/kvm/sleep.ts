/** Whether a task is asleep in the kernel: in a userfaultfd, or on the demand-paging wait queue. */
import { isTaskInUffd } from '../mm/userfaultfd.ts';
import { isTaskWaitingForPresent } from './demand-paging-wait.ts';
import type { KernelState } from './state.ts';

export function isTaskAsleep(k: KernelState, task: number): boolean {
  return isTaskInUffd(k.mm, task) || isTaskWaitingForPresent(k, task);
}
