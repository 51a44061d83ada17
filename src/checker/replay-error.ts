/**
 * A trace did not replay. `reason` says how: an index chose an action (or initial
 * state) that does not exist, or a reached state differs from the recorded fingerprint.
 * `detail` is that fact alone; the message adds the likely cause (nondeterminism).
 */
export type ReplayFailure = 'out-of-range' | 'state-differs';

export class ReplayError extends Error {
  constructor(
    readonly step: number,
    message: string,
    readonly reason: ReplayFailure = 'state-differs',
    readonly detail: string = message,
  ) {
    super(message);
    this.name = 'ReplayError';
  }
}
