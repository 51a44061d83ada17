/**
 * Strongly connected components of the subgraph induced by the states with
 * `inR[v] !== -1`, with each component's weak fairness decided as it completes.
 *
 * The algorithm is Tarjan's, in the space-saving form of Pearce ("A space-efficient
 * algorithm for finding strongly connected components", IPL 116(1), 2016): one `rindex`
 * word per state holds the visit index while the state is open and its component id once
 * it is closed, and a root flag replaces the lowlink array. Component ids start at `n`
 * (the state count), above every visit index, so an edge into a closed component never
 * lowers an open state's rindex. The DFS call stack and Tarjan's component stack share
 * one array, from opposite ends (a state is on at most one of them, so together they
 * never exceed n). It is iterative: deep graphs cannot overflow the JS stack.
 *
 * When a component closes, its members are the states just popped off the component
 * stack plus its root; one pass over their edges decides whether it holds a weakly fair
 * cycle (liveness.ts: at least one inner edge, and every fairness class enabled in all
 * its states is the class of an inner edge). Its members are then flagged FAIR, so no
 * per-component arrays are needed.
 *
 * Memory: rindex, the shared stack and the call-edge array, 3 × 4 bytes per state, and a
 * flag byte per state.
 */
import type { LivenessGraph } from './liveness-graph.ts';

/** The flag of a state whose component holds a weakly fair cycle. */
export const FAIR = 2;
const ROOT = 1;

/** The work arrays, one per state, allocated once and reused for every property. */
export class SccWork {
  /** 0: not visited (or outside the subgraph); < n: visit index while open; ≥ n: component id. */
  readonly rindex: Int32Array;
  /** Call stack from the bottom, component stack from the top. */
  readonly stack: Int32Array;
  /** Per call-stack frame: the next edge to follow. */
  readonly callEdge: Int32Array;
  /** ROOT while open; FAIR once closed in a fair component; 0 otherwise. */
  readonly flags: Uint8Array;
  constructor(readonly n: number) {
    this.rindex = new Int32Array(n);
    this.stack = new Int32Array(n);
    this.callEdge = new Int32Array(n);
    this.flags = new Uint8Array(n);
  }
}

/**
 * Components of the subgraph on the states `order[0 .. size)` (the roots are tried in
 * that order). Afterwards `rindex[v]` is v's component id (≥ n) for the states in the
 * subgraph, and `flags[v] === FAIR` when that component holds a weakly fair cycle.
 */
export function fairComponents(g: LivenessGraph, order: Int32Array, size: number, inR: Int32Array, work: SccWork): void {
  const { n, rindex, stack, callEdge, flags } = work;
  rindex.fill(0);
  flags.fill(0);
  let next = 1;
  let component = n;
  let depth = -1; // top of the call stack: stack[0 .. depth]
  let top = n; // bottom of the component stack: stack[top .. n)

  const open = (v: number): void => {
    rindex[v] = next++;
    flags[v] = ROOT;
    stack[++depth] = v;
    callEdge[depth] = g.edgeStart.get(v);
  };

  for (let t = 0; t < size; t++) {
    const start = order[t]!;
    if (rindex[start] !== 0) continue;
    open(start);
    while (depth >= 0) {
      const u = stack[depth]!;
      const e = callEdge[depth]!;
      if (e < g.edgeStart.get(u + 1)) {
        callEdge[depth] = e + 1;
        const v = g.edgeTo.get(e);
        if (inR[v] === -1) continue;
        if (rindex[v] === 0) {
          open(v);
        } else if (rindex[v]! < rindex[u]!) {
          rindex[u] = rindex[v]!;
          flags[u] = 0;
        }
        continue;
      }
      // u is finished: return to its caller, then close its component or leave it on the stack.
      depth--;
      if (depth >= 0) {
        const p = stack[depth]!;
        if (rindex[u]! < rindex[p]!) {
          rindex[p] = rindex[u]!;
          flags[p] = 0;
        }
      }
      if (flags[u] !== ROOT) {
        stack[--top] = u;
        continue;
      }
      // u roots a component: the states above it on the component stack, and u.
      const first = top;
      while (top < n && rindex[stack[top]!]! >= rindex[u]!) top++;
      const id = component++;
      for (let k = first; k < top; k++) rindex[stack[k]!] = id;
      rindex[u] = id;
      const fair = isFair(g, rindex, id, u, stack, first, top);
      flags[u] = fair ? FAIR : 0;
      for (let k = first; k < top; k++) flags[stack[k]!] = fair ? FAIR : 0;
    }
  }
}

/** Whether the component `id` (root u and stack[from .. to)) has an inner edge and takes every class enabled in all its states. */
function isFair(g: LivenessGraph, rindex: Int32Array, id: number, u: number, stack: Int32Array, from: number, to: number): boolean {
  let always = 0xffffffff;
  let taken = 0;
  let inner = false;
  for (let k = from - 1; k < to; k++) {
    const w = k < from ? u : stack[k]!;
    always &= g.enabledMask.get(w);
    for (let e = g.edgeStart.get(w), end = g.edgeStart.get(w + 1); e < end; e++) {
      if (rindex[g.edgeTo.get(e)] !== id) continue;
      inner = true;
      const cls = g.edgeClass.get(e);
      if (cls > 0) taken |= 1 << (cls - 1);
    }
  }
  return inner && (always & ~taken) >>> 0 === 0;
}

/** The fairness classes enabled somewhere in component `id` (for the reported cycle's waypoints). */
export function classesOf(g: LivenessGraph, rindex: Int32Array, id: number): number {
  let classes = 0;
  for (let v = 0; v < rindex.length; v++) if (rindex[v] === id) classes |= g.enabledMask.get(v);
  return classes;
}
