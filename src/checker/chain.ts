/**
 * Parent pointers: each stored state keeps its parent's number and the action index that
 * reached it, so the path to any state is rebuilt by walking back to an initial state.
 */
import type { ChunkedU16, ChunkedU32 } from './chunked-array.ts';

/** Parent of an initial state. */
export const NO_PARENT = 0xffffffff;

export interface ParentPointers {
  readonly parents: ChunkedU32;
  /** Action index that reached each state (initial states: their initial index). */
  readonly actions: ChunkedU16;
}

/** The initial index and action indices leading to state `index`. */
export function chainTo(out: ParentPointers, index: number): { initial: number; actions: number[] } {
  const actions: number[] = [];
  let i = index;
  while (out.parents.get(i) !== NO_PARENT) {
    actions.push(out.actions.get(i));
    i = out.parents.get(i);
  }
  return { initial: out.actions.get(i), actions: actions.reverse() };
}
