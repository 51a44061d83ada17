/**
 * Which spec transitions a run took, left untaken, or broke, per spec machine, for
 * drawing the machines with their coverage. Transitions are written as the CLI lists
 * them (`machine: from -EVENT-> to`); a broken one comes from a counterexample's spec
 * message (`machine[i]: from → to is not a transition of the spec`).
 */

export interface SpecEdgeMarks {
  /** `from\0EVENT\0to` of the transitions taken. */
  readonly taken: ReadonlySet<string>;
  /** `from\0to` of the steps that broke the spec (no such transition). */
  readonly violated: ReadonlySet<string>;
}

/** What a run tells about the spec (a structural view of the CLI's CheckRun). */
export interface SpecRunView {
  readonly spec: { readonly uncovered: readonly string[]; readonly transitions: readonly string[] };
  readonly counterexamples: readonly ({ readonly specMessage?: string } | undefined)[];
}

const TRANSITION = /^([\w-]+): (\S+) -(\S+)-> (\S+)$/;
const VIOLATION = /^([\w-]+)\[\d+\]: (\S+)(?: \([^)]*\))? → (\S+)(?: \([^)]*\))? is not a transition of the spec/;

export const takenKey = (from: string, event: string, to: string) => `${from}\u0000${event}\u0000${to}`;
export const violatedKey = (from: string, to: string) => `${from}\u0000${to}`;

/** Per machine that applies to at least one run: the union of the runs' marks. */
export function specCoverageOf(outcome: { readonly runs: readonly SpecRunView[] }): Map<string, SpecEdgeMarks> {
  const marks = new Map<string, { taken: Set<string>; violated: Set<string> }>();
  const of = (machine: string) => {
    let m = marks.get(machine);
    if (!m) marks.set(machine, (m = { taken: new Set(), violated: new Set() }));
    return m;
  };
  for (const run of outcome.runs) {
    for (const t of run.spec.uncovered) {
      const m = TRANSITION.exec(t);
      if (m) of(m[1] as string);
    }
    for (const t of run.spec.transitions) {
      const m = TRANSITION.exec(t);
      if (m) of(m[1] as string).taken.add(takenKey(m[2] as string, m[3] as string, m[4] as string));
    }
    for (const cx of run.counterexamples) {
      const m = cx?.specMessage ? VIOLATION.exec(cx.specMessage) : null;
      if (m) of(m[1] as string).violated.add(violatedKey(m[2] as string, m[3] as string));
    }
  }
  return marks;
}
