/**
 * An exception thrown by the model while the search expanded a state (computing its
 * enabled actions or a successor). The search wraps it with the path to that state, so
 * whoever reports the error can show the trace that reached it.
 */
export class ExpansionError extends Error {
  override readonly name = 'ExpansionError';
  constructor(
    override readonly cause: unknown,
    /** The path to the state being expanded: the initial index and the action indices. */
    readonly chain: { readonly initial: number; readonly actions: readonly number[] },
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}
