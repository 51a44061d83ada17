/** A trace did not replay: the model most likely is not deterministic. */
export class ReplayError extends Error {
  constructor(
    readonly step: number,
    message: string,
  ) {
    super(message);
    this.name = 'ReplayError';
  }
}
