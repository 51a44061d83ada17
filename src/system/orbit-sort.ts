/**
 * The canonical renaming both symmetry reductions use (vcpu-symmetry.ts,
 * worker-symmetry.ts): within each group of interchangeable members, sort them by a key
 * of their own state (ties keep index order), so every member of an orbit maps to one
 * representative.
 */

/**
 * rename[old] = new over indices 0 .. size-1 (identity outside the groups), sorting each
 * group by `keyOf`; undefined when every group is already in key order.
 */
export function sortingRenaming(groups: readonly (readonly number[])[], size: number, keyOf: (member: number) => string): number[] | undefined {
  let rename: number[] | undefined;
  for (const g of groups) {
    const keys = g.map(keyOf);
    const order = g.map((_, i) => i).sort((a, b) => compareKeys(keys[a] as string, keys[b] as string) || a - b);
    if (order.every((o, i) => o === i)) continue;
    rename ??= Array.from({ length: size }, (_, i) => i);
    // The member at g[order[i]] moves to slot g[i].
    order.forEach((from, i) => {
      (rename as number[])[g[from] as number] = g[i] as number;
    });
  }
  return rename;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
