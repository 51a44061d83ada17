/**
 * Checks that the simulation's word encoding is canonical over many reached states:
 * equal words exactly when the states are equal (compared as canonical JSON), and the
 * same state always encodes the same way.
 */
import { kernelWords } from '../../src/kvm/encode.ts';
import type { KernelState } from '../../src/kvm/state.ts';
import { canonicalJson } from './canonical-json.ts';

export class EncodingOracle {
  private readonly byWords = new Map<string, string>();
  private readonly byState = new Map<string, string>();

  /** Throws if `k` breaks canonicity against any state observed before. */
  observe(k: KernelState): void {
    const words = kernelWords(k).join(',');
    if (kernelWords(k).join(',') !== words) throw new Error('encoding is not deterministic');
    const json = canonicalJson(k);
    const seenJson = this.byWords.get(words);
    if (seenJson !== undefined && seenJson !== json) throw new Error(`two different states encode alike:\n${seenJson}\n${json}`);
    const seenWords = this.byState.get(json);
    if (seenWords !== undefined && seenWords !== words) throw new Error(`one state encodes two ways:\n${json}`);
    this.byWords.set(words, json);
    this.byState.set(json, words);
  }

  /** Distinct states compared so far (so a test can show the check was not vacuous). */
  get distinct(): number {
    return this.byWords.size;
  }
}
