/**
 * The explored graph kept for liveness, in CSR form built during the BFS (states are
 * expanded in index order, so the out-edges of state i are `edgeStart[i] ..
 * edgeStart[i+1]`). Memory: per state 4 (edgeStart) + 4 (enabled fairness classes) + 4
 * (property bits) bytes, per edge 4 (target) + 2 (action index) + 1 (fairness class)
 * bytes: with ~5 edges per state, ~47 bytes per state on top of the BFS. The liveness pass
 * adds its work arrays (LIVENESS_PASS_BYTES_PER_STATE in memory-budget.ts); liveness runs
 * while the graph and the pass fit in memory.
 */
import { ChunkedU16, ChunkedU32, ChunkedU8 } from './chunked-array.ts';

export class LivenessGraph {
  readonly edgeStart = new ChunkedU32();
  readonly edgeTo = new ChunkedU32();
  readonly edgeAction = new ChunkedU16();
  /** Fairness class + 1 of each edge (0: not fair). */
  readonly edgeClass = new ChunkedU8();
  /** Per state: bitmask of fairness classes with an enabled action. */
  readonly enabledMask = new ChunkedU32();
  /** Per state: bit 2p = condition of eventually-property p, bit 2p+1 = its trigger. */
  readonly propertyBits = new ChunkedU32();

  constructor() {
    this.edgeStart.push(0);
  }

  get bytes(): number {
    return (
      this.edgeStart.bytes +
      this.edgeTo.bytes +
      this.edgeAction.bytes +
      this.edgeClass.bytes +
      this.enabledMask.bytes +
      this.propertyBits.bytes
    );
  }
}
