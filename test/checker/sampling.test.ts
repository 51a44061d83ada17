/**
 * Sampling and bounding over the generic Model interface: PCT and random schedulers,
 * sampled runs checking invariants and deadlock, shrinking, the preemption-bounded
 * wrapper and iterative context bounding. The models are tiny threads whose state
 * counts can be derived by hand (each derivation is written next to its assertion).
 */
import { describe, expect, it } from 'vitest';
import { always, check, type Model } from '../../src/checker/index.ts';
import { checkWithPreemptionBound } from '../../src/checker/sampling/context-bounding.ts';
import { preemptionBounded } from '../../src/checker/sampling/preemption-bound.ts';
import { Prng, runSeed } from '../../src/checker/sampling/prng.ts';
import { replayChooser, sampleRun } from '../../src/checker/sampling/sample-run.ts';
import { makeScheduler, pctScheduler } from '../../src/checker/sampling/scheduler.ts';
import { shrinkRun } from '../../src/checker/sampling/shrink.ts';

/** Threads t = 0..n-1, thread t takes `len[t]` steps; the state is each thread's pc. Action = thread. */
function threads(len: readonly number[], bad?: (pcs: readonly number[]) => boolean): Model<readonly number[], number> {
  return {
    initialStates: () => [len.map(() => 0)],
    actions: (s, out) => s.forEach((pc, t) => pc < (len[t] ?? 0) && out.push(t)),
    next: (s, t) => s.map((pc, i) => (i === t ? pc + 1 : pc)),
    formatAction: (s, t) => `t${t}.step(${s[t]})`,
    encode: (s, out) => s.forEach((pc) => out.push(pc)),
    properties: () => (bad ? [always('no bad interleaving', (s: readonly number[]) => !bad(s))] : []),
    isEndState: (s) => s.every((pc, t) => pc === len[t]),
    fairness: (_s, t) => t,
  };
}
const threadOf = (_s: readonly number[], t: number) => t;

describe('schedulers', () => {
  it('the generator is deterministic per seed and below(n) stays in range', () => {
    const a = new Prng(7);
    const b = new Prng(7);
    const xs = Array.from({ length: 100 }, () => a.below(5));
    expect(Array.from({ length: 100 }, () => b.below(5))).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 5)).toBe(true);
    expect(new Set(xs).size).toBe(5);
    expect(runSeed(1, 0)).not.toBe(runSeed(1, 1));
  });

  it('PCT with depth 1 never preempts: the highest-priority thread runs until it is done', () => {
    const m = threads([3, 3, 3]);
    for (let seed = 0; seed < 20; seed++) {
      const sch = pctScheduler(new Prng(seed), { threads: 3, depth: 1, maxSteps: 9 });
      const o = sampleRun(m, (ts, step) => sch.pick(ts, step), { maxSteps: 100, threadOf });
      expect(o.ending).toBe('end');
      // 9 steps, 3 threads run to completion one after the other: exactly 2 switches.
      let s = m.initialStates()[0] as readonly number[];
      const ran: number[] = [];
      const acts: number[] = [];
      for (const c of o.choices) {
        acts.length = 0;
        m.actions(s, acts);
        ran.push(acts[c] as number);
        s = m.next(s, acts[c] as number);
      }
      expect(ran.filter((t, i) => i > 0 && t !== ran[i - 1]).length).toBe(2);
    }
  });

  it('PCT with depth 2 preempts once at most; over many seeds it finds a depth-2 ordering bug', () => {
    // Bug: thread 1 takes its step 1 while thread 0 is between its steps 1 and 2 (pc 1).
    const m = threads([2, 1], (s) => s[0] === 1 && s[1] === 1);
    let found = 0;
    for (let seed = 0; seed < 200; seed++) {
      const sch = makeScheduler('pct', seed, { threads: 2, depth: 2, maxSteps: 3 });
      if (sampleRun(m, (ts, step) => sch.pick(ts, step), { maxSteps: 10, threadOf }).ending === 'violation') found++;
    }
    // PCT's bound: probability ≥ 1/(n·k^(d-1)) = 1/(2·3) per run, so about 33 of 200 at least.
    expect(found).toBeGreaterThanOrEqual(20);
  });
});

describe('sampled runs', () => {
  it('report a deadlock: nothing enabled in a state that is not an end state', () => {
    const stuck: Model<number, number> = { ...(threads([1]) as unknown as Model<number, number>), initialStates: () => [0], actions: (s, out) => s === 0 && out.push(0), next: () => 1, formatAction: () => 'go', encode: (s, out) => out.push(s), properties: () => [], isEndState: () => false };
    expect(sampleRun(stuck, () => 0, { maxSteps: 10, threadOf: () => 0 })).toEqual({ ending: 'deadlock', choices: [0] });
  });

  it('stop at the step bound, and a replayed prefix stops when its choices run out', () => {
    const m = threads([5, 5]);
    expect(sampleRun(m, () => 0, { maxSteps: 3, threadOf }).ending).toBe('max-steps');
    expect(sampleRun(m, replayChooser([1, 1]), { maxSteps: 100, threadOf })).toEqual({ ending: 'stopped', choices: [1, 1] });
  });

  it('shrinking keeps the failure and reaches the shortest violating schedule here', () => {
    const m = threads([4, 4], (s) => s[0] === 1 && s[1] === 1);
    const sch = makeScheduler('random', 3, { threads: 2, depth: 1, maxSteps: 8 });
    let o = sampleRun(m, (ts, step) => sch.pick(ts, step), { maxSteps: 100, threadOf });
    for (let seed = 4; o.ending !== 'violation'; seed++) {
      const s2 = makeScheduler('random', seed, { threads: 2, depth: 1, maxSteps: 8 });
      o = sampleRun(m, (ts, step) => s2.pick(ts, step), { maxSteps: 100, threadOf });
    }
    const { choices: shrunk, capped } = shrinkRun(m, o.choices, { ending: 'violation', property: 'no bad interleaving' }, 1, { threadOf });
    // Shortest: one step of each thread (2 steps); BFS on the same model agrees.
    expect(shrunk.length).toBe(2);
    expect(capped).toBe(false);
    expect(sampleRun(m, replayChooser(shrunk), { maxSteps: 100, threadOf }).ending).toBe('violation');
    const r = check(m);
    expect(r.failures[0]?.kind === 'invariant' ? r.failures[0].trace.actions.length : -1).toBe(2);
  });
});

describe('shrink budget', () => {
  it('stops after the replay budget, keeps a failing schedule, and is deterministic', () => {
    const m = threads([6, 6], (s) => s[0] === 5 && s[1] === 5);
    let o = sampleRun(m, (ts, step) => makeScheduler('random', 1, { threads: 2, depth: 1, maxSteps: 20 }).pick(ts, step), { maxSteps: 100, threadOf });
    for (let seed = 2; o.ending !== 'violation'; seed++) {
      const sch = makeScheduler('random', seed, { threads: 2, depth: 1, maxSteps: 20 });
      o = sampleRun(m, (ts, step) => sch.pick(ts, step), { maxSteps: 100, threadOf });
    }
    const target = { ending: 'violation' as const, property: 'no bad interleaving' };
    const full = shrinkRun(m, o.choices, target, 1, { threadOf });
    // A budget of 3 replays: the original schedule plus two candidates, then no more.
    const cut = shrinkRun(m, o.choices, target, 1, { threadOf }, 3);
    expect(full.capped).toBe(false);
    expect(full.replays).toBeGreaterThan(3);
    expect(cut.capped).toBe(true);
    expect(cut.replays).toBe(3);
    expect(cut.choices.length).toBeGreaterThanOrEqual(full.choices.length);
    expect(sampleRun(m, replayChooser(cut.choices), { maxSteps: 100, threadOf }).ending).toBe('violation');
    expect(shrinkRun(m, o.choices, target, 1, { threadOf }, 3)).toEqual(cut);
  });
});

describe('preemption bounding', () => {
  it('bound 0 explores the two run-to-completion orders: 1 + 2(a+b) wrapped states', () => {
    // Threads of 3 and 2 steps. With no preemption, the first thread to run finishes
    // before the other starts: A then B visits a + b states after the initial one, and B
    // then A another a + b (the wrapped state remembers the last thread, so even the final
    // pcs (3, 2) are two states). 1 + 2·(3 + 2) = 11.
    const w = preemptionBounded(threads([3, 2]), 0, threadOf);
    const r = check(w);
    expect(r.status).toBe('pass');
    expect(r.stats.distinct).toBe(11);
    expect(w.pruned()).toBeGreaterThan(0);
  });

  it('a large enough bound cuts nothing and reaches every state of the unbounded model', () => {
    // Threads of 2 and 2 steps: any schedule has at most 3 switches, all preemptions.
    const w = preemptionBounded(threads([2, 2]), 3, threadOf);
    const r = check(w);
    expect(w.pruned()).toBe(0);
    expect(r.status).toBe('pass');
    // The unbounded model has (2+1)·(2+1) = 9 states; the wrapper's are (pcs, last, used) triples, more.
    expect(check(threads([2, 2])).stats.distinct).toBe(9);
    expect(r.stats.distinct).toBeGreaterThan(9);
  });

  it('iterative context bounding reports the fewest-preemption counterexample, mapped to the inner model', () => {
    // Needs a preemption: thread 1 can start only once thread 0 has taken a step, and the
    // bug is thread 1 running while thread 0 is stopped at pc 1 (where it could go on).
    const m: Model<readonly number[], number> = {
      ...threads([2, 1], (s) => s[0] === 1 && s[1] === 1),
      actions: (s, out) => {
        if ((s[0] ?? 0) < 2) out.push(0);
        if ((s[0] ?? 0) >= 1 && (s[1] ?? 0) < 1) out.push(1);
      },
    };
    const b = checkWithPreemptionBound(m, 3, threadOf);
    expect(b.bound).toBe(1);
    expect(b.result.status).toBe('fail');
    const f = b.result.failures[0];
    expect(f?.kind).toBe('invariant');
    // The inner path: t0, then t1 (inner action indices 0 then 0: t0 at pc 1 is listed first, t1 second → 1).
    if (f?.kind === 'invariant') {
      expect(f.trace.actions).toEqual([0, 1]);
      expect(f.trace.labels).toEqual(['t0.step(0)', 't1.step(0)']);
      expect(f.trace.fingerprints.length).toBe(3);
    }
  });

  it('a pass under a bound that cut runs is incomplete, not a proof; a bound that cut nothing is a pass', () => {
    const cut = checkWithPreemptionBound(threads([3, 3]), 1, threadOf);
    expect(cut.result.status).toBe('incomplete');
    expect(cut.result.incomplete?.limit).toBe('preemptions');
    expect(cut.result.incomplete?.message).toContain('not a proof');
    const whole = checkWithPreemptionBound(threads([1, 1]), 1, threadOf);
    expect(whole.pruned).toBe(0);
    expect(whole.result.status).toBe('pass');
  });
});
