/**
 * Random schedules on random memslot layouts: the medium random systems of
 * random-schedules.test.ts with their pages spread over 2–4 memslots with holes between
 * them (gfns, remote pages and guest programs renamed to match). Reference handlers must
 * keep every invariant and finish; the handler that indexes the bitmap by gfn must not.
 * hugetlbfs is left out (its slots must be huge-page aligned; the exhaustive tests in
 * test/system/memslots.test.ts cover it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SystemConfig } from '../../src/system/config.ts';
import type { MemslotShape } from '../../src/system/guest-layout.ts';
import { composeSystem } from '../../src/system/model.ts';
import { simulate } from '../../src/system/simulate.ts';
import { bitmapByGfnHandler } from '../../src/vmm/flawed-memslots.ts';
import { bundledHandlerFor } from '../../src/vmm/index.ts';
import type { HandlerStrategy } from '../../src/vmm/strategy.ts';
import { schedule, systemConfig, type SizeBounds } from '../../properties/arbitraries.ts';
import { coreProperties } from '../../properties/core.ts';

const SEED = 20261201;
const MEDIUM: SizeBounds = { vcpus: { min: 2, max: 12 }, pages: { min: 4, max: 48 }, programLength: { min: 1, max: 6 } };

/** Spread a config's pages 0..P-1 over slots: `cuts` split them, `holes` (≥ 1 page) go between. */
function spread(cfg: SystemConfig, cuts: readonly number[], holes: readonly number[]): SystemConfig {
  const ends = [...new Set(cuts.map((c) => 1 + (c % (cfg.pages - 1))))].sort((a, b) => a - b);
  const sizes = [...ends, cfg.pages].map((end, i) => end - (i === 0 ? 0 : (ends[i - 1] as number)));
  const memslots: MemslotShape[] = [];
  let base = 0;
  sizes.forEach((npages, i) => {
    memslots.push({ baseGfn: base, npages });
    base += npages + (holes[i] ?? 1);
  });
  const gfnOf = (page: number) => {
    let left = page;
    for (const s of memslots) {
      if (left < s.npages) return s.baseGfn + left;
      left -= s.npages;
    }
    throw new Error(`page ${page} outside`);
  };
  const last = memslots.at(-1) as MemslotShape;
  return {
    ...cfg,
    pages: last.baseGfn + last.npages,
    memslots,
    programs: cfg.programs?.map((p) => p.map((op) => ({ ...op, gfn: gfnOf(op.gfn) }))),
    remote: cfg.remote?.map(gfnOf),
  };
}

const layouts = fc
  .record({
    cfg: systemConfig(MEDIUM).filter((c) => c.backing !== 'hugetlb'),
    cuts: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    holes: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 4, maxLength: 4 }),
  })
  .map(({ cfg, cuts, holes }) => spread(cfg, cuts, holes));

function run(cfg: SystemConfig, choices: readonly number[], handler?: HandlerStrategy, maxDrainSteps?: number) {
  const sys = composeSystem(cfg, handler ?? bundledHandlerFor(cfg.design));
  return simulate(sys, choices, { properties: coreProperties(sys.env, sys.threads), ...(maxDrainSteps ? { maxDrainSteps } : {}) });
}

/** A fair drain budget for the wrong handler's livelock (the default, 1,000,000 steps, takes minutes per run). */
const DRAIN = 20_000;

describe(`random schedules on random memslot layouts (fast-check seed ${SEED})`, () => {
  it('reference handlers keep every invariant and every vCPU finishes', () => {
    fc.assert(
      fc.property(layouts, schedule({ min: 100, max: 2000 }), (cfg, choices) => {
        const r = run(cfg, choices);
        if (r.violated || !r.finished) throw new Error(`${cfg.design}/${cfg.backing}/${cfg.arch} slots ${JSON.stringify(cfg.memslots)}: ${r.violated ? `violated '${r.violated.property}'` : `did not finish (${r.stuck})`}`);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('has teeth: bitmap-by-gfn does not finish once a vCPU touches a page above the first slot', () => {
    const kvmUserfault = layouts.map((cfg): SystemConfig => ({ ...cfg, design: 'kvm-userfault', backing: 'anon', arch: 'x86', remote: undefined }));
    const out = fc.check(
      fc.property(kvmUserfault, schedule({ min: 0, max: 400 }), (cfg, choices) => {
        const r = run(cfg, choices, bitmapByGfnHandler, DRAIN);
        return r.violated === undefined && r.finished;
      }),
      { seed: SEED, numRuns: 30, endOnFailure: true }, // no shrinking: each shrink step is a livelocked drain
    );
    expect(out.failed).toBe(true);
    const [cfg, choices] = out.counterexample ?? [];
    if (!cfg || !choices) throw new Error('no counterexample');
    const firstEnd = cfg.memslots?.[0]?.npages ?? 0;
    expect(cfg.programs?.flat().some((op) => op.gfn >= firstEnd)).toBe(true);
    expect(run(cfg, choices, bitmapByGfnHandler, DRAIN).stuck).toBe('livelock');
    // Not the budget: the reference handler finishes the same run within it.
    expect(run(cfg, choices, undefined, DRAIN).finished).toBe(true);
  });
});
