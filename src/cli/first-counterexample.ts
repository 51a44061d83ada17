/** The first failure of a run that has a counterexample to show (for --itf and --emit-test). */
import type { Failure } from '../checker/index.ts';
import type { Counterexample } from '../report/counterexample.ts';
import type { CheckOutcome, CheckRun } from './check-command.ts';

export function firstCounterexample(outcome: CheckOutcome): { run: CheckRun; failure: Failure; cx: Counterexample } | undefined {
  for (const run of outcome.runs) {
    const i = run.counterexamples.findIndex((c) => c !== undefined);
    const cx = run.counterexamples[i];
    const failure = run.result.failures[i];
    if (cx && failure) return { run, failure, cx };
  }
  return undefined;
}
