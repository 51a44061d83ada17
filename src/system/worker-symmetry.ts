/**
 * Symmetry over interchangeable handler workers (issue 14 item 3), the companion of
 * vcpu-symmetry.ts. A VMM often runs a pool of identical threads (several userfaultfd
 * readers, a pool of populate workers). Two handler threads are interchangeable when they
 * run the very same step objects with the same register count, loop target and finish
 * obligation, and the handler promises (`HandlerStrategy.workersSymmetric`) that no step
 * tells them apart: nothing reads the thread's own name or index, and no VMM word is
 * owned by one worker. A state and the state with two such workers renamed (their thread
 * slots, and their task ids wherever the kernel names a task: userfaultfd fault and event
 * queues, pending zaps) then behave alike, and the explorer keeps one member per orbit:
 * sound for safety, not used for liveness, as with vCPUs.
 *
 * The representative sorts each group by the worker's own state (pc, registers) and its
 * task's places in the kernel's queues. Composed with the vCPU representative: the two
 * rename disjoint sets of threads, and each key reads only positions in queues, which a
 * renaming of other tasks leaves where they are, so applying both gives one canonical
 * member of the joint orbit.
 *
 * The assumption is checked by test/system/worker-symmetry.test.ts on every reachable
 * state of the configurations it covers: renaming two workers commutes with every step.
 */
import type { KernelState } from '../kvm/state.ts';
import { pushMmQueuePlaces, renameMmTasks } from './task-queues.ts';
import { sortingRenaming } from './orbit-sort.ts';
import type { SystemState, ThreadState } from './state.ts';
import type { Step, ThreadSpec } from './thread.ts';

/** Groups (each of 2 or more thread indices, ascending) of interchangeable handler threads; empty when the handler made no promise. */
export function workerSymmetryGroups(threads: readonly ThreadSpec[], promised: boolean): number[][] {
  if (!promised) return [];
  const stepIds = new Map<Step, number>();
  const idOf = (st: Step): number => {
    let id = stepIds.get(st);
    if (id === undefined) stepIds.set(st, (id = stepIds.size));
    return id;
  };
  const byShape = new Map<string, number[]>();
  threads.forEach((t, i) => {
    if (t.kind !== 'handler') return;
    const key = `${t.regs}|${t.after}|${t.mustFinish === true}|${t.labelBase ?? 0}|${t.steps.map(idOf).join(',')}`;
    byShape.set(key, [...(byShape.get(key) ?? []), i]);
  });
  return [...byShape.values()].filter((g) => g.length > 1);
}

/** A worker's sort key: its pc and registers, and where its task stands in the kernel's queues. */
function workerKey(s: SystemState, thread: number, task: number): string {
  const t = s.threads[thread];
  const words: number[] = [t?.pc ?? -2, ...(t?.regs ?? []), -1];
  pushMmQueuePlaces(s, task, words);
  return words.join(',');
}

/** The representative of `s` under the worker groups: each group's threads sorted by their keys. Returns `s` itself when every group is sorted. */
export function workerRepresentative(groups: readonly (readonly number[])[], threads: readonly ThreadSpec[], s: SystemState): SystemState {
  const rename = sortingRenaming(groups, threads.length, (t) => workerKey(s, t, (threads[t] as ThreadSpec).task));
  return rename === undefined ? s : renameWorkers(s, threads, rename);
}

/** `s` with thread `i` renamed `rename[i]` (handler threads only), their task ids with them. */
export function renameWorkers(s: SystemState, threads: readonly ThreadSpec[], rename: readonly number[]): SystemState {
  const taskRename = new Map<number, number>();
  rename.forEach((to, from) => {
    if (to !== from) taskRename.set((threads[from] as ThreadSpec).task, (threads[to] as ThreadSpec).task);
  });
  const task = (t: number): number => taskRename.get(t) ?? t;
  const moved = s.threads.slice();
  rename.forEach((to, from) => {
    moved[to] = s.threads[from] as ThreadState;
  });
  const kernel: KernelState = { ...s.kernel, mm: renameMmTasks(s.kernel.mm, task) };
  const thread = (i: number): number => rename[i] ?? i;
  return {
    ...s,
    kernel,
    threads: moved,
    ...(s.violation ? { violation: { ...s.violation, thread: thread(s.violation.thread) } } : {}),
    ...(s.panic ? { panic: { ...s.panic, thread: thread(s.panic.thread) } } : {}),
  };
}
