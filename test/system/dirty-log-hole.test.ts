/**
 * The v3 dirty-logging hole (review §1 case A, V3), end to end: x86, TDP MMU, a huge host
 * mapping partly fetched without userfaultfd (THP, memcpy population), dirty logging
 * turned off while USERFAULT stays on. The configurations in which it cannot happen pass.
 */
import { describe, expect, it } from 'vitest';
import { check, replay } from '../../src/checker/index.ts';
import { readBitmapBit } from '../../src/mm/data-memory.ts';
import { emptyMm } from '../../src/mm/host-memory.ts';
import { PROPERTY } from '../../properties/core.ts';
import { specRefinement } from '../../properties/refinement.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { kvmUserfaultHandler } from '../../src/vmm/kvm-userfault.ts';

const HOLE: SystemConfig = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 2, pages: 2, uffdMode: 'none', thp: true, control: { toggleDirtyLog: true } };

function run(cfg: SystemConfig) {
  const system = composeSystem(cfg, kvmUserfaultHandler);
  const model = systemModel(system, { refinement: specRefinement(system) });
  return { system, model, result: check(model, { stopAtFirst: false }) };
}

/**
 * The run's first wrong read, replayed: gfn 1 mapped 2M while its bit is still set, the
 * guest reading 0 there, and every step a transition of the spec (the kernel does this).
 */
function expectHoleAtGfn1(cfg: SystemConfig): void {
  const { result, model, system } = run(cfg);
  expect(result.status).toBe('fail');
  const f = result.failures.find((x) => x.kind === 'invariant' && x.property === PROPERTY.noWrongRead);
  expect(f).toBeDefined();
  if (f?.kind !== 'invariant') return;
  const last = replay(model, f.trace).at(-1);
  expect(last?.kernel.vm.slots[0]?.spte[1]).toBe(2);
  expect(last?.violation).toMatchObject({ gfn: 1, got: 0 });
  expect(readBitmapBit(last?.kernel.mm ?? emptyMm(), system.env.bitmap, 1)).toBe(true);
  expect(result.failures.some((x) => x.kind === 'invariant' && x.property === PROPERTY.refinesSpec)).toBe(false);
}

describe('x86 TDP MMU: dirty logging off while USERFAULT stays on maps gfns that never arrived', () => {
  it('is a counterexample: the guest reads zeros at a gfn whose bit is still set', () => {
    expectHoleAtGfn1(HOLE);
  });

  const safe: readonly [string, Partial<SystemConfig>][] = [
    ['without the dirty-log round', { control: {} }],
    ['without THP (no huge host mapping is partly fetched)', { thp: false }],
    ['with userfaultfd MISSING (unfetched host PTEs stay none: the host level is 4K)', { uffdMode: 'missing' }],
    ['on arm64 (no recovery on dirty-log disable)', { arch: 'arm64' }],
    ['on hugetlbfs with a userfaultfd (UFFDIO_CONTINUE installs a huge page whole)', { backing: 'hugetlb', thp: false, uffdMode: 'minor' }],
  ];
  for (const [why, change] of safe) {
    it(`cannot happen ${why}`, () => {
      const { result } = run({ ...HOLE, ...change });
      expect(result.failures).toEqual([]);
      expect(result.status).toBe('pass');
    });
  }

  it('also on hugetlbfs filled 4K at a time with no userfaultfd (Google\'s HugeTLB use, seed 004): the first memcpy faults in the whole huge page zeroed', () => {
    expectHoleAtGfn1({ ...HOLE, backing: 'hugetlb', thp: false });
    // Without the dirty-log round the same 4K fetching is safe: faults stay 4K under USERFAULT.
    expect(run({ ...HOLE, backing: 'hugetlb', thp: false, control: {} }).result.status).toBe('pass');
  });

  it('the shadow MMU zaps instead, but its PTE prefetch maps the unfetched neighbours anyway (M7), dirty log or not', () => {
    for (const control of [{ toggleDirtyLog: true }, {}]) {
      const { result } = run({ ...HOLE, mmu: 'shadow', control });
      expect(result.failures.some((x) => x.kind === 'invariant' && x.property === PROPERTY.noWrongRead)).toBe(true);
    }
    const noThp = run({ ...HOLE, mmu: 'shadow', thp: false });
    expect(noThp.result.status).toBe('pass');
  });
});

describe('configurations that cannot exist are refused (KVMUF105)', () => {
  const refused: readonly [string, SystemConfig][] = [
    ['the shadow MMU on arm64', { ...HOLE, arch: 'arm64', mmu: 'shadow' }],
    ['the shadow MMU with private guest_memfd memory (KVM_X86_SW_PROTECTED_VM needs the TDP MMU)', { design: 'kvm-userfault', arch: 'x86', backing: 'guest_memfd', vcpus: 1, pages: 2, mmu: 'shadow' }],
    ['THP on a backing other than anonymous memory', { ...HOLE, backing: 'shmem', uffdMode: 'minor' }],
  ];
  for (const [what, cfg] of refused) {
    it(what, () => {
      expect(() => composeSystem(cfg, kvmUserfaultHandler)).toThrow(expect.objectContaining({ code: 'KVMUF105' }));
    });
  }
});
