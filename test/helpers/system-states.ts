/**
 * States of a composed system as the symmetry and partial-order tests compare them: by
 * their exact full encoding (no interning, no hashing), every thread's successor, and a
 * reduced search against the full one.
 */
import { expect } from 'vitest';
import { check, replay, WordBuffer, type CheckResult } from '../../src/checker/index.ts';
import { systemModel, type System, type SystemModelOptions } from '../../src/system/model.ts';
import type { SystemState } from '../../src/system/state.ts';

/** A function from a state to its full encoding as text (one model, built once). */
export function fullKeyOf(system: System): (s: SystemState) => string {
  const model = systemModel(system, { compact: false });
  const buf = new WordBuffer();
  return (s) => {
    buf.reset();
    model.encode(s, buf);
    return Array.from(buf.toArray()).join(',');
  };
}

/** The successor of every thread that has an enabled step in `s`. */
export function successorStates(system: System, s: SystemState): SystemState[] {
  return system.threads.flatMap((_, t) => system.step(s, t)?.state ?? []);
}

/**
 * A reduced search (symmetry or partial-order reduction, safety only) against the full
 * one: the same verdict and the same failed properties, never more states, and every
 * counterexample replays on the unreduced system. Returns both results.
 */
export function expectReducedLikeFull(system: System, reduction: Pick<SystemModelOptions, 'symmetry' | 'partialOrder'>): { reduced: CheckResult; full: CheckResult } {
  const reduced = check(systemModel(system, reduction), { liveness: false, stopAtFirst: false });
  const full = check(systemModel(system), { liveness: false, stopAtFirst: false });
  expect(reduced.status).toBe(full.status);
  expect(failedProperties(reduced)).toEqual(failedProperties(full));
  expect(reduced.stats.distinct).toBeLessThanOrEqual(full.stats.distinct);
  for (const f of reduced.failures) {
    if (f.kind !== 'invariant' && f.kind !== 'deadlock') continue;
    const states = replay(systemModel(system), { ...f.trace, symmetry: false, fingerprints: [] });
    expect(states.length).toBe(f.trace.actions.length + 1);
  }
  return { reduced, full };
}

function failedProperties(r: CheckResult): string[] {
  return r.failures.map((f) => (f.kind === 'invariant' ? f.property : f.kind)).sort();
}
