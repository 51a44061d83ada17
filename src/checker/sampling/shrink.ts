/**
 * Shrinking a failing sampled run with fast-check: the run's choices (indices among the
 * enabled actions) are the example of a property "replaying these choices does not fail
 * this way", and fast-check's array shrinker shortens the list (a shorter prefix) and
 * lowers its entries (towards the first enabled thread) while the same failure (kind and
 * property) is still reached. Each candidate is replayed with every choice taken modulo
 * the number of actions enabled at its step, so every list is a valid schedule. The
 * shrinker is deterministic for a given seed.
 *
 * Shrinking is capped by a replay budget (a count, not a clock, so the result stays the
 * same on every machine): once the budget is spent every further candidate is treated as
 * not failing, fast-check runs out of candidates, and the best list found so far stands.
 */
import fc from 'fast-check';
import type { Model } from '../model.ts';
import { replayChooser, sampleRun, type RunOptions, type RunOutcome } from './sample-run.ts';

export interface Target {
  readonly ending: 'violation' | 'deadlock';
  readonly property?: string;
}

function reaches(o: RunOutcome, t: Target): boolean {
  return o.ending === t.ending && o.property === t.property;
}

/** Candidate schedules replayed while shrinking one failure, at most. */
export const SHRINK_REPLAY_BUDGET = 5000;

export interface Shrunk {
  /** The shrunk choices, as exact action indices (a checker path without its initial 0). */
  readonly choices: number[];
  /** Candidates replayed. */
  readonly replays: number;
  /** Whether the budget ran out (the result may shrink further). */
  readonly capped: boolean;
}

export function shrinkRun<S, A>(model: Model<S, A>, choices: readonly number[], target: Target, seed: number, o: Omit<RunOptions<S, A>, 'maxSteps'>, budget = SHRINK_REPLAY_BUDGET): Shrunk {
  const maxChoice = Math.max(0, ...choices);
  const replayed = (xs: readonly number[]) => sampleRun(model, replayChooser(xs), { ...o, maxSteps: xs.length });
  let replays = 0;
  let capped = false;
  const stillFails = (xs: readonly number[]): boolean => {
    if (replays >= budget) {
      capped = true;
      return false;
    }
    replays++;
    return reaches(replayed(xs), target);
  };
  const r = fc.check(
    fc.property(fc.array(fc.nat({ max: maxChoice }), { maxLength: choices.length }), (xs) => !stillFails(xs)),
    { examples: [[[...choices]]], numRuns: 1, seed, endOnFailure: false },
  );
  const best = r.counterexample?.[0] ?? [...choices];
  return { choices: [...replayed(best).choices], replays, capped };
}
