/**
 * Peterson's mutual exclusion for two threads, as a packed model (5 words:
 * pc0, pc1, flag0, flag1, turn), with one weak-fairness class per thread.
 *
 * Thread i: pc 0 noncritical --want: flag[i] := 1--> 1 --yield: turn := j--> 2 (await
 * flag[j] = 0 or turn = i) --enter--> 3 critical --exit: flag[i] := 0--> 0. While the
 * await is blocked the thread busy-waits (a `spin` self-loop), so every thread always
 * has exactly one action. The `naive` variant skips the turn (await flag[j] = 0): both
 * threads can raise their flag and then spin forever, a fair cycle (each thread keeps
 * taking its spin) that postpones entry forever: a livelock, not a deadlock.
 *
 * State counts. flag[i] = 1 exactly when pc[i] ∈ {1, 2, 3}, so a state is (pc0, pc1,
 * turn), and turn names the thread that did *not* yield last. Peterson, by phase:
 * - both pcs in {0, 1} (nobody past its yield): any turn → 4·2 = 8;
 * - pc0 ∈ {2, 3}, pc1 ∈ {0, 1}: thread 0 yielded last (thread 1 cannot have completed a
 *   yield-enter-exit round since, as it would have waited for thread 0), turn = 1 → 4;
 *   symmetrically 4 with the threads swapped;
 * - both in {2, 3}: (2, 2) with either turn → 2; (3, 2) only with turn 0 and (2, 3)
 *   only with turn 1 (the one inside got in because the other yielded last) → 2;
 *   (3, 3) never (mutual exclusion).
 * Total 8 + 4 + 4 + 2 + 2 = 20. Naive: turn stays 0, pcs free except (3, 3) → 15.
 * The test also cross-checks both numbers against a brute-force enumeration.
 */
import type { PackedModel } from '../checker/model.ts';
import { always, leadsTo } from '../checker/property.ts';

const PC0 = 0;
const FLAG0 = 2;
const TURN = 4;

export function peterson(variant: 'peterson' | 'naive' = 'peterson'): PackedModel {
  const naive = variant === 'naive';
  /** Whether thread i's await is blocked. */
  const blocked = (s: Uint32Array, i: number): boolean => {
    const j = 1 - i;
    return naive ? s[FLAG0 + j] === 1 : s[FLAG0 + j] === 1 && s[TURN] !== i;
  };
  const stepOf = (s: Uint32Array, i: number): string => {
    const pc = s[PC0 + i]!;
    if (pc === 2 && blocked(s, i)) return 'spin';
    return ['want', naive ? 'skip' : 'yield', 'enter', 'exit'][pc]!;
  };
  const kinds = ['want', 'yield', 'skip', 'enter', 'spin', 'exit'];
  return {
    width: 5,
    initialStates: () => [new Uint32Array([0, 0, 0, 0, 0])],
    actionCount: () => 2,
    next: (s, i, out) => {
      out.set(s);
      const pc = s[PC0 + i]!;
      switch (pc) {
        case 0:
          out[PC0 + i] = 1;
          out[FLAG0 + i] = 1;
          break;
        case 1:
          if (!naive) out[TURN] = 1 - i;
          out[PC0 + i] = 2;
          break;
        case 2:
          if (!blocked(s, i)) out[PC0 + i] = 3;
          break;
        case 3:
          out[PC0 + i] = 0;
          out[FLAG0 + i] = 0;
          break;
      }
    },
    formatAction: (s, i) => `${stepOf(s, i)}(t${i})`,
    actionKinds: kinds,
    actionKind: (s, i) => kinds.indexOf(stepOf(s, i)),
    fairness: (_s, i) => i,
    properties: () => [
      always('mutual exclusion', (s) => !(s[PC0] === 3 && s[PC0 + 1] === 3)),
      leadsTo('t0 wanting enters', (s) => s[PC0] === 1 || s[PC0] === 2, (s) => s[PC0] === 3),
    ],
  };
}
