/**
 * Abstract states as small integers. A spec binding's abstraction yields a value and a
 * context; the refinement check compares and looks up transitions by an id instead of a
 * sorted key string. An id is found by walking a trie over the value and the context's
 * entries (no string is built); a new path gets the id of its canonical `key`, so the
 * same abstract state reached with its context keys in another order gets the same id.
 */
import type { AbstractState } from './abstractions.ts';

/** The canonical text of an abstract state: value and context sorted by key. */
export function key(a: AbstractState): string {
  const ctx = Object.keys(a.context)
    .sort()
    .map((k) => `${k}=${String(a.context[k])}`)
    .join(',');
  return `${a.value}{${ctx}}`;
}

class TrieNode {
  readonly next = new Map<unknown, TrieNode>();
  id = -1;

  child(k: unknown): TrieNode {
    let n = this.next.get(k);
    if (n === undefined) {
      n = new TrieNode();
      this.next.set(k, n);
    }
    return n;
  }
}

export class AbstractIds {
  private readonly root = new TrieNode();
  private readonly byKey = new Map<string, number>();
  /** The first abstract state interned under each id. */
  readonly states: AbstractState[] = [];

  get size(): number {
    return this.states.length;
  }

  idOf(a: AbstractState): number {
    let n = this.root.child(a.value);
    const ctx = a.context;
    for (const k in ctx) n = n.child(k).child(ctx[k]);
    if (n.id < 0) n.id = this.canonicalId(a);
    return n.id;
  }

  private canonicalId(a: AbstractState): number {
    const k = key(a);
    const known = this.byKey.get(k);
    if (known !== undefined) return known;
    const id = this.states.length;
    this.states.push(a);
    this.byKey.set(k, id);
    return id;
  }
}
