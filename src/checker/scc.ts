/**
 * Strongly connected components (Tarjan, iterative: no recursion, so deep graphs cannot
 * overflow the stack) of the subgraph induced by the states with `inR[v] !== -1`.
 * Returns a component id per state (-1 outside the subgraph) and the component count.
 */
import type { LivenessGraph } from './liveness-graph.ts';

export function tarjan(
  g: LivenessGraph,
  order: Int32Array,
  size: number,
  inR: Int32Array,
): { id: Int32Array; count: number } {
  const n = inR.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const id = new Int32Array(n).fill(-1);
  const stack = new Int32Array(size);
  const callNode = new Int32Array(size);
  const callEdge = new Int32Array(size);
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
