/**
 * Symmetry over interchangeable vCPUs (issue 14 item 3). vCPUs whose guest programs are
 * identical are interchangeable when nothing else in the system tells them apart: a state
 * and the state with those vCPUs renamed (their kernel vCPU objects, their threads, and
 * every reference to their task ids) behave alike. The explorer then keeps one member of
 * each orbit — sound for safety (an `always` property fails in some state iff it fails in
 * its representative, as the properties treat vCPUs alike), not used for liveness.
 *
 * The representative sorts each group of interchangeable vCPUs by their own state (kernel
 * vCPU object without its id, their thread's pc and registers, and their places in the
 * kernel's queues). Pages are not permuted: vCPUs are interchangeable only when their
 * programs touch the same pages with the same values, so no page is owned by one of
 * them. (Were some reference to a vCPU left out of the key, two members of one orbit
 * could keep two representatives: less reduction, never unsoundness, as a representative
 * is always a member of the orbit.)
 *
 * When it applies (`vcpuSymmetryGroups`), each an assumption checked by
 * test/system/vcpu-symmetry.test.ts on every reachable state of the configurations it
 * covers (the successors of a renamed state are the renamed successors):
 * - the handler says it never refers to a vCPU by index (`HandlerStrategy.vcpuSymmetric`):
 *   no VMM word, handler register or handler step depends on which vCPU faulted;
 * - no control step names a vCPU: no kvm-clock or steal time (vCPU 0's MSRs), no ITS restore that
 *   kicks the vCPUs one by one (its register counts the vCPUs kicked, in index order);
 * - not the async-pf-user design (its tokens and parked ops are per vCPU slot).
 */
import { VMM_TASK_BASE, type KernelState, type Vcpu } from '../kvm/state.ts';
import { encodeVcpu } from '../kvm/encode.ts';
import { pushMmQueuePlaces, renameMmTasks } from './task-queues.ts';
import { sortingRenaming } from './orbit-sort.ts';
import type { SystemState, ThreadState } from './state.ts';
import type { ResolvedConfig } from './config.ts';

/** Groups (each of 2 or more vCPU indices, ascending) of interchangeable vCPUs; empty when the symmetry does not apply. */
export function vcpuSymmetryGroups(cfg: ResolvedConfig, handlerSymmetric: boolean): number[][] {
  if (!handlerSymmetric || cfg.design === 'async-pf-user') return [];
  if (cfg.control.kvmClockGfn !== undefined || cfg.control.stealTimeGfn !== undefined) return [];
  if ((cfg.control.itsTables?.length ?? 0) > 0 && !cfg.control.vcpusWait) return [];
  const byProgram = new Map<string, number[]>();
  cfg.programs.forEach((p, v) => {
    const key = JSON.stringify(p);
    byProgram.set(key, [...(byProgram.get(key) ?? []), v]);
  });
  return [...byProgram.values()].filter((g) => g.length > 1);
}

/**
 * A sort key of vCPU `id`: its kernel object without the id, its thread, and where its
 * task stands in the kernel's queues (uffd fault and event queues, pending zaps, demand
 * paging waiters). With the queue positions in it, vCPUs with equal keys play exactly
 * the same part, so sorting by the key gives one representative per orbit.
 */
function localKey(s: SystemState, id: number): string {
  const words: number[] = [];
  encodeVcpu((w) => words.push(w | 0), { ...(s.kernel.vm.vcpus[id] as Vcpu), id: 0 });
  const t = s.threads[id];
  words.push(-1, t?.pc ?? -2, ...(t?.regs ?? []), -1);
  pushMmQueuePlaces(s, id, words);
  const waiters = s.kernel.vm.demandPaging.waiters;
  for (let i = 0; i < waiters.length; i++) if ((waiters[i] as { task: number }).task === id) words.push(i);
  words.push(-1);
  return words.join(',');
}

/**
 * The representative of `s` under the groups: within each group, the vCPUs (and their
 * threads, the first `vcpus` threads) sorted by local state. Returns `s` itself when
 * every group is already sorted.
 */
export function vcpuRepresentative(groups: readonly (readonly number[])[], s: SystemState): SystemState {
  const rename = sortingRenaming(groups, s.kernel.vm.vcpus.length, (v) => localKey(s, v));
  return rename === undefined ? s : renameVcpus(s, rename);
}

/** `s` with vCPU `i` renamed `rename[i]` everywhere it is named. */
export function renameVcpus(s: SystemState, rename: readonly number[]): SystemState {
  const n = rename.length;
  const task = (t: number): number => (t >= 0 && t < n && t < VMM_TASK_BASE ? (rename[t] as number) : t);
  const k = s.kernel;
  const vcpus: Vcpu[] = new Array<Vcpu>(n);
  k.vm.vcpus.forEach((v, i) => {
    vcpus[rename[i] as number] = { ...v, id: rename[i] as number };
  });
  const threads = s.threads.slice();
  for (let i = 0; i < n; i++) threads[rename[i] as number] = s.threads[i] as ThreadState;
  const kernel: KernelState = {
    ...k,
    mm: renameMmTasks(k.mm, task),
    vm: {
      ...k.vm,
      vcpus,
      demandPaging: { ...k.vm.demandPaging, waiters: k.vm.demandPaging.waiters.map((w) => ({ ...w, task: task(w.task) })) },
    },
  };
  return {
    ...s,
    kernel,
    threads,
    ...(s.violation ? { violation: { ...s.violation, thread: task(s.violation.thread) } } : {}),
    ...(s.panic ? { panic: { ...s.panic, thread: task(s.panic.thread) } } : {}),
  };
}
