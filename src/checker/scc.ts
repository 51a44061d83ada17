/**
 * Strongly connected components (Tarjan, iterative: no recursion, so deep graphs cannot
 * overflow the stack) of the subgraph induced by the states with `inR[v] !== -1`.
 * Returns a component id per state (-1 outside the subgraph) and the component count.
 */
import type { LivenessGraph } from './liveness-graph.ts';

/** Tarjan's work arrays, one per state, allocated once and reused for every property. */
export class TarjanWork {
  readonly index: Int32Array;
  readonly low: Int32Array;
  readonly id: Int32Array;
  readonly stack: Int32Array;
  readonly callNode: Int32Array;
  readonly callEdge: Int32Array;
  constructor(n: number) {
    this.index = new Int32Array(n);
    this.low = new Int32Array(n);
    this.id = new Int32Array(n);
    this.stack = new Int32Array(n);
    this.callNode = new Int32Array(n);
    this.callEdge = new Int32Array(n);
  }
}

export function tarjan(
  g: LivenessGraph,
  order: Int32Array,
  size: number,
  inR: Int32Array,
  work: TarjanWork = new TarjanWork(inR.length),
): { id: Int32Array; count: number } {
  const { index, low, id, stack, callNode, callEdge } = work;
  index.fill(-1);
  id.fill(-1);
  let sp = 0;
  let next = 0;
  let count = 0;
  for (let t = 0; t < size; t++) {
    const root = order[t]!;
    if (index[root] !== -1) continue;
    let depth = 0;
    callNode[0] = root;
    callEdge[0] = g.edgeStart.get(root);
    index[root] = low[root] = next++;
    stack[sp++] = root;
    while (depth >= 0) {
      const u = callNode[depth]!;
      const e = callEdge[depth]!;
      if (e < g.edgeStart.get(u + 1)) {
        callEdge[depth] = e + 1;
        const v = g.edgeTo.get(e);
        if (inR[v] === -1) continue;
        if (index[v] === -1) {
          index[v] = low[v] = next++;
          stack[sp++] = v;
          depth++;
          callNode[depth] = v;
          callEdge[depth] = g.edgeStart.get(v);
        } else if (id[v] === -1 && index[v]! < low[u]!) {
          low[u] = index[v]!;
        }
        continue;
      }
      if (low[u] === index[u]) {
        let w: number;
        do {
          w = stack[--sp]!;
          id[w] = count;
        } while (w !== u);
        count++;
      }
      depth--;
      if (depth >= 0) {
        const p = callNode[depth]!;
        if (low[u]! < low[p]!) low[p] = low[u]!;
      }
    }
  }
  return { id, count };
}
