/**
 * A failure inside kvmuf itself (a bug, not bad input and not a finding): exit status 4,
 * one line by default, the stack trace with --debug.
 */
export class InternalError extends Error {
  override readonly name = 'InternalError';
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}
