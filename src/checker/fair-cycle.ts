/**
 * Building the reported fair cycle inside one SCC (see liveness.ts for the fairness
 * definition): from the entry state, for each fairness class enabled somewhere in the
 * SCC and not yet satisfied, walk (shortest paths inside the SCC) to a state where the
 * class is disabled, or else take an edge of that class; then return to the entry.
 */
import type { LivenessGraph } from './liveness-graph.ts';

/** Edge indices of a weakly fair cycle from `entry` back to it, inside its SCC. */
export function fairCycle(g: LivenessGraph, id: Int32Array, entry: number, orMask: Uint32Array): number[] {
  const c = id[entry]!;
  const members: number[] = [];
  for (let i = 0; i < id.length; i++) if (id[i] === c) members.push(i);
  const classes = orMask[c]!;
  const path: number[] = [];
  let at = entry;
  const seen = new Set<number>([entry]);
  let takenSoFar = 0;
  const walk = (edges: readonly number[]): void => {
    for (const e of edges) {
      path.push(e);
      const cls = g.edgeClass.get(e);
      if (cls > 0) takenSoFar |= 1 << (cls - 1);
      at = g.edgeTo.get(e);
      seen.add(at);
    }
  };
  for (let b = 0; b < 32; b++) {
    const bit = 1 << b;
    if ((classes & bit) === 0 || (takenSoFar & bit) !== 0) continue;
    if ([...seen].some((u) => (g.enabledMask.get(u) & bit) === 0)) continue;
    const off = members.find((u) => (g.enabledMask.get(u) & bit) === 0);
    if (off !== undefined) {
      walk(pathWithin(g, id, c, at, off));
      continue;
    }
    let edge = -1;
    for (const u of members) {
      for (let e = g.edgeStart.get(u), end = g.edgeStart.get(u + 1); e < end && edge < 0; e++) {
        if (id[g.edgeTo.get(e)] === c && g.edgeClass.get(e) === b + 1) edge = e;
      }
      if (edge >= 0) break;
    }
    walk([...pathWithin(g, id, c, at, sourceOf(g, edge)), edge]);
  }
  if (path.length === 0 || at !== entry) {
    if (path.length === 0) {
      // Any edge inside the SCC, then back.
      for (let e = g.edgeStart.get(entry), end = g.edgeStart.get(entry + 1); e < end; e++) {
        if (id[g.edgeTo.get(e)] === c) {
          walk([e]);
          break;
        }
      }
    }
    walk(pathWithin(g, id, c, at, entry));
  }
  return path;
}

function sourceOf(g: LivenessGraph, edge: number): number {
  // edgeStart is nondecreasing: binary search for the state owning the edge.
  let lo = 0;
  let hi = g.edgeStart.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (g.edgeStart.get(mid) <= edge) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Shortest edge path from `from` to `to` using only states of SCC `c`. */
function pathWithin(g: LivenessGraph, id: Int32Array, c: number, from: number, to: number): number[] {
  if (from === to) return [];
  const via = new Map<number, number>(); // state → edge that reached it
  const queue = [from];
  via.set(from, -1);
  for (let h = 0; h < queue.length; h++) {
    const u = queue[h]!;
    for (let e = g.edgeStart.get(u), end = g.edgeStart.get(u + 1); e < end; e++) {
      const v = g.edgeTo.get(e);
      if (id[v] !== c || via.has(v)) continue;
      via.set(v, e);
      if (v === to) {
        const path: number[] = [];
        let x = v;
        while (x !== from) {
          const edge = via.get(x)!;
          path.push(edge);
          x = sourceOf(g, edge);
        }
        return path.reverse();
      }
      queue.push(v);
    }
  }
  throw new Error(`internal: no path inside SCC from ${from} to ${to}`);
}
