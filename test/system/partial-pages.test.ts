/**
 * Partial pages in composed systems (issue 12 item 4): guest accesses at byte offsets are
 * judged byte range by byte range. The reference handlers stay correct with them on every
 * design and backing; a handler whose late whole-page copy overwrites a guest's 8-byte
 * store is convicted at the byte the guest wrote.
 */
import { describe, expect, it } from 'vitest';
import { check, replay } from '../../src/checker/index.ts';
import type { GuestOp } from '../../src/kvm/state.ts';
import { byteAt } from '../../src/mm/page-content.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { bundledHandlerFor } from '../../src/vmm/index.ts';
import { clearBitStep } from '../../src/vmm/exit-steps.ts';
import { defineHandler, REG_GFN } from '../../src/vmm/strategy.ts';
import { PROPERTY } from '../../properties/core.ts';

const OFFSET_PROGRAMS: GuestOp[][] = [
  [{ kind: 'read', gfn: 0, offset: 0x10 }, { kind: 'write', gfn: 1, value: 101, offset: 0x20 }],
  [{ kind: 'read', gfn: 1, offset: 0x8 }, { kind: 'write', gfn: 0, value: 102 }, { kind: 'read', gfn: 1 }],
];

describe('guest accesses at byte offsets', () => {
  const configs: [SystemConfig['design'], SystemConfig['backing'], SystemConfig['arch']][] = [
    ['kvm-userfault', 'anon', 'x86'],
    ['kvm-userfault', 'hugetlb', 'arm64'],
    ['kvm-userfault', 'guest_memfd', 'x86'],
    ['uffd', 'shmem', 'x86'],
    ['exit-on-missing', 'anon', 'x86'],
    ['demand-paging', 'hugetlb', 'x86'],
  ];
  it.each(configs)('the %s reference handler on %s (%s) passes exhaustively', (design, backing, arch) => {
    const r = check(systemModel(composeSystem({ design, backing, arch, vcpus: 2, pages: 2, programs: OFFSET_PROGRAMS }, bundledHandlerFor(design))), { stopAtFirst: false });
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });

  it('a late whole-page copy that overwrites a guest store at 0x20 is convicted at that byte', () => {
    // Copies on every exit, with no "already installed" book: a second vCPU that exited on
    // the same gfn copies the source page again after the guest's store.
    const copiesTwice = defineHandler({
      name: 'copies-twice',
      description: 'memcpy on every exit, then clear the bit',
      designs: ['kvm-userfault'],
      vcpuExit: [{ label: 'copy', run: (c) => void c.memcpy(c.reg(REG_GFN)) }, clearBitStep()],
    });
    const programs: GuestOp[][] = [[{ kind: 'write', gfn: 1, value: 101, offset: 0x20 }, { kind: 'read', gfn: 1, offset: 0x20 }], [{ kind: 'read', gfn: 1, offset: 0x100 }]];
    const system = composeSystem({ design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 2, pages: 2, uffdMode: 'none', programs }, copiesTwice);
    const model = systemModel(system);
    const r = check(model, { stopAtFirst: false });
    const f = r.failures.find((x) => x.kind === 'invariant' && x.property === PROPERTY.noWrongRead);
    expect(f).toBeDefined();
    if (f?.kind !== 'invariant') return;
    const last = replay(model, f.trace).at(-1);
    // The read at 0x20 got the source's 2 where the guest had stored 101; the ground truth
    // holds 101 in exactly those 8 bytes and the source content around them.
    expect(last?.violation).toMatchObject({ gfn: 1, got: 2, expected: 101 });
    const expected = last?.expected[1] ?? 0;
    expect([byteAt(expected, 0x1f), byteAt(expected, 0x20), byteAt(expected, 0x27), byteAt(expected, 0x28)]).toEqual([2, 101, 101, 2]);
  });
});
