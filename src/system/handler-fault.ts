/**
 * A handler's misuse of the step API, or a nondeterministic or state-mutating step, found
 * while a step ran. It is bad input (exit status 2), not a property violation: the trace
 * that reached the step is attached by the checker (checker/expansion-error.ts).
 */
export type HandlerFaultCode =
  /** A step broke the step API's rules. */
  | 'KVMUF210'
  /** A step is nondeterministic: two runs from one state differ, or it read a clock or randomness. */
  | 'KVMUF211'
  /** A step changed the state it was given instead of going through the step API. */
  | 'KVMUF212'
  /** threads(env) or vmmWords(env) threw or returned a bad shape. */
  | 'KVMUF213';

export class HandlerFault extends Error {
  override readonly name = 'HandlerFault';
  constructor(
    readonly code: HandlerFaultCode,
    message: string,
    readonly hint: string,
    /** The thread and step that ran, when it was a step. */
    readonly where?: { readonly thread: string; readonly step: string },
  ) {
    super(message);
  }
}
