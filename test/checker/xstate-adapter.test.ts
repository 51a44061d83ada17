import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { always, check, replay, xstateModel } from '../../src/checker/index.ts';
import { snapshotKey } from '../../src/checker/xstate-adapter.ts';
import { postcopyEvents, postcopyMachine } from '../../src/bench/postcopy-machine.ts';
import { postcopyConfig, postcopyModel } from '../../src/examples/postcopy-packed.ts';

/** A page's lifecycle with a bounded retry counter: missing → requested → present, zap back. */
const page = setup({
  types: {} as {
    context: { retries: number; installs: number };
    events: { type: 'FAULT' } | { type: 'RETRY' } | { type: 'INSTALL' } | { type: 'ZAP' };
  },
}).createMachine({
  id: 'page',
  context: { retries: 0, installs: 0 },
  initial: 'missing',
  states: {
    missing: { on: { FAULT: 'requested' } },
    requested: {
      on: {
        RETRY: { guard: ({ context }) => context.retries < 2, actions: assign({ retries: ({ context }) => context.retries + 1 }) },
        INSTALL: { target: 'present', actions: assign({ installs: ({ context }) => context.installs + 1 }) },
      },
    },
    present: { on: { ZAP: { target: 'missing', guard: ({ context }) => context.installs < 2 } } },
  },
});
const EVENTS = [{ type: 'FAULT' }, { type: 'RETRY' }, { type: 'INSTALL' }, { type: 'ZAP' }] as const;

describe('XState adapter', () => {
  it('reaches exactly the states xstate/graph reaches', () => {
    const adj = getAdjacencyMap(page, { events: [...EVENTS] });
    const theirs = new Set(Object.values(adj).map((v) => snapshotKey(v.state)));
    const model = xstateModel(page, { events: () => [...EVENTS] });
    const r = check(model, { deadlock: false });
    expect(r.status).toBe('pass');
    expect(r.stats.distinct).toBe(theirs.size);
    // Same set, not only the same size: every one of their states is one of ours.
    const ours = new Set<string>();
    const m2 = xstateModel(page, {
      events: () => [...EVENTS],
      properties: [always('record', (s) => (ours.add(snapshotKey(s)), true))],
    });
    check(m2, { deadlock: false });
    expect([...ours].sort()).toEqual([...theirs].sort());
    // By hand: retries (0..2) never resets; installs counts INSTALLs (ZAP needs < 2).
    // missing: installs 0 with retries 0, or installs 1 with any retries → 1 + 3;
    // requested: installs 0 or 1 × retries 0..2 → 6; present: installs 1 or 2 × 3 → 6.
    expect(theirs.size).toBe(16);
  });

  it('finds the terminal state as a deadlock unless declared final, with a replayable trace', () => {
    const model = xstateModel(page, { events: () => [...EVENTS] });
    const r = check(model);
    const f = r.failures[0];
    expect(f?.kind).toBe('deadlock');
    if (f?.kind !== 'deadlock') return;
    expect(f.trace.labels).toEqual(['FAULT', 'INSTALL', 'ZAP', 'FAULT', 'INSTALL']);
    const states = replay(model, f.trace);
    expect(states[states.length - 1]?.value).toBe('present');
    expect(r.coverage.fired['RETRY']).toBeGreaterThan(0);
  });

  it('the post-copy machine, the adapter and the packed model agree on the state count', () => {
    const packed = postcopyModel(postcopyConfig(2, 3, 1, 2));
    const machine = postcopyMachine(packed);
    const adj = getAdjacencyMap(machine, { events: postcopyEvents(packed) });
    const viaAdapter = check(xstateModel(machine, { events: postcopyEvents(packed) }));
    const direct = check(packed);
    expect(direct.stats.distinct).toBe(48);
    expect(viaAdapter.stats.distinct).toBe(48);
    expect(Object.keys(adj).length).toBe(48);
  });
});
