/**
 * Random schedules past the exhaustive bound: systems of 16–64 vCPUs and hundreds of
 * pages (and medium ones), every invariant checked at every step, then drained fairly:
 * every vCPU must finish. The seed is fixed and printed in the suite title; a failure
 * prints the seed, fast-check's path, and a checker path that `replay` re-runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPath, replay } from '../../src/checker/index.ts';
import { kernelWords } from '../../src/kvm/encode.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel, type System } from '../../src/system/model.ts';
import { checkerPath, simulate, type SimulationResult } from '../../src/system/simulate.ts';
import { clearBeforePopulateHandler } from '../../src/vmm/flawed.ts';
import { bundledHandlerFor } from '../../src/vmm/index.ts';
import type { HandlerStrategy } from '../../src/vmm/strategy.ts';
import { LARGE, schedule, systemConfig, type SizeBounds } from '../../properties/arbitraries.ts';
import { coreProperties } from '../../properties/core.ts';

const SEED = 20261121;
const MEDIUM: SizeBounds = { vcpus: { min: 4, max: 16 }, pages: { min: 8, max: 64 }, programLength: { min: 1, max: 8 } };

function run(cfg: SystemConfig, choices: readonly number[], handler?: HandlerStrategy): { sys: System; r: SimulationResult } {
  const sys = composeSystem(cfg, handler ?? bundledHandlerFor(cfg.design));
  return { sys, r: simulate(sys, choices, { properties: coreProperties(sys.env, sys.threads) }) };
}

/** A failure message with everything needed to reproduce it. */
function explain(sys: System, r: SimulationResult): string {
  const path = { initial: 0, actions: checkerPath(sys, r.threads) };
  const what = r.violated ? `violated '${r.violated.property}' at step ${r.violated.step}` : `did not finish (${r.stuck})`;
  return `${what}; checker path ${formatPath(path)}; last steps:\n  ${r.labels.slice(-8).join('\n  ')}`;
}

describe(`random schedules (fast-check seed ${SEED})`, () => {
  for (const [name, bounds, runs] of [
    ['large systems: 16–64 vCPUs, 100–400 pages', LARGE, 40],
    ['medium systems: 4–16 vCPUs, 8–64 pages', MEDIUM, 300],
  ] as const) {
    it(`${name}: reference handlers keep every invariant and every vCPU finishes`, () => {
      fc.assert(
        fc.property(systemConfig(bounds), schedule({ min: 100, max: 4000 }), (cfg, choices) => {
          const { sys, r } = run(cfg, choices);
          if (r.violated || !r.finished) throw new Error(`${cfg.design}/${cfg.backing}/${cfg.arch} ${cfg.vcpus} vCPUs: ${explain(sys, r)}`);
        }),
        { seed: SEED, numRuns: runs },
      );
    });
  }

  it('a run is a replayable checker trace: replay reaches the same final state', () => {
    const [cfg] = fc.sample(systemConfig(MEDIUM), { seed: SEED, numRuns: 1 });
    const [choices] = fc.sample(schedule({ min: 200, max: 400 }), { seed: SEED + 1, numRuns: 1 });
    if (!cfg || !choices) throw new Error('no sample');
    const { sys, r } = run(cfg, choices);
    expect(r.threads.length).toBeGreaterThan(50);
    const trace = { initial: 0, actions: checkerPath(sys, r.threads), labels: [], fingerprints: [], symmetry: false };
    const states = replay(systemModel(sys), trace);
    expect(kernelWords(states.at(-1)?.kernel ?? sys.initial.kernel)).toEqual(kernelWords(r.final.kernel));
  });

  it('has teeth: a handler that clears the bit before installing is caught, and shrinks small', () => {
    // guest_memfd (no userfaultfd to mask it), 2–8 vCPUs sharing 4 pages; the vCPU count is
    // the programs array's length, so shrinking removes vCPUs directly.
    const read = fc.integer({ min: 0, max: 3 }).map((gfn) => ({ kind: 'read' as const, gfn }));
    const gmem = fc.array(fc.array(read, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 8 }).map(
      (programs): SystemConfig => ({ design: 'kvm-userfault', arch: 'x86', backing: 'guest_memfd', vcpus: programs.length, pages: 4, programs }),
    );
    const out = fc.check(
      fc.property(gmem, schedule({ min: 0, max: 200 }), (cfg, choices) => {
        const { r } = run(cfg, choices, clearBeforePopulateHandler);
        return r.violated === undefined && r.finished;
      }),
      { seed: SEED, numRuns: 200 },
    );
    expect(out.failed).toBe(true);
    const [cfg, choices] = out.counterexample ?? [];
    expect(cfg?.vcpus).toBe(2);
    expect(cfg?.programs?.flat().length).toBeLessThanOrEqual(3);
    expect(choices?.length ?? 99).toBeLessThanOrEqual(12);
  });
});
