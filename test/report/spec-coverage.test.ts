/**
 * Spec coverage in a run that fails: the transitions the counterexample itself takes are
 * counted as taken, and never listed as uncovered (exploration goes on past a spec
 * violation, and so does the coverage).
 */
import { describe, expect, it } from 'vitest';
import { specRefinement } from '../../properties/refinement.ts';
import { runCheck } from '../../src/cli/check-command.ts';

describe('spec coverage of a failing run', async () => {
  const outcome = await runCheck({ design: 'kvm-userfault', backing: 'guest_memfd', handler: 'test/handlers/clear-first.ts' });
  const run = outcome.runs[0]!;

  it('counts every transition its counterexamples take', () => {
    expect(run.result.status).toBe('fail');
    const walked = specRefinement(run.system);
    for (const cx of run.counterexamples) {
      const states = cx?.states ?? [];
      for (let i = 0; i + 1 < states.length; i++) walked.check(states[i]!, states[i + 1]!);
    }
    const taken = walked.taken().map((t) => `${t.machine}: ${t.from} -${t.event}-> ${t.to}`);
    expect(taken.length).toBeGreaterThan(3);
    for (const t of taken) expect(run.spec.uncovered).not.toContain(t);
    expect(run.spec.taken).toBeGreaterThanOrEqual(taken.length);
  });

  it('is close to the passing handler’s (the spec violation does not end coverage)', async () => {
    const fixed = (await runCheck({ design: 'kvm-userfault', backing: 'guest_memfd', handler: 'test/handlers/populate-first.ts' })).runs[0]!;
    expect(run.spec.taken + run.spec.uncovered.length).toBe(fixed.spec.taken + fixed.spec.uncovered.length);
    expect(run.spec.taken).toBeGreaterThanOrEqual(fixed.spec.taken - 2);
  });
});
