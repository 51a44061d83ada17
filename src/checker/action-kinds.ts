/** Coverage kinds: names to small ids, and the default kind of a formatted action. */

/** `vcpu1.fault(gfn 3)` → `vcpu1.fault`: the name up to the first `(` or space. */
export function kindOfName(name: string): string {
  const m = /^[^( ]*/.exec(name);
  return m !== null && m[0].length > 0 ? m[0] : name;
}

export class KindTable {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  constructor(declared: readonly string[]) {
    for (const k of declared) this.id(k);
  }
  id(kind: string): number {
    let id = this.ids.get(kind);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(kind);
      this.ids.set(kind, id);
    }
    return id;
  }
}
