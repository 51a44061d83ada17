/**
 * Two-phase commit (Gray & Lamport's TLA+ `TwoPhase`, as in stateright's example) with
 * N resource managers (RMs) and a transaction manager (TM), messages as a set.
 *
 * State count: 4^N + 2^N + 6^N (288 for N = 3, as stateright pins). By TM state:
 * - TM init: no Commit/Abort message. Each RM is working, or aborted on its own (no
 *   message), or prepared with its Prepared message not yet / already recorded by the
 *   TM: 4 options each → 4^N.
 * - TM committed: only possible once all RMs were prepared and recorded; each RM is
 *   prepared or has received Commit: 2^N.
 * - TM aborted: the TM's records are frozen. Each RM: working (no message); prepared
 *   (message sent, recorded or not: 2); aborted without having prepared (1) or after
 *   preparing (message sent, recorded or not: 2) → 6 options each → 6^N.
 * With symmetry (RMs are interchangeable) each group counts multisets of per-RM options
 * instead: C(4+N-1, N) + C(2+N-1, N) + C(6+N-1, N) = 20 + 4 + 56 = 80 for N = 3.
 */
import type { Model } from '../checker/model.ts';
import { always, sometimes } from '../checker/property.ts';

export type RmState = 'working' | 'prepared' | 'committed' | 'aborted';
export type TmState = 'init' | 'committed' | 'aborted';

export interface TwoPhase {
  readonly rm: readonly RmState[];
  readonly tm: TmState;
  readonly tmPrepared: readonly boolean[];
  /** RMs whose Prepared message is in the network. */
  readonly msgPrepared: readonly boolean[];
  readonly msgCommit: boolean;
  readonly msgAbort: boolean;
}

export type TwoPhaseAction =
  | { readonly kind: 'tmRcvPrepared'; readonly rm: number }
  | { readonly kind: 'tmCommit' }
  | { readonly kind: 'tmAbort' }
  | { readonly kind: 'rmPrepare'; readonly rm: number }
  | { readonly kind: 'rmChooseToAbort'; readonly rm: number }
  | { readonly kind: 'rmRcvCommitMsg'; readonly rm: number }
  | { readonly kind: 'rmRcvAbortMsg'; readonly rm: number };

const RM_CODES: readonly RmState[] = ['working', 'prepared', 'committed', 'aborted'];
const TM_CODES: readonly TmState[] = ['init', 'committed', 'aborted'];

function set<T>(xs: readonly T[], i: number, v: T): T[] {
  return xs.map((x, j) => (j === i ? v : x));
}

export function twoPhaseCommit(n: number, options: { symmetry?: boolean } = {}): Model<TwoPhase, TwoPhaseAction> {
  const model: Model<TwoPhase, TwoPhaseAction> = {
    initialStates: () => [
      {
        rm: new Array<RmState>(n).fill('working'),
        tm: 'init',
        tmPrepared: new Array<boolean>(n).fill(false),
        msgPrepared: new Array<boolean>(n).fill(false),
        msgCommit: false,
        msgAbort: false,
      },
    ],
    actions: (s, out) => {
      if (s.tm === 'init' && s.tmPrepared.every(Boolean)) out.push({ kind: 'tmCommit' });
      if (s.tm === 'init') out.push({ kind: 'tmAbort' });
      for (let rm = 0; rm < n; rm++) {
        if (s.tm === 'init' && s.msgPrepared[rm] && !s.tmPrepared[rm]) out.push({ kind: 'tmRcvPrepared', rm });
        if (s.rm[rm] === 'working') out.push({ kind: 'rmPrepare', rm }, { kind: 'rmChooseToAbort', rm });
        if (s.msgCommit && s.rm[rm] !== 'committed') out.push({ kind: 'rmRcvCommitMsg', rm });
        if (s.msgAbort && s.rm[rm] !== 'aborted') out.push({ kind: 'rmRcvAbortMsg', rm });
      }
    },
    next: (s, a) => {
      switch (a.kind) {
        case 'tmRcvPrepared':
          return { ...s, tmPrepared: set(s.tmPrepared, a.rm, true) };
        case 'tmCommit':
          return { ...s, tm: 'committed', msgCommit: true };
        case 'tmAbort':
          return { ...s, tm: 'aborted', msgAbort: true };
        case 'rmPrepare':
          return { ...s, rm: set(s.rm, a.rm, 'prepared'), msgPrepared: set(s.msgPrepared, a.rm, true) };
        case 'rmChooseToAbort':
          return { ...s, rm: set(s.rm, a.rm, 'aborted') };
        case 'rmRcvCommitMsg':
          return { ...s, rm: set(s.rm, a.rm, 'committed') };
        case 'rmRcvAbortMsg':
          return { ...s, rm: set(s.rm, a.rm, 'aborted') };
      }
    },
    formatAction: (_s, a) => ('rm' in a ? `${a.kind}(rm${a.rm})` : a.kind),
    actionKind: (_s, a) => a.kind,
    actionKinds: ['tmRcvPrepared', 'tmCommit', 'tmAbort', 'rmPrepare', 'rmChooseToAbort', 'rmRcvCommitMsg', 'rmRcvAbortMsg'],
    encode: (s, out) => {
      out.push(TM_CODES.indexOf(s.tm) | (s.msgCommit ? 4 : 0) | (s.msgAbort ? 8 : 0));
      for (let rm = 0; rm < n; rm++) out.push(rmWord(s, rm));
    },
    decode: (w) => {
      const head = w[0]!;
      const rm: RmState[] = [];
      const tmPrepared: boolean[] = [];
      const msgPrepared: boolean[] = [];
      for (let i = 0; i < n; i++) {
        const x = w[1 + i]!;
        rm.push(RM_CODES[x & 3]!);
        tmPrepared.push((x & 4) !== 0);
        msgPrepared.push((x & 8) !== 0);
      }
      return { rm, tm: TM_CODES[head & 3]!, tmPrepared, msgPrepared, msgCommit: (head & 4) !== 0, msgAbort: (head & 8) !== 0 };
    },
    properties: () => [
      always('consistent', (s) => !(s.rm.includes('committed') && s.rm.includes('aborted'))),
      sometimes('commit happens', (s) => s.rm.every((r) => r === 'committed')),
      sometimes('abort happens', (s) => s.rm.every((r) => r === 'aborted')),
    ],
    isEndState: () => true,
  };
  if (options.symmetry) {
    model.representative = (s) => {
      const order = [...Array(n).keys()].sort((a, b) => rmWord(s, a) - rmWord(s, b));
      return {
        ...s,
        rm: order.map((i) => s.rm[i]!),
        tmPrepared: order.map((i) => s.tmPrepared[i]!),
        msgPrepared: order.map((i) => s.msgPrepared[i]!),
      };
    };
  }
  return model;
}

function rmWord(s: TwoPhase, rm: number): number {
  return RM_CODES.indexOf(s.rm[rm]!) | (s.tmPrepared[rm] ? 4 : 0) | (s.msgPrepared[rm] ? 8 : 0);
}
