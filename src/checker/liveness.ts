/**
 * Liveness under weak fairness, on the graph stored by the BFS (liveness-graph.ts).
 *
 * Behaviors. A behavior is an infinite path through the state graph, or a finite one
 * that ends in a terminal state (no enabled action) and stays there. Non-terminal states
 * do not stutter forever: some enabled action is always taken eventually.
 *
 * Fairness. The model puts actions in fairness classes 0..31 (`fairness(state, action)`,
 * typically one class per thread; -1 = unfair). Class c is *enabled* in a state when
 * some action of class c is enabled there. An infinite behavior is weakly fair when no
 * class is continuously enabled from some point on without being taken infinitely often.
 * For a lasso, that means: every class that is enabled in *every* state of the cycle is
 * taken by at least one edge of the cycle. A model without `fairness` gets no fairness
 * assumption: every cycle is a behavior.
 *
 * Property. `eventually(p)`: every behavior from an initial state reaches a p-state.
 * `leadsTo(t, p)`: every behavior suffix from a reachable t-state reaches a p-state.
 * A counterexample is a lasso: a prefix from an initial state to a trigger state (an
 * initial state for `eventually`), then through ¬p states to a cycle of ¬p states that is
 * weakly fair, or to a terminal ¬p state (an empty cycle: it stutters there). Retrying
 * forever without progress is such a cycle when the progress action is not continuously
 * enabled along it.
 *
 * Algorithm. R = the ¬p states reachable from the triggers through ¬p states (BFS).
 * Tarjan's SCCs of the subgraph on R (iterative, Pearce's space-saving form). A maximal SCC C with at least one edge
 * contains a fair cycle iff every class enabled in all states of C is the class of some
 * edge inside C: a cycle through every state and edge of C is then fair, and no cycle in
 * C can do better (it can only take fewer classes and see fewer disabled ones). The
 * reported cycle is shorter: from the entry state it visits, for each class enabled
 * somewhere in C, a state of C where it is disabled or else an edge of C of that class.
 *
 * Cost: O(states + edges) time per property; memory 5 × 4 + 1 bytes per state (typed
 * work arrays, LIVENESS_PASS_BYTES_PER_STATE) on top of the stored graph.
 */
import { chainTo, buildTrace, type Trace } from './trace.ts';
import { NO_PARENT, type SearchOutput } from './bfs.ts';
import { fairCycle } from './fair-cycle.ts';
import { FAIR, fairComponents, SccWork } from './scc.ts';
import type { LivenessGraph } from './liveness-graph.ts';
import type { Space } from './space.ts';
import { fingerprintOf } from './make-space.ts';
import { divergence } from './trace.ts';

export interface Lasso {
  /** From an initial state to the first state of the cycle. */
  readonly prefix: Trace;
  /** Action indices of the cycle, from its first state back to it; empty: stutters in a terminal state. */
  readonly cycle: readonly number[];
  readonly cycleLabels: readonly string[];
}

/**
 * The per-state arrays of the liveness pass, allocated once for all `eventually`
 * properties (so the peak memory is one pass's, not one per property): the ¬p set's BFS
 * parents and order, and the SCC pass's arrays (scc.ts), which the fair cycle borrows.
 */
export class LivenessWork {
  readonly rParent: Int32Array;
  readonly order: Int32Array;
  readonly scc: SccWork;
  constructor(n: number) {
    this.rParent = new Int32Array(n);
    this.order = new Int32Array(n);
    this.scc = new SccWork(n);
  }
}

export function findLasso<S>(
  space: Space<S>,
  out: SearchOutput,
  propertyIndex: number,
  plainEventually: boolean,
  work: LivenessWork = new LivenessWork(out.distinct),
): Lasso | undefined {
  const g = out.graph;
  if (g === undefined) throw new Error('liveness needs the stored graph');
  const n = out.distinct;
  const goodBit = 1 << (2 * propertyIndex);
  const trigBit = 1 << (2 * propertyIndex + 1);
  const good = (i: number): boolean => (g.propertyBits.get(i) & goodBit) !== 0;

  // 1. R: ¬p states reachable from triggers through ¬p states.
  const rParent = work.rParent.fill(-1);
  const order = work.order;
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const trig = plainEventually ? out.parents.get(i) === NO_PARENT : (g.propertyBits.get(i) & trigBit) !== 0;
    if (trig && !good(i)) {
      rParent[i] = -2;
      order[tail++] = i;
    }
  }
  while (head < tail) {
    const u = order[head++]!;
    for (let e = g.edgeStart.get(u), end = g.edgeStart.get(u + 1); e < end; e++) {
      const v = g.edgeTo.get(e);
      if (rParent[v] === -1 && !good(v)) {
        rParent[v] = u;
        order[tail++] = v;
      }
    }
  }
  if (tail === 0) return undefined;

  // 2–3. SCCs of R, each judged fair or not as it closes.
  fairComponents(g, order, tail, rParent, work.scc);
  const { flags } = work.scc;
  let entry = -1;
  for (let t = 0; t < tail && entry < 0; t++) {
    const u = order[t]!;
    const terminal = g.edgeStart.get(u + 1) === g.edgeStart.get(u);
    if (terminal || flags[u] === FAIR) entry = u;
  }
  if (entry < 0) return undefined;

  // 4. Prefix: global shortest path to the root trigger, then the R path to the entry.
  const rPath: number[] = [];
  let root = entry;
  while (rParent[root] !== -2) {
    rPath.push(g.edgeAction.get(firstEdge(g, rParent[root]!, root)));
    root = rParent[root]!;
  }
  rPath.reverse();
  const chain = chainTo(out, root);
  const full = { initial: chain.initial, actions: [...chain.actions, ...rPath] };
  const { trace: prefix, states } = buildTrace(space, full, false, 64, undefined);

  // 5. Cycle through the waypoints inside the entry's SCC.
  const cycleEdges = g.edgeStart.get(entry + 1) === g.edgeStart.get(entry) ? [] : fairCycle(g, entry, work.scc);
  const cycle = cycleEdges.map((e) => g.edgeAction.get(e));
  const cycleLabels: string[] = [];
  let s: S = states[states.length - 1] ?? space.initialStates()[prefix.initial]!;
  const startFp = fingerprintOf(space, s, false);
  for (const a of cycle) {
    const k = space.expand(s);
    if (a >= k) throw divergence(prefix.actions.length + cycleLabels.length + 1, `cycle action ${a} not enabled`);
    cycleLabels.push(space.label(a));
    s = space.keep(space.successor(a));
  }
  if (cycle.length > 0 && fingerprintOf(space, s, false) !== startFp) {
    throw divergence(prefix.actions.length + cycle.length, 'the cycle does not return to its first state');
  }
  return { prefix, cycle, cycleLabels };
}

/** The first edge from u to v: the one the ¬p BFS reached v by (it scans u's edges in order). */
function firstEdge(g: LivenessGraph, u: number, v: number): number {
  for (let e = g.edgeStart.get(u), end = g.edgeStart.get(u + 1); e < end; e++) if (g.edgeTo.get(e) === v) return e;
  throw new Error(`internal: no edge from ${u} to ${v}`);
}
