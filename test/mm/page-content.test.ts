/**
 * Partial page content (src/mm/page-content.ts): byte runs over a base value, one integer
 * per page, canonical so that equal bytes are equal integers.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../src/kvm/uapi.ts';
import { byteAt, describeContent, firstDifference, isPartial, loadBytes, partialOf, storeBytes } from '../../src/mm/page-content.ts';

describe('partial page content', () => {
  it('a store inside a page leaves the other bytes as they were', () => {
    const c = storeBytes(1, 0, 32, 50);
    expect(isPartial(c)).toBe(true);
    expect(byteAt(c, 0)).toBe(50);
    expect(byteAt(c, 31)).toBe(50);
    expect(byteAt(c, 32)).toBe(1);
    expect(byteAt(c, 0x123)).toBe(1);
    expect(loadBytes(c, 16, 32)).toEqual([
      { offset: 16, len: 16, value: 50 },
      { offset: 32, len: 16, value: 1 },
    ]);
  });

  it('equal bytes are the same integer, however they were written', () => {
    const a = storeBytes(storeBytes(1, 0, 32, 50), 64, 8, 7);
    const b = storeBytes(storeBytes(1, 64, 8, 7), 0, 32, 50);
    expect(a).toBe(b);
    // The same bytes reached from another base: the page's last byte names the base.
    const c = storeBytes(storeBytes(storeBytes(0, 32, PAGE_SIZE - 32, 1), 0, 32, 50), 64, 8, 7);
    expect(c).toBe(a);
    // Adjacent stores of one value merge into one run.
    expect(storeBytes(storeBytes(1, 0, 16, 50), 16, 16, 50)).toBe(storeBytes(1, 0, 32, 50));
  });

  it('storing the base back, or over the whole page, gives a whole page again', () => {
    expect(storeBytes(storeBytes(1, 8, 8, 5), 8, 8, 1)).toBe(1);
    expect(storeBytes(storeBytes(1, 8, 8, 5), 0, PAGE_SIZE, 9)).toBe(9);
    expect(storeBytes(3, 0, PAGE_SIZE, 4)).toBe(4);
  });

  it('a store that splits a run keeps both ends', () => {
    const c = storeBytes(storeBytes(1, 0, 64, 50), 16, 8, 7);
    expect(partialOf(c).runs).toEqual([
      { offset: 0, len: 16, value: 50 },
      { offset: 16, len: 8, value: 7 },
      { offset: 24, len: 40, value: 50 },
    ]);
  });

  it('compares byte ranges: the first difference, with a wildcard value that agrees with anything', () => {
    const kvm = storeBytes(1, 0, 32, 50);
    const zeros = storeBytes(0, 0, 32, 50);
    expect(firstDifference(kvm, zeros, 0, 32, -2)).toBeUndefined();
    expect(firstDifference(kvm, zeros, 0, PAGE_SIZE, -2)).toBe(32);
    expect(firstDifference(kvm, zeros, 0x100, 8, -2)).toBe(0x100);
    expect(firstDifference(storeBytes(-2, 0, 8, 9), storeBytes(0, 0, 8, 9), 0, PAGE_SIZE, -2)).toBeUndefined();
  });

  it('refuses a range outside the page', () => {
    expect(() => storeBytes(1, PAGE_SIZE - 4, 8, 2)).toThrow(RangeError);
    expect(() => loadBytes(1, -1, 1)).toThrow(RangeError);
  });

  it('describes itself without its id', () => {
    expect(describeContent(storeBytes(1, 0, 32, 50))).toBe('1, 50 at 0x0..0x1f');
    expect(describeContent(7)).toBe('7');
  });

  it('a content gets the same id in every process, whatever order contents were met in (replay files carry fingerprints of them)', () => {
    // dist/ is built by the global setup; each child interns three contents in its own order.
    const mod = fileURLToPath(new URL('../../dist/src/mm/page-content.js', import.meta.url));
    const ids = (order: number[]) => {
      const script = `import { storeBytes } from ${JSON.stringify(mod)};
        const made = {}; for (const k of ${JSON.stringify(order)}) made[k] = storeBytes(1, 8 * k, 8, 40 + k);
        console.log(JSON.stringify(made));`;
      return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as Record<string, number>;
    };
    const a = ids([0, 1, 2]);
    const b = ids([2, 0, 1]);
    expect(a).toEqual(b);
    expect(new Set(Object.values(a)).size).toBe(3);
    expect(a['1']).toBe(storeBytes(1, 8, 8, 41));
  });
});
