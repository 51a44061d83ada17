/**
 * The guest-program arbitrary (properties/arbitraries.ts) sometimes gives accesses at a
 * byte offset, like `r3+0x123` on the command line, so random schedules also exercise
 * partial pages (src/mm/page-content.ts): the counts are over a fixed seed, the bounds
 * are the ones the CLI accepts (MAX_GUEST_ACCESS_OFFSET, the last u64 of a page).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_GUEST_ACCESS_OFFSET, type GuestOp } from '../../src/kvm/state.ts';
import { formatPrograms, parsePrograms } from '../../src/cli/guest-program-text.ts';
import { guestProgram } from '../../properties/arbitraries.ts';

describe('guestProgram', () => {
  const ops: GuestOp[] = fc.sample(guestProgram(4, { min: 1, max: 6 }), { numRuns: 400, seed: 20261201 }).flat();

  it('mostly accesses whole pages, and sometimes a u64 at an offset inside the page, reads and writes alike', () => {
    const offsets = ops.filter((op) => op.offset !== undefined);
    // About one access in four (weight 2 of 8); far from none and far from all.
    expect(offsets.length).toBeGreaterThan(ops.length / 8);
    expect(offsets.length).toBeLessThan(ops.length / 2);
    expect(offsets.some((op) => op.kind === 'read')).toBe(true);
    expect(offsets.some((op) => op.kind === 'write')).toBe(true);
    for (const op of offsets) {
      expect(Number.isInteger(op.offset)).toBe(true);
      expect(op.offset).toBeGreaterThanOrEqual(0);
      expect(op.offset).toBeLessThanOrEqual(MAX_GUEST_ACCESS_OFFSET);
    }
    // The edges come up, and offsets that are neither 0 nor 8-aligned.
    expect(offsets.some((op) => op.offset === MAX_GUEST_ACCESS_OFFSET)).toBe(true);
    expect(offsets.some((op) => op.offset === 0)).toBe(true);
    expect(offsets.some((op) => (op.offset ?? 0) % 8 !== 0)).toBe(true);
  });

  it('gives programs the command line can state: formatted and parsed back, they are the same', () => {
    const programs = fc.sample(guestProgram(4, { min: 1, max: 6 }), { numRuns: 50, seed: 7 });
    expect(parsePrograms('program', formatPrograms(programs))).toEqual(programs);
  });
});
