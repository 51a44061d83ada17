/**
 * What a step can raise besides StepDisabled. Both are thrown inside a step and caught by
 * the handler runtime (handler-runtime.ts), which turns them into findings or usage errors.
 */

/** The step used the step API wrongly (two kernel operations, guard() after one, a bad register...). */
export class StepApiMisuse extends Error {
  override readonly name = 'StepApiMisuse';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** c.panic(reason): the VMM gives up, as a real VMM's panic!/abort() would, killing the VM. */
export class HandlerPanic extends Error {
  override readonly name = 'HandlerPanic';
}
