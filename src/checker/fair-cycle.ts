/**
 * Building the reported fair cycle inside one SCC (see liveness.ts for the fairness
 * definition): from the entry state, for each fairness class enabled somewhere in the
 * SCC and not yet satisfied, walk (shortest paths inside the SCC) to a state where the
 * class is disabled, or else take an edge of that class; then return to the entry.
 *
 * It runs after the SCC pass and borrows its arrays (scc.ts's SccWork) as scratch: the
 * stack is the BFS queue and the call-edge array records the edge that reached each
 * state. A component can be the whole
 * graph, so nothing here is sized by the component in JS objects.
 */
import type { LivenessGraph } from './liveness-graph.ts';
import { classesOf, type SccWork } from './scc.ts';

/** Edge indices of a weakly fair cycle from `entry` back to it, inside its SCC (`work.rindex` holds the component ids). */
export function fairCycle(g: LivenessGraph, entry: number, work: SccWork): number[] {
  const { rindex } = work;
  const c = rindex[entry]!;
  const n = rindex.length;
  const classes = classesOf(g, rindex, c);
  const path: number[] = [];
  let at = entry;
  let takenSoFar = 0;
  let seenDisabled = 0; // classes disabled in some state the cycle visits
  const visit = (u: number): void => {
    seenDisabled |= ~g.enabledMask.get(u);
  };
  visit(entry);
  const walk = (edges: readonly number[]): void => {
    for (const e of edges) {
      path.push(e);
      const cls = g.edgeClass.get(e);
      if (cls > 0) takenSoFar |= 1 << (cls - 1);
      at = g.edgeTo.get(e);
      visit(at);
    }
  };
  for (let b = 0; b < 32; b++) {
    const bit = 1 << b;
    if ((classes & bit) === 0 || (takenSoFar & bit) !== 0 || (seenDisabled & bit) !== 0) continue;
    let off = -1;
    for (let u = 0; u < n && off < 0; u++) if (rindex[u] === c && (g.enabledMask.get(u) & bit) === 0) off = u;
    if (off >= 0) {
      walk(pathWithin(g, work, c, at, off));
      continue;
    }
    let edge = -1;
    for (let u = 0; u < n && edge < 0; u++) {
      if (rindex[u] !== c) continue;
      for (let e = g.edgeStart.get(u), end = g.edgeStart.get(u + 1); e < end && edge < 0; e++) {
        if (rindex[g.edgeTo.get(e)] === c && g.edgeClass.get(e) === b + 1) edge = e;
      }
    }
    walk([...pathWithin(g, work, c, at, sourceOf(g, edge)), edge]);
  }
  if (path.length === 0 || at !== entry) {
    if (path.length === 0) {
      // Any edge inside the SCC, then back.
      for (let e = g.edgeStart.get(entry), end = g.edgeStart.get(entry + 1); e < end; e++) {
        if (rindex[g.edgeTo.get(e)] === c) {
          walk([e]);
          break;
        }
      }
    }
    walk(pathWithin(g, work, c, at, entry));
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

/** Shortest edge path from `from` to `to` using only states of SCC `c` (BFS in the borrowed stack, edges in callEdge). */
function pathWithin(g: LivenessGraph, work: SccWork, c: number, from: number, to: number): number[] {
  if (from === to) return [];
  const { rindex, stack: queue, callEdge: via } = work;
  via.fill(-2); // -2: not reached; -1: the start
  via[from] = -1;
  queue[0] = from;
  for (let head = 0, tail = 1; head < tail; head++) {
    const u = queue[head]!;
    for (let e = g.edgeStart.get(u), end = g.edgeStart.get(u + 1); e < end; e++) {
      const v = g.edgeTo.get(e);
      if (rindex[v] !== c || via[v] !== -2) continue;
      via[v] = e;
      if (v === to) {
        const path: number[] = [];
        let x = v;
        while (x !== from) {
          const edge = via[x]!;
          path.push(edge);
          x = sourceOf(g, edge);
        }
        return path.reverse();
      }
      queue[tail++] = v;
    }
  }
  throw new Error(`internal: no path inside SCC from ${from} to ${to}`);
}
