/**
 * The scale matrix: design × backing × arch × 1–3 vCPUs (2 pages), each with its
 * reference handler, explored exhaustively (liveness included). Every state count is
 * pinned (matrix-pins.ts says how each was derived and cross-checked), so a change in
 * semantics shows up as a changed number and an explorer bug as a mismatch.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { bundledHandlerFor } from '../../src/vmm/index.ts';
import { bruteForceCount } from '../helpers/brute-force.ts';
import { MATRIX_VCPUS, matrixConfig, matrixEntries, matrixName } from './matrix.ts';
import { benchOnly, PINNED } from './matrix-pins.ts';

describe('scale matrix (1–3 vCPUs × 2 pages, reference handlers)', () => {
  for (const vcpus of MATRIX_VCPUS) {
    for (const e of matrixEntries()) {
      if (benchOnly(e.design, vcpus, e.backing)) continue;
      it(`${matrixName(e)} ×${vcpus} vCPU: passes exhaustively with the pinned state count`, () => {
        const system = composeSystem(matrixConfig(e, vcpus), bundledHandlerFor(e.design));
        const result = check(systemModel(system, { consistency: vcpus < 3 }), { exact: vcpus === 3 });
        expect(result.failures).toEqual([]);
        expect(result.status).toBe('pass');
        expect(result.liveness).toBe('checked');
        expect(result.stats.distinct).toBe(PINNED[`${e.design}/${e.backing}`]?.[vcpus - 1]);
        if (vcpus < 3) expect(bruteForceCount(systemModel(system)).distinct).toBe(result.stats.distinct);
        else expect(result.stats.fingerprintMatchesRejected).toBe(0);
      }, 60_000);
    }
  }
});
