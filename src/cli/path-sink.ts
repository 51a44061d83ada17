/**
 * Writing the path to the state about to be expanded where the supervisor's watchdog reads
 * it (shared-status.ts): [length, initial, actions…], the initial state 0; -1 when it does
 * not fit. The exhaustive search writes its own; sampled runs and the estimate use this.
 */
export function writePath(sink: Int32Array | undefined, choices: readonly number[]): void {
  if (!sink) return;
  if (choices.length + 2 > sink.length) {
    Atomics.store(sink, 0, -1);
    return;
  }
  sink[1] = 0;
  for (let i = 0; i < choices.length; i++) sink[2 + i] = choices[i] as number;
  Atomics.store(sink, 0, choices.length + 1);
}
