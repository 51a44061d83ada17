/**
 * The Die Hard 3 water-jug puzzle: a 3-gallon and a 5-gallon jug, fill / empty / pour;
 * measure exactly 4 gallons. The invariant "big jug never holds 4" is false, and the
 * checker's shortest counterexample is the puzzle's 6-step solution.
 *
 * State count: 16. Every action leaves at least one jug empty or full, so reachable
 * states have small ∈ {0, 3} or big ∈ {0, 5}: 2×6 pairs with small ∈ {0,3}, plus 2×2
 * with small ∈ {1,2} and big ∈ {0,5}, = 16; and all 16 are reachable because
 * gcd(3, 5) = 1 (every amount 0..5 can be measured in the big jug).
 */
import type { Model } from '../checker/model.ts';
import { always } from '../checker/property.ts';

export interface Jugs {
  readonly small: number;
  readonly big: number;
}

export type JugAction = 'fillSmall' | 'fillBig' | 'emptySmall' | 'emptyBig' | 'pourSmallIntoBig' | 'pourBigIntoSmall';

const ACTIONS: readonly JugAction[] = [
  'fillSmall',
  'fillBig',
  'emptySmall',
  'emptyBig',
  'pourSmallIntoBig',
  'pourBigIntoSmall',
];

export function dieHard(): Model<Jugs, JugAction> {
  return {
    initialStates: () => [{ small: 0, big: 0 }],
    actions: (_s, out) => {
      out.push(...ACTIONS);
    },
    next: (s, a) => {
      switch (a) {
        case 'fillSmall':
          return { small: 3, big: s.big };
        case 'fillBig':
          return { small: s.small, big: 5 };
        case 'emptySmall':
          return { small: 0, big: s.big };
        case 'emptyBig':
          return { small: s.small, big: 0 };
        case 'pourSmallIntoBig': {
          const moved = Math.min(s.small, 5 - s.big);
          return { small: s.small - moved, big: s.big + moved };
        }
        case 'pourBigIntoSmall': {
          const moved = Math.min(s.big, 3 - s.small);
          return { small: s.small + moved, big: s.big - moved };
        }
      }
    },
    formatAction: (_s, a) => a,
    encode: (s, out) => out.push(s.small | (s.big << 8)),
    decode: (w) => ({ small: w[0]! & 0xff, big: w[0]! >>> 8 }),
    properties: () => [always('big jug never holds 4', (s) => s.big !== 4)],
    actionKinds: ACTIONS,
  };
}
