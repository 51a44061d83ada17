/**
 * Graph-generated tests: xstate/graph enumerates the shortest and the simple paths of
 * every spec machine, plus, for each transition that no such path takes last, the
 * shortest path to its source followed by it (simple paths never revisit a state, so
 * they miss the edges back). Each path is one test: a driver plays it on the kernel
 * simulation and the refinement map must agree with the spec at every step.
 */
import { transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { specTransitions } from '../../properties/refinement.ts';
import type { AbstractState } from '../../properties/abstractions.ts';
import { SPEC_DRIVERS, type SpecDriver } from './drivers.ts';

interface GeneratedPath {
  readonly events: readonly EventObject[];
  /** The spec state after each event (value + context). */
  readonly states: readonly AbstractState[];
}

function abstractOf(s: AnyMachineSnapshot): AbstractState {
  return { value: String(s.value), context: s.context as Record<string, unknown> };
}

function key(a: AbstractState): string {
  return `${a.value}${JSON.stringify(Object.fromEntries(Object.entries(a.context).sort(([x], [y]) => (x < y ? -1 : 1))))}`;
}

/** Shortest and simple paths from xstate/graph, then edge completions, deduplicated. */
export function generatedPaths(d: SpecDriver): GeneratedPath[] {
  const options = { events: d.events as never, input: d.input } as never;
  const fromGraph = [...getShortestPaths(d.machine, options), ...getSimplePaths(d.machine, options)].map((p) => ({
    events: p.steps.slice(1).map((s) => s.event as EventObject),
    states: p.steps.slice(1).map((s) => abstractOf(s.state as AnyMachineSnapshot)),
  }));
  const byKey = new Map<string, GeneratedPath>();
  for (const p of fromGraph) byKey.set(p.events.map((e) => e.type).join('/'), p);
  // Edge completions: shortest path to each reachable state, then every event enabled there.
  for (const p of getShortestPaths(d.machine, options)) {
    const last = p.state as AnyMachineSnapshot;
    for (const e of d.events) {
      const [n] = transition(d.machine, last, e);
      if (n === last) continue;
      const events = [...p.steps.slice(1).map((s) => s.event as EventObject), e];
      const states = [...p.steps.slice(1).map((s) => abstractOf(s.state as AnyMachineSnapshot)), abstractOf(n as AnyMachineSnapshot)];
      const k = events.map((x) => x.type).join('/');
      if (!byKey.has(k)) byKey.set(k, { events, states });
    }
  }
  return [...byKey.values()];
}

function unrealizable(d: SpecDriver, events: readonly EventObject[]): string | undefined {
  return 'realizable' in d ? (d as SpecDriver & { realizable(p: readonly EventObject[]): string | undefined }).realizable(events) : undefined;
}

for (const driver of SPEC_DRIVERS) {
  describe(`spec ${driver.name}: generated paths drive the simulation`, () => {
    const paths = generatedPaths(driver);
    const covered = new Set<string>();
    for (const path of paths) {
      const name = path.events.length === 0 ? '(initial state)' : path.events.map((e) => e.type).join(' → ');
      const reason = unrealizable(driver, path.events);
      if (reason) {
        it.skip(`${name} [not playable by this driver: ${reason}]`, () => undefined);
        continue;
      }
      let previous = '';
      path.states.forEach((s, i) => {
        const from = i === 0 ? driver.machine.config.initial : path.states[i - 1]?.value;
        covered.add(`${String(from)}-${path.events[i]?.type}->${s.value}`);
        previous = s.value;
      });
      void previous;
      it(name, () => {
        const run = driver.start(path.events);
        path.events.forEach((e, i) => {
          run.apply(e);
          expect({ step: i + 1, event: e.type, state: key(run.state()) }).toEqual({ step: i + 1, event: e.type, state: key(path.states[i] as AbstractState) });
        });
      });
    }

    it('every transition of the machine is taken by at least one generated test', () => {
      const all = specTransitions({ name: driver.name, machine: driver.machine, events: driver.events, input: () => driver.input, instances: () => [0], abstract: () => undefined }, driver.input);
      const missing = all.map((t) => `${t.from}-${t.event}->${t.to}`).filter((t) => !covered.has(t));
      expect(missing).toEqual([]);
      expect(all.length).toBeGreaterThan(0);
    });
  });
}
