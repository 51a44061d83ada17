/**
 * Sorted-key JSON without `undefined` fields and without static configuration (`config`
 * keys): the tests' reference for "these two states are equal", independent of the
 * simulation's word encoding.
 */
export function canonicalJson(x: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([key, val]) => val !== undefined && key !== 'config')
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([key, val]) => [key, sort(val)]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(x));
}
