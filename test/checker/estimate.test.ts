/**
 * The state-space estimate: exact when the space fits its bounded search, and on composed
 * systems within the error the module comment states (0.4–1.5× here), compared with the
 * exhaustive count of the same model. Deterministic: a fixed seed, and a state budget, not a time.
 */
import { describe, expect, it } from 'vitest';
import { check, graphModel } from '../../src/checker/index.ts';
import { estimateSpace, extrapolateLevels } from '../../src/checker/sampling/estimate.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { bundledHandlerFor } from '../../src/vmm/index.ts';

describe('state-space estimate', () => {
  it('is exact when the whole space fits in the bounded search', () => {
    const sys = composeSystem({ design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 2, pages: 2 }, bundledHandlerFor('kvm-userfault'));
    const model = systemModel(sys);
    const e = estimateSpace(model, { budget: 100_000 });
    if (!e) throw new Error('no estimate');
    expect(e.exact).toBe(true);
    expect(e.states).toBe(check(model).stats.distinct);
  });

  it('stops, with no estimate, once its signal is raised', () => {
    const sys = composeSystem({ design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 2, pages: 2 }, bundledHandlerFor('kvm-userfault'));
    let polled = 0;
    const signal = { get aborted() { return ++polled > 10; } };
    expect(estimateSpace(systemModel(sys), { signal })).toBeUndefined();
    expect(polled).toBe(11);
  });

  it('a thread that spins forever does not stretch the walks: they stop at a state they have been in', () => {
    // Two counters to 30 each (a 31 × 31 grid, 961 states, depth 60), and a third thread
    // that is always enabled and changes nothing (a reader polling with a timeout). Walks
    // that took it ran to their step cap: the depth was 10,000 and the estimate infinite.
    const N = 30;
    const m = graphModel({
      initial: [0],
      edges: Array.from({ length: (N + 1) * (N + 1) }, (_, s) => {
        const [a, b] = [s % (N + 1), Math.floor(s / (N + 1))];
        return [...(a < N ? [s + 1] : []), ...(b < N ? [s + N + 1] : []), s];
      }),
    });
    const e = estimateSpace(m, { budget: 200 });
    if (!e) throw new Error('no estimate');
    expect(e.exact).toBe(false);
    // Every walk that avoids the states it has been in reaches the far corner: depth 2N.
    expect(e.depth).toBe(2 * N);
    expect(Number.isFinite(e.states)).toBe(true);
    // The order of magnitude the module promises (its extrapolation is for thread interleavings).
    expect(e.states).toBeGreaterThan(961 / 3);
    expect(e.states).toBeLessThan(961 * 3);
  });

  it('extrapolates a rising profile to a peak and mirrors it down', () => {
    const more = extrapolateLevels([1, 2, 4, 8], 20);
    // Peak at 0.68·20 = 13.6, end at 1.12·20 = 22.4: levels 4..22.
    expect(more.length).toBe(19);
    const peak = Math.max(...more);
    expect(more.indexOf(peak)).toBeGreaterThan(3);
    expect(more.at(-1)).toBeLessThan(peak);
  });

  it.each([
    ['kvm-userfault', 3, 2],
    ['exit-on-missing', 3, 3],
  ] as const)('%s x86 %d vCPUs × %d pages: within 0.4–1.5× of the exhaustive count', (design, vcpus, pages) => {
    const sys = composeSystem({ design, arch: 'x86', backing: 'anon', vcpus, pages }, bundledHandlerFor(design));
    const model = systemModel(sys);
    const e = estimateSpace(model);
    if (!e) throw new Error('no estimate');
    const real = check(model, { liveness: false }).stats.distinct;
    expect(e.exact).toBe(false);
    expect(e.explored).toBeLessThan(real);
    expect(e.states / real).toBeGreaterThan(0.4);
    expect(e.states / real).toBeLessThan(1.5);
    expect(estimateSpace(model)?.states).toBe(e.states); // deterministic
  });
});
