/**
 * Breadth-first exploration. States are numbered in discovery order; each stores only its
 * parent's number and the index of the action that reached it (6 bytes), so the shortest
 * path to any state is rebuilt from parent pointers (see trace.ts). Because BFS discovers
 * states in order of depth and invariants are evaluated on discovery, the first violation
 * found is at minimal depth: its counterexample is a shortest one. Deadlocks are detected
 * when a state is expanded, also in depth order.
 */
import { chainTo, NO_PARENT } from './chain.ts';
import { ChunkedU16, ChunkedU32 } from './chunked-array.ts';
import { EncodingStore } from './encoding-store.ts';
import { ExpansionError } from './expansion-error.ts';
import { fingerprintWords } from './fingerprint.ts';
import { FingerprintTable } from './fingerprint-table.ts';
import { ObjectFrontier, WordFrontier } from './frontier.ts';
import { LimitReached, type LimitKind } from './limit-error.ts';
import { LivenessGraph } from './liveness-graph.ts';
import { livenessRefusal, type LivenessRefusal } from './memory-budget.ts';
import type { ResolvedOptions } from './options.ts';
import type { Property } from './property.ts';
import type { Space } from './space.ts';

const RECENT_BITS = 17;
const RECENT_MASK = (1 << RECENT_BITS) - 1;

export { NO_PARENT } from './chain.ts';

export interface SearchOutput {
  readonly parents: ChunkedU32;
  /** Action index that reached each state (initial states: their initial index). */
  readonly actions: ChunkedU16;
  // The fingerprint table is not part of the output: nothing after the search needs it
  // (traces follow parents and re-expand), so it is garbage before the liveness pass
  // allocates its work arrays, and the two never add up in the peak resident set.
  readonly distinct: number;
  readonly generated: number;
  readonly expanded: number;
  readonly queueLeft: number;
  /** Deepest discovered state (initial states have depth 0). */
  readonly maxDepth: number;
  /** All states at depth <= this were expanded (-1: none). */
  readonly depthFullyExplored: number;
  /** State index of the first violation of each `always` property (-1: none). */
  readonly violations: Int32Array;
  /** State index of the first witness of each `sometimes` property (-1: none). */
  readonly witnesses: Int32Array;
  readonly deadlock: number;
  /** Fingerprints recorded for reported states (index → [hi, lo]). */
  readonly recordedFp: Map<number, readonly [number, number]>;
  readonly coverage: Float64Array;
  /** The stored graph; undefined when liveness is off or the graph was dropped. */
  readonly graph: LivenessGraph | undefined;
  /** Why the graph was dropped during the search (it no longer fitted), if it was. */
  readonly graphDropped: LivenessRefusal | undefined;
  readonly limit: { readonly kind: LimitKind; readonly message: string } | undefined;
  readonly elapsedMs: number;
  readonly bytes: SearchBytes;
  readonly fingerprintMatchesRejected: number;
  /** Partial-order reduction: states expanded by their ample set alone, and proviso fallbacks. */
  readonly partialOrder: { readonly reducedExpansions: number; readonly provisoFallbacks: number };
}

/** Memory the search held, by store (typed arrays, plus what the model reports for its encoding). */
export interface SearchBytes {
  readonly table: number;
  readonly parents: number;
  readonly frontierPeak: number;
  /** The liveness graph (0 when liveness is off or the graph was dropped). */
  readonly graph: number;
  /** The model's own encoding tables (Model.encodingBytes: e.g. interned state parts). */
  readonly encoding: number;
  /** Exact-mode encodings and the recent-fingerprint cache. */
  readonly other: number;
}

/**
 * The actions of a state outside its ample set `sel` (ascending indices below `n`).
 *
 * Cycle proviso C3 for breadth-first search: a state is expanded by its ample set alone
 * only if at least one ample successor is a new state (not yet in the table when the
 * state is expanded); otherwise it is expanded fully. This is the BFS proviso discussed by
 * Bošnački, Leue & Lluch-Lafuente ("Partial-order reduction for general state exploring
 * algorithms", SPIN 2006 / STTT 11(1) 2009) and Evangelista & Pajault ("Solving the
 * ignoring problem for partial order reduction", STTT 12(2) 2010). Why it suffices for
 * safety: take a state s and an action t enabled in s but outside its ample set. Follow
 * from s, through reduced expansions, the successor that was new when its parent was
 * expanded: each such successor was discovered after its parent, so its discovery index
 * is larger, and the walk ends (the graph is finite) at a fully expanded state. By C1 every
 * ample action on the walk is independent of t, so t stays enabled and is taken there
 * (with C2, the walk changes nothing a property reads): t is never ignored forever, which
 * is what Peled's C3 ("no action is postponed around a cycle") guarantees in DFS.
 * A model whose ample actions alone form no cycle (Model.ampleCycleFree) needs no proviso:
 * every cycle of its reduced graph already has a fully expanded state, which implies C3
 * (Clarke, Grumberg & Peled, Model Checking, 1999, §10.5).
 */
export function porRest(sel: readonly number[], n: number): number[] {
  const inSel = new Uint8Array(n);
  for (const k of sel) inSel[k] = 1;
  const rest: number[] = [];
  for (let k = 0; k < n; k++) if (inSel[k] === 0) rest.push(k);
  return rest;
}

export function explore<S>(space: Space<S>, o: ResolvedOptions): SearchOutput {
  return new Bfs(space, o).run();
}

class Bfs<S> {
  private readonly parents = new ChunkedU32();
  private readonly actions = new ChunkedU16();
  private readonly table: FingerprintTable;
  private readonly words: WordFrontier | undefined;
  private readonly objects: ObjectFrontier<S> | undefined;
  private readonly exact: EncodingStore | undefined;
  private graph: LivenessGraph | undefined;
  private graphDropped: LivenessRefusal | undefined;
  private readonly always: Property<S>[];
  private readonly sometimes: Property<S>[];
  private readonly eventually: Property<S>[];
  private readonly violations: Int32Array;
  private readonly witnesses: Int32Array;
  private readonly recordedFp = new Map<number, readonly [number, number]>();
  private coverage = new Float64Array(16);
  private distinct = 0;
  private generated = 0;
  private expanded = 0;
  private deadlock = -1;
  private stop = false;
  private limit: { kind: LimitKind; message: string } | undefined;
  private rejected = 0;
  private readonly hiMask: number;
  private readonly loMask: number;
  private readonly start = performance.now();
  private readonly fp = new Uint32Array(2);
  /**
   * A direct-mapped cache of recently looked-up fingerprints (1 MiB, fits in L2) in front
   * of the table: in BFS most successors are states seen a moment ago (the two orders of
   * independent steps), and a hit here saves a cache-missing probe of the big table. It
   * only holds fingerprints already in the table, so it never changes a result. Not used
   * when the table must return state indices (liveness, exact mode).
   */
  private readonly recent: Uint32Array | undefined;

  constructor(
    private readonly space: Space<S>,
    private readonly o: ResolvedOptions,
  ) {
    const withIndex = o.exact || o.liveness;
    this.table = new FingerprintTable(withIndex, o.maxStates);
    if (space.decodes) this.words = new WordFrontier(space.fixedWidth);
    else this.objects = new ObjectFrontier<S>();
    if (o.exact) this.exact = new EncodingStore();
    if (!withIndex) this.recent = new Uint32Array(2 << RECENT_BITS);
    if (o.liveness) this.graph = new LivenessGraph();
    const props = space.properties;
    this.always = props.filter((p) => p.kind === 'always');
    this.sometimes = props.filter((p) => p.kind === 'sometimes');
    this.eventually = props.filter((p) => p.kind === 'eventually');
    if (this.eventually.length > 16 && o.liveness) {
      throw new Error(`at most 16 eventually properties are supported, got ${this.eventually.length}`);
    }
    this.violations = new Int32Array(this.always.length).fill(-1);
    this.witnesses = new Int32Array(this.sometimes.length).fill(-1);
    const bits = Math.max(1, Math.min(64, o.fingerprintBits));
    this.hiMask = bits >= 64 ? 0xffffffff : bits <= 32 ? 0 : (2 ** (bits - 32) - 1) >>> 0;
    this.loMask = bits >= 32 ? 0xffffffff : (2 ** bits - 1) >>> 0;
  }

  run(): SearchOutput {
    try {
      this.admitInitial();
      this.search();
    } catch (e) {
      if (e instanceof LimitReached) this.limit = { kind: e.limit, message: e.message };
      else if (this.expanding >= 0 && !(e instanceof RangeError)) {
        throw new ExpansionError(e, chainTo({ parents: this.parents, actions: this.actions }, this.expanding));
      }
      else if (e instanceof RangeError && /allocat|array (buffer )?length|Array buffer/i.test(e.message)) {
        // An allocation outside the typed-array stores (e.g. the object frontier) failed.
        this.limit = { kind: 'memory', message: `allocation failed: ${e.message}` };
      } else throw e;
    }
    return {
      parents: this.parents,
      actions: this.actions,
      distinct: this.distinct,
      generated: this.generated,
      expanded: this.expanded,
      queueLeft: this.distinct - this.expanded,
      maxDepth: this.depthSeen,
      depthFullyExplored: this.fullyExplored,
      violations: this.violations,
      witnesses: this.witnesses,
      deadlock: this.deadlock,
      recordedFp: this.recordedFp,
      coverage: this.coverage,
      graph: this.graph,
      graphDropped: this.graphDropped,
      limit: this.limit,
      elapsedMs: performance.now() - this.start,
      bytes: {
        table: this.table.bytes,
        parents: this.parents.bytes + this.actions.bytes,
        frontierPeak: this.words?.peakBytes ?? 0,
        graph: this.graph?.bytes ?? 0,
        encoding: this.space.encodingBytes(),
        other: (this.exact?.bytes ?? 0) + (this.recent?.byteLength ?? 0),
      },
      fingerprintMatchesRejected: this.rejected,
      partialOrder: { reducedExpansions: this.reducedExpansions, provisoFallbacks: this.provisoFallbacks },
    };
  }

  private depthSeen = 0;
  private fullyExplored = -1;
  /** The state being expanded (-1: none yet). */
  private expanding = -1;

  private admitInitial(): void {
    const inits = this.space.initialStates();
    const useSym = this.o.symmetry;
    for (let k = 0; k < inits.length && !this.stop; k++) {
      const c = this.space.canonical(inits[k]!, useSym);
      const len = this.space.encode(c);
      const words = this.space.buffer();
      fingerprintWords(words, len, this.fp);
      const hi = (this.fp[0]! & this.hiMask) >>> 0;
      const lo = (this.fp[1]! & this.loMask) >>> 0 || 1;
      const found = this.lookup(hi, lo, words, len);
      if (found < 0) this.admit(c, NO_PARENT, k, hi, lo, words, len);
    }
  }

  private lookup(hi: number, lo: number, words: Uint32Array, len: number): number {
    if (this.exact === undefined) return this.table.insert(hi, lo, this.distinct);
    const exact = this.exact;
    let mismatches = 0;
    const found = this.table.insertExact(hi, lo, this.distinct, (i) => {
      if (exact.equals(i, words, len)) return true;
      mismatches++;
      return false;
    });
    this.rejected += mismatches;
    return found;
  }

  /** Records a newly discovered state (already inserted in the table). */
  private admit(
    c: S,
    parent: number,
    action: number,
    hi: number,
    lo: number,
    words: Uint32Array,
    len: number,
  ): void {
    const idx = this.distinct;
    if (idx >= this.o.maxStates) {
      throw new LimitReached('states', `stopped at the limit of ${this.o.maxStates} distinct states`);
    }
    if (action > 0xffff) {
      throw new Error(`action index ${action} exceeds 65535: too many enabled actions in one state`);
    }
    this.distinct = idx + 1;
    this.parents.push(parent);
    this.actions.push(action);
    if (this.words !== undefined) this.words.push(words, len);
    else this.objects!.push(this.space.keep(c));
    if (this.exact !== undefined) this.exact.add(words, len);
    const always = this.always;
    for (let p = 0; p < always.length; p++) {
      if (this.violations[p]! < 0 && !always[p]!.condition(c)) {
        this.violations[p] = idx;
        this.recordedFp.set(idx, [hi, lo]);
        if (this.o.stopAtFirst) this.stop = true;
      }
    }
    const sometimes = this.sometimes;
    for (let p = 0; p < sometimes.length; p++) {
      if (this.witnesses[p]! < 0 && sometimes[p]!.condition(c)) {
        this.witnesses[p] = idx;
        this.recordedFp.set(idx, [hi, lo]);
      }
    }
    if (this.graph !== undefined) {
      let bits = 0;
      const ev = this.eventually;
      for (let p = 0; p < ev.length; p++) {
        const prop = ev[p]!;
        if (prop.condition(c)) bits |= 1 << (2 * p);
        if (prop.trigger !== undefined && prop.trigger(c)) bits |= 1 << (2 * p + 1);
      }
      this.graph.propertyBits.push(bits);
    }
  }

  private search(): void {
    const space = this.space;
    const o = this.o;
    const table = this.table;
    const words = this.words;
    let graph = this.graph;
    const useSym = o.symmetry;
    const porOn = o.partialOrder;
    const cycleFree = space.ampleCycleFree;
    const coverageOn = o.coverage;
    const exactOn = this.exact !== undefined;
    const hiMask = this.hiMask;
    const loMask = this.loMask;
    // Imported functions are read once into locals: some loaders (tsx) compile imports to
    // property getters, which would otherwise run on every call in the hot loop.
    const hash = fingerprintWords;
    const fpOut = this.fp;
    const recent = this.recent;
    let depth = 0; // depth of the states being expanded
    let levelEnd = this.distinct;
    let nextCheck = 1024;
    let lastProgress = this.start;
    if (this.stop) return;
    const pathSink = o.expandingPath;
    while (this.expanded < this.distinct) {
      const idx = this.expanded;
      this.expanding = idx;
      if (pathSink !== undefined) this.publishPath(idx, pathSink);
      if (idx === levelEnd) {
        depth++;
        levelEnd = this.distinct;
        this.fullyExplored = depth - 1;
      }
      let state: S;
      if (words !== undefined) {
        const chunk = words.pop();
        state = space.decode(chunk, words.offset, words.size);
      } else {
        state = this.objects!.pop();
      }
      const n = space.expand(state);
      if (n === 0 && o.deadlock && this.deadlock < 0 && !space.isEnd(state)) {
        this.deadlock = idx;
        const len = space.encode(state);
        hash(space.buffer(), len, fpOut);
        this.recordedFp.set(idx, [(fpOut[0]! & hiMask) >>> 0, (fpOut[1]! & loMask) >>> 0 || 1]);
        if (o.stopAtFirst) this.stop = true;
      }
      let enabledMask = 0;
      if (depth >= o.maxDepth && n > 0) this.depthCut = true;
      else {
        this.generated += n;
        let coverage: Float64Array = this.coverage;
        // Partial-order reduction: the ample set's actions first (k runs over `order`); if the
        // cycle proviso rejects it, the rest are appended (see porRest).
        let order = porOn && n > 1 ? space.ample() : undefined;
        if (order !== undefined && (order.length === 0 || order.length >= n)) order = undefined;
        let count = order === undefined ? n : order.length;
        let anyNew = false;
        for (let j = 0; j < count; j++) {
          const k = order === undefined ? j : order[j]!;
          const succ = space.successor(k);
          if (coverageOn) {
            const kid = space.kindId(k);
            if (kid >= coverage.length) coverage = this.growCoverage(kid);
            coverage[kid]!++;
          }
          const c = useSym ? space.canonical(succ, true) : succ;
          const len = space.encode(c);
          const buf = space.buffer();
          hash(buf, len, fpOut);
          const hi = (fpOut[0]! & hiMask) >>> 0;
          const lo = (fpOut[1]! & loMask) >>> 0 || 1;
          let found: number;
          if (exactOn) found = this.lookup(hi, lo, buf, len);
          else if (recent !== undefined) {
            const r = (hi & RECENT_MASK) << 1;
            if (recent[r] === hi && recent[r + 1] === lo) found = 0;
            else {
              found = table.insert(hi, lo, this.distinct);
              recent[r] = hi;
              recent[r + 1] = lo;
            }
          } else found = table.insert(hi, lo, this.distinct);
          let target = found;
          if (found < 0) {
            anyNew = true;
            target = this.distinct;
            if (depth + 1 > this.depthSeen) this.depthSeen = depth + 1;
            this.admit(c, idx, k, hi, lo, buf, len);
          }
          if (graph !== undefined) {
            graph.edgeTo.push(target);
            graph.edgeAction.push(k);
            const cls = space.fairness(k);
            graph.edgeClass.push(cls + 1);
            if (cls >= 0) enabledMask |= 1 << cls;
          }
          if (j === count - 1 && order !== undefined && count < n) {
            if (anyNew || cycleFree) this.reducedExpansions++;
            else {
              order = [...order, ...porRest(order, n)];
              count = n;
              this.provisoFallbacks++;
            }
          }
        }
        this.generated -= n - count;
      }
      if (graph !== undefined) {
        graph.enabledMask.push(enabledMask);
        graph.edgeStart.push(graph.edgeTo.length);
      }
      this.expanded++;
      if (this.stop) return;
      if (this.expanded >= nextCheck) {
        nextCheck = this.expanded + 1024;
        const now = performance.now();
        const elapsed = now - this.start;
        if (elapsed > o.maxTimeMs) {
          throw new LimitReached('time', `stopped at the time limit of ${o.maxTimeMs} ms`);
        }
        if (o.signal?.aborted) throw new LimitReached('interrupted', 'interrupted (the search was stopped before it finished)');
        if (o.maxMemoryBytes !== undefined && o.memoryUsed !== undefined) {
          const used = o.memoryUsed();
          if (used > o.maxMemoryBytes) {
            throw new LimitReached('memory', `stopped at the memory limit: ${(used / 2 ** 20).toFixed(1)} MiB in use, limit ${(o.maxMemoryBytes / 2 ** 20).toFixed(1)} MiB`);
          }
        }
        if (graph !== undefined && this.graphNoLongerFits(graph)) graph = this.graph = undefined;
        if (o.progress !== undefined && now - lastProgress >= o.progressIntervalMs) {
          lastProgress = now;
          o.progress({
            distinct: this.distinct,
            generated: this.generated,
            statesPerSecond: (this.distinct / elapsed) * 1000,
            queue: this.distinct - this.expanded,
            depth,
            elapsedMs: elapsed,
          });
        }
      }
    }
    this.fullyExplored = this.depthSeen;
    if (this.depthCut) {
      this.limit = {
        kind: 'depth',
        message: `states at depth ${o.maxDepth} were checked but not expanded (maxDepth)`,
      };
    }
  }

  private depthCut = false;
  /** States expanded by an ample set alone, and states whose ample set the proviso rejected. */
  private reducedExpansions = 0;
  private provisoFallbacks = 0;

  /**
   * Whether liveness can no longer run on this graph: more states than maxLivenessStates,
   * or the pass over the states so far would not fit in the memory left. Then the graph
   * is dropped (recording why) so that its memory serves the safety search.
   */
  private graphNoLongerFits(graph: LivenessGraph): boolean {
    const refusal = livenessRefusal(this.distinct, graph.bytes, this.o.maxLivenessStates, this.o.memoryAvailable());
    if (refusal === undefined) return false;
    this.graphDropped = { limit: refusal.limit, reason: `${refusal.reason}; the graph was dropped during the search, which went on for safety` };
    return true;
  }

  /** Writes the path to state `idx` into `sink` as [length, initial, actions...] (length -1: too long). */
  private publishPath(idx: number, sink: Int32Array): void {
    const { initial, actions } = chainTo({ parents: this.parents, actions: this.actions }, idx);
    if (actions.length + 2 > sink.length) {
      Atomics.store(sink, 0, -1);
      return;
    }
    sink[1] = initial;
    sink.set(actions, 2);
    Atomics.store(sink, 0, actions.length + 1);
  }


  private growCoverage(kid: number): Float64Array {
    const bigger = new Float64Array(Math.max(kid + 1, this.coverage.length * 2));
    bigger.set(this.coverage);
    this.coverage = bigger;
    return bigger;
  }
}
