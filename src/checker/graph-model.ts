/**
 * A model given as an explicit graph: states are numbers, `edges[s]` lists successors.
 * Used by the checker's own tests (hand-drawn graphs) and by property tests.
 */
import type { Model, WordWriter } from './model.ts';
import type { Property } from './property.ts';

export interface GraphSpec {
  readonly initial: readonly number[];
  /** edges[s] = successors of s, in action order; a missing entry means none. */
  readonly edges: readonly (readonly number[])[];
  readonly properties?: readonly Property<number>[];
  readonly endStates?: readonly number[];
  /** Fairness class per edge, parallel to `edges`. */
  readonly fairness?: readonly (readonly number[])[];
  /** Action kind per edge, parallel to `edges`. */
  readonly kinds?: readonly (readonly string[])[];
  readonly actionKinds?: readonly string[];
}

export function graphModel(g: GraphSpec): Model<number, number> {
  const end = new Set(g.endStates ?? []);
  const model: Model<number, number> = {
    initialStates: () => g.initial,
    actions: (s, out) => {
      const succ = g.edges[s] ?? [];
      for (let i = 0; i < succ.length; i++) out.push(i);
    },
    next: (s, a) => g.edges[s]![a]!,
    formatAction: (s, a) => `${g.kinds?.[s]?.[a] ?? 'go'}(${s}->${g.edges[s]![a]!})`,
    encode: (s, out: WordWriter) => out.push(s),
    decode: (w) => w[0]!,
    properties: () => g.properties ?? [],
    isEndState: (s) => end.has(s),
    ...(g.actionKinds ? { actionKinds: g.actionKinds } : {}),
  };
  if (g.fairness !== undefined) {
    const fair = g.fairness;
    model.fairness = (s, a) => fair[s]?.[a] ?? -1;
  }
  return model;
}
