/**
 * The scale matrix: design × backing × arch, 2 vCPUs × 2 pages, each with its reference
 * handler, explored exhaustively (liveness included). Every state count is pinned, and
 * cross-checked here against an independent brute-force explorer (test/helpers), so a
 * change in semantics shows up as a changed number and an explorer bug as a mismatch.
 *
 * Why the numbers differ: kvm-userfault adds the exit/populate/clear steps of each
 * vCPU (282); uffd-only has no exits, vCPUs sleep in the uffd instead (119); hugetlbfs
 * installs both pages in one huge page at once (63, 128); backings and arches that
 * install one base page alike give the same graph. demand-paging and async-pf-user were
 * pinned from `check` and cross-checked with bruteForceCount below, which agreed on every
 * entry (282/154 and 8659).
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { bundledHandlerFor } from '../../src/vmm/index.ts';
import { bruteForceCount } from '../helpers/brute-force.ts';
import { matrixConfig, matrixEntries, type MatrixEntry } from './matrix.ts';

const PINNED: Record<string, number> = {
  'kvm-userfault/anon': 282,
  'kvm-userfault/shmem': 282,
  'kvm-userfault/hugetlb': 282,
  'kvm-userfault/guest_memfd': 282,
  'uffd/anon': 119,
  'uffd/shmem': 119,
  'uffd/hugetlb': 63,
  'exit-on-missing/anon': 230,
  'exit-on-missing/shmem': 230,
  'exit-on-missing/hugetlb': 128,
  // The same shape as kvm-userfault (exit → install → mark present → re-enter; the
  // notification reader never runs: the guest alone makes no KVM access).
  'demand-paging/anon': 282,
  'demand-paging/shmem': 282,
  'demand-paging/guest_memfd': 282,
  // One memcpy fills the huge page and one KVM_MARK_GFNS_PRESENT covers it.
  'demand-paging/hugetlb': 154,
  // x86 only. Parked ops, tokens and the worker's queue make it ~30× larger; hugetlbfs
  // does not shrink it (the bits, exits and tokens stay per base page).
  'async-pf-user/anon': 8659,
  'async-pf-user/shmem': 8659,
  'async-pf-user/hugetlb': 8659,
  'async-pf-user/guest_memfd': 8659,
};

const name = (e: MatrixEntry) => `${e.design}/${e.backing}/${e.arch}${e.series ? `/${e.series}` : ''}`;

describe('scale matrix (2 vCPUs × 2 pages, reference handlers)', () => {
  for (const e of matrixEntries()) {
    it(`${name(e)} passes exhaustively with the pinned state count`, () => {
      const system = composeSystem(matrixConfig(e), bundledHandlerFor(e.design));
      const result = check(systemModel(system, { consistency: true }));
      expect(result.failures).toEqual([]);
      expect(result.status).toBe('pass');
      expect(result.liveness).toBe('checked');
      const pinned = PINNED[`${e.design}/${e.backing}`];
      expect(result.stats.distinct).toBe(pinned);
      expect(bruteForceCount(systemModel(system)).distinct).toBe(result.stats.distinct);
    }, 30_000);
  }
});
