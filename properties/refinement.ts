/**
 * Refinement checking: every step of the implementation must be a transition of each
 * spec machine instance, or leave it unchanged (a stutter). The allowed transitions are
 * computed with XState's own `transition()` from the abstract state, so the machine
 * definitions in model/ are what is checked against.
 *
 * On the hot path a state's abstraction is a vector of small ids, one per machine
 * instance (abstract-ids.ts), computed once for the source of all its steps and once
 * per successor; a step that changes an id is looked up in the machine's table
 * (spec-table.ts), a memo of `transition()` over whole abstract states, context
 * included, so guards on context are evaluated as the machine defines them.
 */
import { transition, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import type { System } from '../src/system/model.ts';
import type { SystemState } from '../src/system/state.ts';
import { key } from './abstract-ids.ts';
import { SPEC_BINDINGS, type AbstractState, type SpecBinding } from './spec-bindings.ts';
import { SpecTable } from './spec-table.ts';

export { key };

function describe(a: AbstractState): string {
  const ctx = Object.entries(a.context).filter(([k]) => k !== 'arch' && k !== 'series' && k !== 'mmu' && k !== 'hasCap' && k !== 'tables');
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
  const inputs = bindings.map((b) => b.input(sys));
  const instances = bindings.map((b) => b.instances(sys));
  const tables = bindings.map((b, i) => new SpecTable(b.machine, b.events, initialState(b, inputs[i])));
  /** Per binding, the (source id, event) pairs taken, and the spec transitions in the order first taken. */
  const takenCodes = tables.map(() => new Set<number>());
  const takenInOrder: SpecTransition[] = [];
  /** One slot per (binding, instance), in the order violations are looked for. */
  const slots = bindings.flatMap((b, i) => (instances[i] ?? []).map((instance) => ({ b, table: tables[i] as SpecTable, taken: takenCodes[i] as Set<number>, instance })));
  /** Per binding, its slots: slots[first .. first + count). */
  const groups = bindings.map((b, i) => ({ b, first: bindings.slice(0, i).reduce((n, _, k) => n + (instances[k] ?? []).length, 0), count: (instances[i] ?? []).length }));
  const source = new Int32Array(slots.length);
  const target = new Int32Array(slots.length);
  let sourceOf: SystemState | undefined;

  /** The abstract state id of every slot in `s` (-1: the binding does not apply). */
  function abstractIds(s: SystemState, out: Int32Array, from: number, count: number): void {
    for (let j = from; j < from + count; j++) {
      const { b, table, instance } = slots[j] as (typeof slots)[number];
      const a = b.abstract(sys, s, instance);
      out[j] = a === undefined ? -1 : table.ids.idOf(a);
    }
  }

  /** The ids of the step's target `t`: copied from the source `s` where the binding's part of the state is shared. */
  function targetIds(s: SystemState, t: SystemState): void {
    for (const { b, first, count } of groups) {
      if (b.reads !== undefined && b.reads(s) === b.reads(t)) {
        for (let j = first; j < first + count; j++) target[j] = source[j] as number;
      } else abstractIds(t, target, first, count);
    }
  }

  return {
    check(s, t) {
      // The source's ids serve every step out of it: systemModel checks them one after another.
      if (s !== sourceOf) {
        abstractIds(s, source, 0, slots.length);
        sourceOf = s;
      }
      targetIds(s, t);
      // Every slot's transition is recorded (coverage), even past the first that breaks the spec.
      let problem: string | undefined;
      for (let j = 0; j < slots.length; j++) {
        const from = source[j] as number;
        const to = target[j] as number;
        if (from < 0 || to < 0 || from === to) continue;
        const { b, table, taken, instance } = slots[j] as (typeof slots)[number];
        const e = table.eventBetween(from, to);
        if (e < 0) {
          const a = b.abstract(sys, s, instance) as AbstractState;
          const z = b.abstract(sys, t, instance) as AbstractState;
          problem ??= `${b.name}[${instance}]: ${describe(a)} → ${describe(z)} is not a transition of the spec`;
          continue;
        }
        const code = from * table.events.length + e;
        if (!taken.has(code)) {
          taken.add(code);
          takenInOrder.push({ machine: b.name, from: (table.ids.states[from] as AbstractState).value, event: (b.events[e] as EventObject).type, to: (table.ids.states[to] as AbstractState).value });
        }
      }
      return problem;
    },
    taken: () => [...new Map(takenInOrder.map((t) => [edge(t), t])).values()],
    uncovered() {
      const taken = new Set(takenInOrder.map(edge));
      return bindings.flatMap((b, i) => ((instances[i] ?? []).length === 0 ? [] : specTransitions(b, inputs[i]))).filter((t) => !taken.has(edge(t)));
    },
  };
}

function initialState(b: SpecBinding, input: unknown): AbstractState {
  return { value: b.machine.config.initial as string, context: contextOf(b, input) };
}
