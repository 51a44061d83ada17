/**
 * A reader that holds an ITF trace to the spec (https://apalache-mc.org/docs/adr/015adr-trace.html)
 * the way typed consumers (Quint, the ITF trace viewer, itf-rs) do: a top-level `#meta`,
 * `vars` and `states` (and optionally `params`, `loop`); each state a record of exactly
 * the variables plus `#meta.index`; values boolean | string | safe-integer number |
 * `#bigint` | `#tup` | `#set` | `#map` | records | lists; and every variable of one type
 * in every state. Returns the problems found (none: valid).
 */
type ItfType =
  | { readonly k: 'bool' | 'str' | 'int' | 'any' }
  | { readonly k: 'tup'; readonly items: readonly ItfType[] }
  | { readonly k: 'set' | 'list'; readonly of: ItfType }
  | { readonly k: 'map'; readonly key: ItfType; readonly val: ItfType }
  | { readonly k: 'rec'; readonly fields: Readonly<Record<string, ItfType>> };

class Problem extends Error {}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function show(t: ItfType): string {
  switch (t.k) {
    case 'tup':
      return `<${t.items.map(show).join(', ')}>`;
    case 'set':
    case 'list':
      return `${t.k}(${show(t.of)})`;
    case 'map':
      return `${show(t.key)} -> ${show(t.val)}`;
    case 'rec':
      return `{ ${Object.entries(t.fields).map(([f, ft]) => `${f}: ${show(ft)}`).join(', ')} }`;
    default:
      return t.k;
  }
}

/** The one type both are, or a Problem. `any` (the element of an empty set or list) fits all. */
function unify(a: ItfType, b: ItfType, where: string): ItfType {
  if (a.k === 'any') return b;
  if (b.k === 'any') return a;
  const clash = () => new Problem(`${where}: ${show(a)} in one place, ${show(b)} in another`);
  if (a.k !== b.k) throw clash();
  if (a.k === 'tup' && b.k === 'tup') {
    if (a.items.length !== b.items.length) throw clash();
    return { k: 'tup', items: a.items.map((t, i) => unify(t, b.items[i] as ItfType, where)) };
  }
  if ((a.k === 'set' || a.k === 'list') && (b.k === 'set' || b.k === 'list')) return { k: a.k, of: unify(a.of, b.of, where) };
  if (a.k === 'map' && b.k === 'map') return { k: 'map', key: unify(a.key, b.key, where), val: unify(a.val, b.val, where) };
  if (a.k === 'rec' && b.k === 'rec') {
    const names = Object.keys(a.fields).sort();
    if (names.join() !== Object.keys(b.fields).sort().join()) throw clash();
    return { k: 'rec', fields: Object.fromEntries(names.map((f) => [f, unify(a.fields[f] as ItfType, b.fields[f] as ItfType, where)])) };
  }
  return a;
}

const unifyAll = (types: readonly ItfType[], where: string): ItfType => types.reduce((t, u) => unify(t, u, where), { k: 'any' } as ItfType);

function typeOf(v: unknown, where: string): ItfType {
  if (typeof v === 'boolean') return { k: 'bool' };
  if (typeof v === 'string') return { k: 'str' };
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Problem(`${where}: ${v} is not an integer in [-(2^53-1), 2^53-1] (use {"#bigint": "…"})`);
    return { k: 'int' };
  }
  if (Array.isArray(v)) return { k: 'list', of: unifyAll(v.map((x, i) => typeOf(x, `${where}[${i}]`)), where) };
  if (!isObject(v)) throw new Problem(`${where}: ${JSON.stringify(v)} is not an ITF value`);
  const keys = Object.keys(v);
  const special = keys.find((k) => k.startsWith('#'));
  if (special === undefined) return { k: 'rec', fields: Object.fromEntries(keys.map((k) => [k, typeOf(v[k], `${where}.${k}`)])) };
  if (keys.length !== 1) throw new Problem(`${where}: ${special} must be the object's only key`);
  const body = v[special];
  switch (special) {
    case '#bigint':
      if (typeof body !== 'string' || !/^-?\d+$/.test(body)) throw new Problem(`${where}: #bigint must hold a decimal string`);
      return { k: 'int' };
    case '#tup':
      if (!Array.isArray(body)) throw new Problem(`${where}: #tup must hold an array`);
      return { k: 'tup', items: body.map((x, i) => typeOf(x, `${where}#tup[${i}]`)) };
    case '#set':
      if (!Array.isArray(body)) throw new Problem(`${where}: #set must hold an array`);
      return { k: 'set', of: unifyAll(body.map((x, i) => typeOf(x, `${where}#set[${i}]`)), where) };
    case '#map': {
      if (!Array.isArray(body) || !body.every((e) => Array.isArray(e) && e.length === 2)) throw new Problem(`${where}: #map must hold [key, value] pairs`);
      const pairs = body as [unknown, unknown][];
      return { k: 'map', key: unifyAll(pairs.map(([k], i) => typeOf(k, `${where}#map[${i}]`)), where), val: unifyAll(pairs.map(([, x], i) => typeOf(x, `${where}#map[${i}]`)), where) };
    }
    default:
      throw new Problem(`${where}: ${special} is not an ITF value form`);
  }
}

function check(trace: unknown): void {
  if (!isObject(trace)) throw new Problem('the trace is not a JSON object');
  for (const key of Object.keys(trace)) if (!['#meta', 'params', 'vars', 'states', 'loop'].includes(key)) throw new Problem(`unexpected top-level key ${key}`);
  if (!isObject(trace['#meta'])) throw new Problem('no top-level #meta object');
  const vars = trace.vars;
  if (!Array.isArray(vars) || !vars.every((v) => typeof v === 'string')) throw new Problem('vars is not an array of names');
  if (new Set(vars).size !== vars.length) throw new Problem('vars names a variable twice');
  const states = trace.states;
  if (!Array.isArray(states) || states.length === 0) throw new Problem('states is not a non-empty array');
  if (trace.loop !== undefined && !(Number.isSafeInteger(trace.loop) && (trace.loop as number) >= 0 && (trace.loop as number) < states.length)) {
    throw new Problem(`loop ${JSON.stringify(trace.loop)} is not the index of a state`);
  }
  const types = new Map<string, ItfType>();
  states.forEach((s: unknown, i) => {
    if (!isObject(s)) throw new Problem(`states[${i}] is not an object`);
    const meta = s['#meta'];
    if (!isObject(meta) || meta.index !== i) throw new Problem(`states[${i}] has no #meta.index ${i}`);
    for (const key of Object.keys(s)) if (key !== '#meta' && !vars.includes(key)) throw new Problem(`states[${i}] has ${key}, which vars does not name`);
    for (const name of vars as string[]) {
      if (!(name in s)) throw new Problem(`states[${i}] lacks the variable ${name}`);
      const t = typeOf(s[name], `states[${i}].${name}`);
      types.set(name, unify(types.get(name) ?? { k: 'any' }, t, `variable ${name}`));
    }
  });
}

export function itfProblems(trace: unknown): string[] {
  try {
    check(trace);
    return [];
  } catch (e) {
    if (e instanceof Problem) return [e.message];
    throw e;
  }
}
