import { describe, expect, it } from 'vitest';
import { check, eventually, formatProgress, formatSummary, graphModel } from '../../src/checker/index.ts';

describe('summary', () => {
  it('names the limit, bytes per state and both collision estimates of an incomplete run', () => {
    const m = graphModel({ initial: [0], edges: Array.from({ length: 50 }, (_, i) => [(i + 1) % 50]) });
    const text = formatSummary(check(m, { maxStates: 10 }));
    expect(text).toMatch(/^status: incomplete \(states limit: stopped at the limit of 10 distinct states\)/);
    expect(text).toMatch(/10 distinct states found, \d+ states left on queue/);
    expect(text).toMatch(/bytes per stored state \(table \d+ \+ parents \d+ \+ frontier peak \d+ \+ liveness graph \d+ \+ encoding \d+ \+ other \d+ bytes, \/ distinct\)/);
    expect(text).toMatch(/birthday bound n\^2\/2\^65.*TLC optimistic/);
  });

  it('prints a lasso with its cycle', () => {
    const m = graphModel({
      initial: [0],
      edges: [[1], [0]],
      kinds: [['spin'], ['spin']],
      properties: [eventually('never', () => false)],
    });
    const text = formatSummary(check(m));
    expect(text).toMatch(/liveness 'never' violated: prefix 0, cycle 0\/0:/);
    expect(text).toMatch(/-- cycle --\n {2}spin\(0->1\)\n {2}spin\(1->0\)/);
    expect(text).toMatch(/note: model declares no fairness classes/);
  });

  it('formats progress', () => {
    expect(
      formatProgress({ distinct: 10, generated: 20, statesPerSecond: 5.4, queue: 3, depth: 2, elapsedMs: 1500 }),
    ).toBe('progress: 10 distinct, 20 generated, 5 states/s, queue 3, depth 2, 1.5 s');
  });
});
