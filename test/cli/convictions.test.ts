/**
 * Every deliberately wrong bundled handler is convicted by a configuration the CLI can
 * express: `kvmuf list` prints it as a command line next to the handler, and running
 * exactly that line (in a shell, as a user pastes it) fails with the pinned property and
 * shortest-trace length; the reference handler of the same design passes the same line.
 *
 * How the lengths were cross-checked: for an invariant or a deadlock, an independent
 * breadth-first search (bruteForceDistance in test/helpers/brute-force.ts: states by their JSON, no
 * fingerprints) finds the nearest state violating the property, or the nearest stuck
 * state that is not an end state, at the same distance. For a liveness lasso, the same
 * search finds the cycle's first state at the prefix's length, and replaying the cycle
 * returns to that state; the cycle's length was read off the trace (e.g. forgets-to-clear:
 * KVM_RUN, the exit, populate, and again, in a 6-state system).
 */
import { describe, expect, it } from 'vitest';
import { check, type Failure } from '../../src/checker/index.ts';
import { PROPERTY } from '../../properties/core.ts';
import { specRefinement } from '../../properties/refinement.ts';
import { explainFailure } from '../../src/report/counterexample.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import type { SystemState } from '../../src/system/state.ts';
import { CONVICTING_CONFIGS } from '../../src/vmm/convictions.ts';
import { bundledHandler } from '../../src/vmm/index.ts';
import { bruteForceDistance } from '../helpers/brute-force.ts';
import { canonicalJson } from '../helpers/canonical-json.ts';
import { inShell, kvmuf } from './run-cli.ts';

/** The first failure each convicting line reports: its kind, property, and its trace's steps (a lasso: prefix + cycle). */
const PINNED: Record<string, { kind: Failure['kind']; property?: string; steps: number; cycleStart?: number }> = {
  'clear-before-populate': { kind: 'invariant', property: PROPERTY.refinesSpec, steps: 2 },
  'forgets-to-clear': { kind: 'liveness', property: PROPERTY.vcpusFinish, steps: 6, cycleStart: 3 },
  // The ITS restore now stops the vCPUs first and holds their mutexes while it sleeps
  // (review M1), so the restore no longer has to wait for the vCPU's program: 18 → 10, 16 → 4.
  'no-wake-on-eexist': { kind: 'deadlock', steps: 10 },
  'no-uffd-reader': { kind: 'deadlock', steps: 4 },
  'eexist-is-fatal': { kind: 'deadlock', steps: 17 },
  'ignores-remove': { kind: 'invariant', property: PROPERTY.noStaleAfterRemove, steps: 8 },
  'no-populate-write': { kind: 'liveness', property: PROPERTY.vcpusFinish, steps: 13, cycleStart: 10 },
  'present-before-install': { kind: 'invariant', property: PROPERTY.noWrongRead, steps: 12 },
  // Two memslots, gfns 0 and 4: KVM_RUN, the exit on gfn 4, populate, then the cycle
  // (clear the wrong bit, KVM_RUN, the same exit, populate → EEXIST), 7 steps in a 7-state system.
  'bitmap-by-gfn': { kind: 'liveness', property: PROPERTY.vcpusFinish, steps: 7, cycleStart: 3 },
  'async-pf-wrong-token': { kind: 'deadlock', steps: 14 },
  // The restore's GUP faults (1), the reader reads (2) and write()s (3): nothing can move.
  'gmem-write-no-continue': { kind: 'deadlock', steps: 3 },
};

/** `kvmuf list`'s convicting command line of each handler that has one. */
function convictingLines(): Map<string, string> {
  const r = kvmuf(['list']);
  expect(r.status).toBe(0);
  const lines = r.stdout.split('\n');
  const out = new Map<string, string>();
  lines.forEach((line, i) => {
    const m = /^ {2}(\S+) +\[/.exec(line);
    const next = /^ +convicted by: (kvmuf check .*)$/.exec(lines[i + 1] ?? '');
    if (m?.[1] && next?.[1]) out.set(m[1], next[1]);
  });
  return out;
}

interface JsonFailure {
  readonly kind: Failure['kind'];
  readonly property?: string;
  readonly steps: readonly unknown[];
  readonly cycleStart?: number;
  readonly notFinished?: readonly { thread: string; step: string; why: string }[];
}

describe('every wrong bundled handler is convicted by the configuration kvmuf list shows', { timeout: 120_000 }, () => {
  const lines = convictingLines();

  it('kvmuf list shows a convicting command line for each WRONG handler, and only for those', () => {
    const wrong = kvmuf(['list']).stdout.split('\n').flatMap((l) => /^ {2}(\S+) +\[[^\]]*\] WRONG:/.exec(l)?.[1] ?? []);
    expect(wrong.length).toBe(11);
    expect([...lines.keys()].sort()).toEqual([...wrong].sort());
    expect(Object.keys(PINNED).sort()).toEqual([...wrong].sort());
  });

  it.each(Object.entries(PINNED))('%s fails as pinned; the reference handler passes the same configuration', (name, pin) => {
    const line = lines.get(name);
    expect(line).toBeDefined();
    const r = inShell(`${line ?? ''} --json`);
    expect(r.status).toBe(1);
    const run = (JSON.parse(r.stdout) as { runs: { failures: JsonFailure[] }[] }).runs[0];
    const first = run?.failures[0];
    expect(first?.kind).toBe(pin.kind);
    expect(first?.property).toBe(pin.property);
    expect(first?.steps.length).toBe(pin.steps);
    expect(first?.cycleStart).toBe(pin.cycleStart);
    // A deadlock names what is stuck, not "the vCPUs have not finished".
    if (pin.kind === 'deadlock') expect(first?.notFinished?.length).toBeGreaterThan(0);

    const reference = inShell((line ?? '').replace(/ --handler \S+$/, ''));
    expect(reference.stdout).toMatch(/ PASS /);
    expect(reference.status).toBe(0);
  });

  it.each(Object.entries(PINNED))('%s: an independent breadth-first search agrees with the pinned length', (name, pin) => {
    const handler = bundledHandler(name);
    const config = CONVICTING_CONFIGS[name];
    if (!handler || !config) throw new Error(`no ${name}`);
    const system = composeSystem(config, handler);
    const model = systemModel(system, { refinement: specRefinement(system) });
    const f = check(model, { stopAtFirst: false }).failures[0];
    if (!f) throw new Error('no failure');
    if (f.kind === 'invariant') {
      const property = model.properties().find((p) => p.name === f.property);
      expect(bruteForceDistance(model, (s) => property?.condition(s) === false)).toBe(pin.steps);
    } else if (f.kind === 'deadlock') {
      const isEnd = model.isEndState?.bind(model) ?? (() => false);
      expect(bruteForceDistance(model, (s, enabled) => enabled === 0 && !isEnd(s))).toBe(pin.steps);
    } else if (f.kind === 'liveness') {
      const cx = explainFailure(system, model, f);
      const states = cx?.states ?? [];
      const start = states[pin.cycleStart ?? 0] as SystemState;
      expect(bruteForceDistance(model, (s) => canonicalJson(s) === canonicalJson(start))).toBe(pin.cycleStart);
      expect(canonicalJson(states.at(-1))).toBe(canonicalJson(start));
      expect(states.length - 1).toBe(pin.steps);
    }
  });
});
