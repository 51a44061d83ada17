/**
 * Cross-check: the reachable graph of each spec machine, computed by xstate/graph
 * (getAdjacencyMap) and by our explorer (through its XState adapter), is the same: the
 * same states and the same state-changing edges. (Self-loops are left out of the edge
 * comparison: xstate/graph lists every event tried, our adapter only enabled ones.)
 */
import { describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { check, xstateModel } from '../../src/checker/index.ts';
import { snapshotKey } from '../../src/checker/xstate-adapter.ts';
import { SPEC_DRIVERS } from './drivers.ts';

type Snap = { value: unknown; context: unknown };

describe('spec machines: xstate/graph and our explorer find the same graph', () => {
  for (const d of SPEC_DRIVERS) {
    it(d.name, () => {
      const adj = getAdjacencyMap(d.machine, { events: [...d.events] as never, input: d.input } as never);
      const theirStates = new Set<string>();
      const theirEdges = new Set<string>();
      for (const v of Object.values(adj) as { state: Snap; transitions: Record<string, { event: EventObject; state: Snap }> }[]) {
        const from = snapshotKey(v.state);
        theirStates.add(from);
        for (const t of Object.values(v.transitions)) {
          const to = snapshotKey(t.state);
          if (to !== from) theirEdges.add(`${from} -${t.event.type}-> ${to}`);
        }
      }

      const base = xstateModel(d.machine, { events: () => [...d.events] as never, input: d.input });
      const ourStates = new Set<string>();
      const ourEdges = new Set<string>();
      const recording = {
        ...base,
        next(s: Snap, e: EventObject) {
          const n = base.next(s as never, e as never) as Snap;
          const from = snapshotKey(s);
          const to = snapshotKey(n);
          ourStates.add(from).add(to);
          if (to !== from) ourEdges.add(`${from} -${e.type}-> ${to}`);
          return n as never;
        },
      };
      const r = check(recording as typeof base, { deadlock: false, liveness: false });
      for (const s of base.initialStates()) ourStates.add(snapshotKey(s as Snap));

      expect(r.status).toBe('pass');
      expect(r.stats.distinct).toBe(theirStates.size);
      expect([...ourStates].sort()).toEqual([...theirStates].sort());
      expect([...ourEdges].sort()).toEqual([...theirEdges].sort());
      expect(theirEdges.size).toBeGreaterThan(0);
    });
  }
});
