/**
 * Symmetry over interchangeable handler workers (src/system/worker-symmetry.ts).
 *
 * 1. The assumption, checked on every reachable state (up to a bound): renaming two
 *    workers built from the same steps commutes with the system's steps (the successors
 *    of the renamed state are the renamed successors, as sets of full encodings), and a
 *    state and its renaming have one representative. The pools: two bundled userfaultfd
 *    readers sharing the page book, on the uffd design: anon with a balloon (so REMOVE
 *    events and their EAGAIN window are in play), and shmem with 3 vCPUs. These readers
 *    never fault on guest memory nor madvise it, so their task ids never enter the
 *    kernel's queues here: what is exercised is the renaming of their thread states.
 * 2. Grouping: only threads with the same step objects, and only under the promise.
 * 3. The reduced search against the full one: same verdicts and failed properties, never
 *    more states, and the counterexamples replay on the unreduced system.
 */
import { describe, expect, it } from 'vitest';
import { expectReducedLikeFull, fullKeyOf, successorStates } from '../helpers/system-states.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, workerGroupsOf, type System } from '../../src/system/model.ts';
import type { SystemState } from '../../src/system/state.ts';
import { renameWorkers, workerRepresentative } from '../../src/system/worker-symmetry.ts';
import type { HandlerStrategy } from '../../src/vmm/strategy.ts';
import { uffdReaderThread, type ReaderOptions } from '../../src/vmm/uffd-reader.ts';
import { bundledHandlerFor } from '../../src/vmm/index.ts';

function pool(options: ReaderOptions = {}, promised = true): HandlerStrategy {
  const reader = uffdReaderThread('reader0', options);
  return { ...bundledHandlerFor('uffd'), name: 'reader-pool', workersSymmetric: promised, threads: () => [reader, { ...reader, name: 'reader1' }] };
}

const UFFD_BALLOON: SystemConfig = { design: 'uffd', arch: 'x86', backing: 'anon', vcpus: 2, pages: 2, control: { balloon: [1] } };
const UFFD_SHMEM: SystemConfig = { design: 'uffd', arch: 'x86', backing: 'shmem', vcpus: 3, pages: 2 };

describe('worker symmetry: the simulation cannot tell two readers of one pool apart', () => {
  for (const [name, cfg] of [['uffd anon x86, balloon', UFFD_BALLOON], ['uffd shmem x86, 3 vCPUs', UFFD_SHMEM]] as const) {
    it(`${name}: renaming the two readers commutes with every step of every state reached`, () => {
      const system = composeSystem(cfg, pool());
      const full = fullKeyOf(system);
      const groups = workerGroupsOf(system);
      expect(groups).toHaveLength(1);
      const [a, b] = groups[0] as [number, number];
      const swap = system.threads.map((_, i) => (i === a ? b : i === b ? a : i));
      const seen = new Set<string>();
      const queue = [system.initial];
      let checked = 0;
      let withQueuedTask = 0;
      while (queue.length > 0 && checked < 400) {
        const s = queue.shift() as SystemState;
        const key = full(s);
        if (seen.has(key)) continue;
        seen.add(key);
        const next = successorStates(system, s);
        const renamedNext = next.map((t) => full(renameWorkers(t, system.threads, swap))).sort();
        const nextOfRenamed = successorStates(system, renameWorkers(s, system.threads, swap)).map((t) => full(t)).sort();
        expect(nextOfRenamed).toEqual(renamedNext);
        expect(full(workerRepresentative(groups, system.threads, renameWorkers(s, system.threads, swap)))).toBe(full(workerRepresentative(groups, system.threads, s)));
        if (s.threads[a]?.pc !== s.threads[b]?.pc) withQueuedTask++;
        checked++;
        queue.push(...next);
      }
      expect(checked).toBeGreaterThan(100);
      // The two readers were told apart by their own state often: the renaming was not the identity.
      expect(withQueuedTask).toBeGreaterThan(10);
    });
  }

  it('groups only threads with the very same steps, and only when the handler promises it', () => {
    const equalButDistinct: HandlerStrategy = { ...pool(), threads: () => [uffdReaderThread('reader0'), uffdReaderThread('reader1')] };
    expect(workerGroupsOf(composeSystem(UFFD_BALLOON, equalButDistinct))).toEqual([]);
    expect(workerGroupsOf(composeSystem(UFFD_BALLOON, pool({}, false)))).toEqual([]);
    const system = composeSystem(UFFD_BALLOON, pool());
    expect(workerGroupsOf(system).map((g) => g.map((t) => system.threads[t]?.name))).toEqual([['reader0', 'reader1']]);
  });
});

describe('worker symmetry: the reduced search finds what the full one finds', () => {
  const cases: [string, System][] = [
    ['reference pool, balloon', composeSystem(UFFD_BALLOON, pool())],
    ['pool that ignores REMOVE events, balloon', composeSystem(UFFD_BALLOON, pool({ honourRemove: false }))],
    ['pool that does not wake on EEXIST', composeSystem({ ...UFFD_BALLOON, control: {} }, pool({ wakeOnEexist: false }))],
  ];
  for (const [name, system] of cases) {
    it(`${name}: same verdict and failed properties, no more states, counterexamples replay`, () => {
      const { reduced, full } = expectReducedLikeFull(system, { symmetry: true });
      expect(reduced.symmetry).toBe(true);
      expect(reduced.stats.distinct).toBeLessThan(full.stats.distinct);
      // Orbits of two workers have at most 2 members.
      expect(reduced.stats.distinct).toBeGreaterThanOrEqual(full.stats.distinct / 2);
    });
  }
});
