/**
 * Where the default matrix's state counts come from. `kvmuf check` with no options runs
 * defaultMatrix() and the README's table shows its counts (kept equal to real output by
 * test/cli/check.test.ts). Here each row's count is derived three ways, as the CLI runs it:
 * the compact encoding (state-codec.ts, the default), exact mode on the full encoding (no
 * interning, no fingerprint collisions possible), and, for rows small enough, the
 * brute-force explorer that identifies states by their canonical JSON
 * (test/helpers/brute-force.ts). All three must agree, and the row must pass.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { defaultMatrix } from '../../src/cli/check-command.ts';
import { configName } from '../../src/cli/config-name.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { bundledHandlerFor } from '../../src/vmm/index.ts';
import { specRefinement } from '../../properties/refinement.ts';
import { bruteForceCount } from '../helpers/brute-force.ts';

/** Rows above this many states skip the brute-force explorer (it keeps every state as a JSON string). */
const BRUTE_FORCE_LIMIT = 40_000;

describe('default matrix: every row counted three ways', { timeout: 180_000 }, () => {
  for (const cfg of defaultMatrix()) {
    const system = composeSystem(cfg, bundledHandlerFor(cfg.design));
    it(configName(system.config), () => {
      const compact = check(systemModel(system, { refinement: specRefinement(system) }), { stopAtFirst: false, liveness: false });
      const exact = check(systemModel(system, { refinement: specRefinement(system), compact: false }), { stopAtFirst: false, liveness: false, exact: true });
      expect(compact.status).toBe('pass');
      expect(exact.stats.distinct).toBe(compact.stats.distinct);
      if (compact.stats.distinct <= BRUTE_FORCE_LIMIT) {
        expect(bruteForceCount(systemModel(system, { refinement: specRefinement(system), compact: false }), BRUTE_FORCE_LIMIT).distinct).toBe(compact.stats.distinct);
      }
    });
  }
});
