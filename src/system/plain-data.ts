/**
 * Deep freeze and deep comparison of the plain immutable data that system states are made
 * of (objects, arrays, primitives). Both stop early at shared structure: a state shares
 * most of its objects with its predecessor (copy on write), so the cost follows what
 * changed, not the size of the state.
 */

/** Freeze `x` and everything it reaches that is not frozen yet. */
export function deepFreeze(x: unknown): void {
  if (typeof x !== 'object' || x === null || Object.isFrozen(x)) return;
  Object.freeze(x);
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const v: unknown = x[i];
      if (typeof v === 'object' && v !== null) deepFreeze(v);
    }
    return;
  }
  const o = x as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (typeof v === 'object' && v !== null) deepFreeze(v);
  }
}

/** Where `a` and `b` first differ (a property path), or undefined if they are equal as data. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path || '(value)';
  if (Array.isArray(a) !== Array.isArray(b)) return path || '(value)';
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return path || '(value)';
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return `${path}.${k}`;
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}
