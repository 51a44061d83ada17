/**
 * Properties are named values, evaluated at every reached state.
 *
 * - `always(name, p)`: invariant; a reached state with `!p` is a counterexample (the BFS
 *   returns the shortest path to one).
 * - `sometimes(name, p)`: must be witnessed by some reachable state. A run that finishes
 *   without a witness reports a failure, so a vacuous pass is caught.
 * - `eventually(name, p)`: liveness, `<>p` on every fair behavior from an initial state.
 * - `leadsTo(name, trigger, p)`: liveness, `[](trigger => <>p)` (e.g. "a pending fault is
 *   eventually resolved"): from any reachable state where `trigger` holds, every fair
 *   behavior reaches `p` (a state where both hold satisfies it at once).
 */
export type PropertyKind = 'always' | 'sometimes' | 'eventually';

export interface Property<S> {
  readonly kind: PropertyKind;
  readonly name: string;
  readonly condition: (state: S) => boolean;
  /** `eventually` only: the obligation starts where this holds (leads-to). */
  readonly trigger?: (state: S) => boolean;
}

export function always<S>(name: string, condition: (state: S) => boolean): Property<S> {
  return { kind: 'always', name, condition };
}

export function sometimes<S>(name: string, condition: (state: S) => boolean): Property<S> {
  return { kind: 'sometimes', name, condition };
}

export function eventually<S>(name: string, condition: (state: S) => boolean): Property<S> {
  return { kind: 'eventually', name, condition };
}

export function leadsTo<S>(
  name: string,
  trigger: (state: S) => boolean,
  condition: (state: S) => boolean,
): Property<S> {
  return { kind: 'eventually', name, condition, trigger };
}
