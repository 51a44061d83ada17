/**
 * The refinement check as it was before the id tables (commit 248e267): per step and per
 * machine instance, abstract both states, compare canonical key strings, and ask XState's
 * transition() for an event between them. Slow and obviously faithful: the oracle the
 * table-driven check (properties/refinement.ts) is compared with. Like it, it records
 * every transition of a step, also past one that breaks the spec (for coverage).
 */
import type { System } from '../../src/system/model.ts';
import type { SystemState } from '../../src/system/state.ts';
import { key, specEventBetween, type SpecTransition } from '../../properties/refinement.ts';
import { SPEC_BINDINGS, type AbstractState } from '../../properties/spec-bindings.ts';

function describe(a: AbstractState): string {
  const ctx = Object.entries(a.context).filter(([k]) => k !== 'arch' && k !== 'series' && k !== 'mmu' && k !== 'hasCap' && k !== 'tables');
  return ctx.length === 0 ? a.value : `${a.value} (${ctx.map(([k, v]) => `${k} ${String(v)}`).join(', ')})`;
}

export function oracleRefinement(sys: System) {
  const taken = new Map<string, SpecTransition>();
  const instances = SPEC_BINDINGS.map((b) => b.instances(sys));
  return {
    check(s: SystemState, t: SystemState): string | undefined {
      // Every instance's transition is recorded, past the first that breaks the spec (whose message is kept).
      let problem: string | undefined;
      for (const [i, b] of SPEC_BINDINGS.entries()) {
        for (const inst of instances[i] ?? []) {
          const a = b.abstract(sys, s, inst);
          const z = b.abstract(sys, t, inst);
          if (!a || !z || key(a) === key(z)) continue;
          const event = specEventBetween(b.machine, b.events, a, z);
          if (event === null) {
            problem ??= `${b.name}[${inst}]: ${describe(a)} → ${describe(z)} is not a transition of the spec`;
            continue;
          }
          const tr = { machine: b.name, from: a.value, event, to: z.value };
          taken.set(`${tr.machine}:${tr.from}-${tr.event}->${tr.to}`, tr);
        }
      }
      return problem;
    },
    taken: () => [...taken.values()],
  };
}
