/**
 * States of a composed system as the symmetry and partial-order tests compare them: by
 * their exact full encoding (no interning, no hashing), and every thread's successor.
 */
import { WordBuffer } from '../../src/checker/index.ts';
import { systemModel, type System } from '../../src/system/model.ts';
import type { SystemState } from '../../src/system/state.ts';

/** A function from a state to its full encoding as text (one model, built once). */
export function fullKeyOf(system: System): (s: SystemState) => string {
  const model = systemModel(system, { compact: false });
  const buf = new WordBuffer();
  return (s) => {
    buf.reset();
    model.encode(s, buf);
    return Array.from(buf.toArray()).join(',');
  };
}

/** The successor of every thread that has an enabled step in `s`. */
export function successorStates(system: System, s: SystemState): SystemState[] {
  return system.threads.flatMap((_, t) => system.step(s, t)?.state ?? []);
}
