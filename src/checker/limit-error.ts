/** Thrown inside the search when a resource limit ends the run; turned into `incomplete`. */
/** `preemptions`: a context-bounded search (sampling/context-bounding.ts) cut runs off. */
export type LimitKind = 'states' | 'depth' | 'time' | 'memory' | 'interrupted' | 'preemptions';

export class LimitReached extends Error {
  constructor(
    readonly limit: LimitKind,
    message: string,
  ) {
    super(message);
    this.name = 'LimitReached';
  }
}

/** Runs an allocation; a RangeError (array too large / out of memory) becomes a limit. */
export function allocate<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof RangeError) {
      throw new LimitReached('memory', `could not allocate ${what}: ${e.message}`);
    }
    throw e;
  }
}
