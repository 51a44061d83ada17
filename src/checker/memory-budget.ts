/**
 * How much memory the run may still use, and what the liveness pass needs. Liveness is
 * checked as far as memory allows rather than up to a fixed state count.
 *
 * The budget is the `maxMemoryBytes` option, or else the V8 heap limit
 * (`--max-old-space-size`), minus what the run uses now (`memoryUsed`, or else the heap
 * in use plus external memory, which holds the typed arrays of the tables and the graph). Typed arrays do not
 * count against V8's heap limit, so this is conservative: it keeps the whole run within
 * about the heap limit. The heap in use includes garbage not yet collected, which also
 * errs on the side of skipping liveness.
 */
import { getHeapStatistics } from 'node:v8';

/**
 * The young generation of the process that runs a search, in MiB (V8's new space: two
 * semi-spaces plus the new large-object space, so 3 MiB is a 1 MiB semi-space; V8
 * heap.cc, YoungGenerationSizeFromSemiSpaceSize). A search allocates its successors'
 * objects at a high rate, and V8 then grows the semi-spaces towards 16 MiB each, which
 * inflates the resident set by ~45 MB and lets old-space garbage pile up between major
 * collections: measured on kvm-userfault x86 4 vCPUs × 2 pages (193,808 states), peak RSS
 * 166 → 122 MB with this limit, user CPU within the run-to-run noise (7.3–7.7 s both).
 * Everything a search keeps lives in typed arrays outside the V8 heap, so the young
 * generation only ever holds the states being expanded.
 */
export const SEARCH_YOUNG_GENERATION_MB = 3;

/** The same limit as a node flag, for a search run in a child process (the bench). */
export const SEARCH_SEMI_SPACE_FLAG = `--max-semi-space-size=${SEARCH_YOUNG_GENERATION_MB / 3}`;

/**
 * Bytes per state the liveness pass allocates on top of the stored graph, for one
 * property at a time (liveness.ts, scc.ts, fair-cycle.ts):
 * - the reachable ¬p set: BFS parent and order, 2 × 4 bytes;
 * - the SCC pass (Pearce's form of Tarjan): rindex, the shared call/component stack and
 *   the call edges, 3 × 4 bytes, and a flag byte; components are judged as they close,
 *   so nothing is kept per component, and the fair cycle borrows these arrays.
 */
export const LIVENESS_PASS_BYTES_PER_STATE = 2 * 4 + 3 * 4 + 1;

/** Bytes the liveness pass needs over a graph of `states` states. */
export function livenessPassBytes(states: number): number {
  return states * LIVENESS_PASS_BYTES_PER_STATE;
}

/** Bytes the process uses now, as the budget counts them. */
export function memoryInUse(): number {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

/** Bytes the run may still allocate under `limit` (default: V8's heap limit), given what is `used`. */
export function memoryAvailable(limit?: number, used: () => number = memoryInUse): number {
  return (limit ?? getHeapStatistics().heap_size_limit) - used();
}

export function formatMegabytes(bytes: number): string {
  return `${Math.max(0, Math.round(bytes / 2 ** 20))} MB`;
}

export interface LivenessRefusal {
  readonly limit: 'liveness-size' | 'liveness-memory';
  readonly reason: string;
}

/**
 * Why liveness cannot run on a graph of `states` states (`graphBytes` of it stored), or
 * undefined when it can: more states than `maxStates`, or a pass that needs more than the
 * `available` bytes.
 */
export function livenessRefusal(states: number, graphBytes: number, maxStates: number, available: number): LivenessRefusal | undefined {
  if (states > maxStates) return { limit: 'liveness-size', reason: `${states} states exceed maxLivenessStates ${maxStates}` };
  const need = livenessPassBytes(states);
  if (need <= available) return undefined;
  return {
    limit: 'liveness-memory',
    reason:
      `at ${states} states the liveness pass needs ${formatMegabytes(need)} beside its ${formatMegabytes(graphBytes)} graph, ` +
      `and ${formatMegabytes(available)} of memory is left under the limit; raise the memory limit (maxMemoryBytes) or the heap limit`,
  };
}
