/**
 * Refinement checking: every step of the implementation must be a transition of each
 * spec machine instance, or leave it unchanged (a stutter). The allowed transitions are
 * computed with XState's own `transition()` from the abstract state, so the machine
 * definitions in model/ are what is checked against.
 */
import { transition, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import type { System } from '../src/system/model.ts';
import type { SystemState } from '../src/system/state.ts';
import { SPEC_BINDINGS, type AbstractState, type SpecBinding } from './spec-bindings.ts';

export function key(a: AbstractState): string {
  const ctx = Object.keys(a.context)
    .sort()
    .map((k) => `${k}=${String(a.context[k])}`)
    .join(',');
  return `${a.value}{${ctx}}`;
}

function describe(a: AbstractState): string {
  const ctx = Object.entries(a.context).filter(([k]) => k !== 'arch' && k !== 'series' && k !== 'hasCap' && k !== 'tables');
  return ctx.length === 0 ? a.value : `${a.value} (${ctx.map(([k, v]) => `${k} ${String(v)}`).join(', ')})`;
}

export interface SpecTransition {
  readonly machine: string;
  readonly from: string;
  readonly event: string;
  readonly to: string;
}

export interface Refinement {
  /** The first spec violation of the step s → t, as a readable message, or undefined. */
  check(s: SystemState, t: SystemState): string | undefined;
  /** Spec transitions (machine, source value, event, target value) taken so far. */
  taken(): readonly SpecTransition[];
  /** Spec transitions of the machines that exploration never took. */
  uncovered(): readonly SpecTransition[];
}

const edge = (t: SpecTransition) => `${t.machine}:${t.from}-${t.event}->${t.to}`;

/** Every transition of a machine reachable with its events (value-level), by exhaustive traversal of its own transition(). */
export function specTransitions(b: SpecBinding, input: unknown): SpecTransition[] {
  const start = b.machine.resolveState({ value: b.machine.config.initial as string, context: contextOf(b, input) });
  const seen = new Set<string>();
  const out = new Map<string, SpecTransition>();
  const queue: AnyMachineSnapshot[] = [start];
  while (queue.length > 0) {
    const s = queue.shift() as AnyMachineSnapshot;
    const k = key({ value: String(s.value), context: s.context as Record<string, unknown> });
    if (seen.has(k)) continue;
    seen.add(k);
    for (const e of b.events) {
      const [n] = transition(b.machine, s, e);
      if (n === s) continue;
      const t = { machine: b.name, from: String(s.value), event: e.type, to: String(n.value) };
      out.set(edge(t), t);
      queue.push(n as AnyMachineSnapshot);
    }
  }
  return [...out.values()];
}

function contextOf(b: SpecBinding, input: unknown): Record<string, unknown> {
  const ctx = b.machine.config.context;
  return typeof ctx === 'function' ? (ctx as (a: { input: unknown }) => Record<string, unknown>)({ input }) : ((ctx ?? {}) as Record<string, unknown>);
}

/**
 * The event of `machine` that leads from abstract state `a` to `z`, or null if none does
 * (a = z is a stutter and needs no event: the caller checks that first).
 */
export function specEventBetween(machine: AnyStateMachine, events: readonly EventObject[], a: AbstractState, z: AbstractState): string | null {
  const snap = machine.resolveState({ value: a.value, context: a.context });
  for (const e of events) {
    const [n] = transition(machine, snap, e);
    if (n === snap) continue;
    if (key({ value: String(n.value), context: n.context as Record<string, unknown> }) === key(z)) return e.type;
  }
  return null;
}

export function specRefinement(sys: System, bindings: readonly SpecBinding[] = SPEC_BINDINGS): Refinement {
  const cache = new Map<string, string | null>();
  const taken = new Map<string, SpecTransition>();
  const inputs = bindings.map((b) => b.input(sys));
  const instances = bindings.map((b) => b.instances(sys));

  function allowed(b: SpecBinding, a: AbstractState, z: AbstractState): string | null {
    const k = `${b.name}|${key(a)}|${key(z)}`;
    const hit = cache.get(k);
    if (hit !== undefined) return hit;
    const found = specEventBetween(b.machine, b.events, a, z);
    cache.set(k, found);
    return found;
  }

  return {
    check(s, t) {
      for (let i = 0; i < bindings.length; i++) {
        const b = bindings[i] as SpecBinding;
        for (const inst of instances[i] ?? []) {
          const a = b.abstract(sys, s, inst);
          const z = b.abstract(sys, t, inst);
          if (!a || !z || key(a) === key(z)) continue;
          const event = allowed(b, a, z);
          if (event === null) return `${b.name}[${inst}]: ${describe(a)} → ${describe(z)} is not a transition of the spec`;
          const tr = { machine: b.name, from: a.value, event, to: z.value };
          taken.set(edge(tr), tr);
        }
      }
      return undefined;
    },
    taken: () => [...taken.values()],
    uncovered() {
      return bindings.flatMap((b, i) => ((instances[i] ?? []).length === 0 ? [] : specTransitions(b, inputs[i]))).filter((t) => !taken.has(edge(t)));
    },
  };
}
