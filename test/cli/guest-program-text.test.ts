/** Guest program text with byte offsets: parsed, refused with KVMUF003, and printed back the same. */
import { describe, expect, it } from 'vitest';
import { formatPrograms, parsePrograms } from '../../src/cli/guest-program-text.ts';

describe('guest program text', () => {
  it('reads offsets in hex or decimal, and whole-page accesses without one', () => {
    expect(parsePrograms('program', 'r3+0x123 w1+64=7 r2;w0=5')).toEqual([
      [
        { kind: 'read', gfn: 3, offset: 0x123 },
        { kind: 'write', gfn: 1, value: 7, offset: 64 },
        { kind: 'read', gfn: 2 },
      ],
      [{ kind: 'write', gfn: 0, value: 5 }],
    ]);
  });

  it('prints programs back so that they parse to the same ops (reproduce lines)', () => {
    const text = 'r3+0x123 w1+0x40=7 r2;w0=5 r0+0xff8';
    expect(formatPrograms(parsePrograms('program', text))).toBe(text);
    expect(formatPrograms(parsePrograms('program', 'w1+64=7'))).toBe('w1+0x40=7');
  });

  it.each([
    ['r1+0xff9', /past 0xff8/],
    ['w1+4096=3', /past 0xff8/],
    ['r1+', /is not an access/],
    ['r1+0x', /is not an access/],
    ['r1-8', /is not an access/],
  ])('refuses %s', (word, what) => {
    expect(() => parsePrograms('program', word)).toThrow(expect.objectContaining({ code: 'KVMUF003', message: expect.stringMatching(what) }));
  });
});
