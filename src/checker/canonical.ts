/**
 * Canonical serialization of plain data for state identity: object keys sorted, Sets and
 * Maps as sorted entry lists, `undefined` kept distinct from a missing key, `-0` distinct
 * from `0`; strings are JSON-quoted, so `1` and `"1"` differ. Unlike `JSON.stringify`,
 * key order and Set contents cannot make equal states look different.
 */
export function canonicalString(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    case 'function':
    case 'symbol':
      throw new Error(`cannot serialize a ${typeof v} in a state`);
    default:
      break;
  }
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + canonicalString(v[i]);
    return out + ']';
  }
  if (v instanceof Set) return `Set{${[...v].map(canonicalString).sort().join(',')}}`;
  if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => `${canonicalString(k)}:${canonicalString(x)}`);
    return `Map{${entries.sort().join(',')}}`;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += (i > 0 ? ',' : '') + JSON.stringify(k) + ':' + canonicalString(obj[k]);
  }
  return out + '}';
}

/** Writes a string as words: its length, then two UTF-16 code units per word. */
export function pushString(s: string, out: { push(word: number): void }): void {
  out.push(s.length);
  for (let i = 0; i < s.length; i += 2) {
    out.push(s.charCodeAt(i) | ((i + 1 < s.length ? s.charCodeAt(i + 1) : 0) << 16));
  }
}
