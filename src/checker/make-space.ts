import { isPackedModel, type Model, type PackedModel } from './model.ts';
import { ObjectSpace } from './object-space.ts';
import { PackedSpace } from './packed-space.ts';
import type { Space } from './space.ts';

/** Wraps either model shape in the checker's internal {@link Space}. */
export function makeSpace<S, A>(model: Model<S, A> | PackedModel): Space<S> {
  if (isPackedModel(model)) return new PackedSpace(model) as unknown as Space<S>;
  return new ObjectSpace(model);
}

/**
 * Fingerprint of a state (of its representative when `useSymmetry`), `bits` low bits kept.
 * `search`: from the encoding the search used (as recorded during this run); otherwise
 * from the model's run-independent encoding, which is what traces show and replay checks.
 */
export function fingerprintOf<S>(
  space: Space<S>,
  state: S,
  useSymmetry: boolean,
  bits = 64,
  search = false,
): string {
  const c = space.canonical(state, useSymmetry);
  const len = search ? space.encode(c) : space.encodeStable(c);
  const fp = new Uint32Array(2);
  fingerprintWords(space.buffer(), len, fp);
  const hiMask = bits >= 64 ? 0xffffffff : bits <= 32 ? 0 : (2 ** (bits - 32) - 1) >>> 0;
  const loMask = bits >= 32 ? 0xffffffff : (2 ** bits - 1) >>> 0;
  return formatFingerprint((fp[0]! & hiMask) >>> 0, (fp[1]! & loMask) >>> 0 || 1);
}

import { fingerprintWords, formatFingerprint } from './fingerprint.ts';
