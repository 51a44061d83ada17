/**
 * Guest memory in several memslots with GPA holes (src/system/guest-layout.ts): each slot
 * its own userspace_addr range and its own userfault bitmap indexed by gfn - base_gfn.
 *
 * The state counts here are not pinned numbers of their own: moving the guest's pages
 * into other memslots changes where they live (HVA, host offset, bitmap index) and
 * nothing the handlers can tell apart, so every reference handler must explore exactly
 * as many states as on one slot with the same gfns. Splitting the matrix's gfns 0 and 1
 * into slots 0:1 and 4:1 must give the scale matrix's pinned count (matrix-pins.ts,
 * cross-checked by brute force there). Moving them to gfns 4, 5 of a high slot is
 * compared with one slot of 6 pages touching gfns 4, 5, not with the pin: gfn 0 is
 * special to the count (a register left holding gfn 0 equals its initial 0, so states
 * merge: exit-on-missing's reader explores 252 states with gfns 0, 1 and 257 with 2, 3,
 * on one slot as on two). A layout bug (a wrong HVA, bitmap index or host offset)
 * either fails a property or changes the count.
 */
import { describe, expect, it } from 'vitest';
import { probe } from '../helpers/probe-handler.ts';
import { check } from '../../src/checker/index.ts';
import type { GuestOp } from '../../src/kvm/state.ts';
import { ConfigError } from '../../src/system/config-error.ts';
import { resolveConfig, type SystemConfig } from '../../src/system/config.ts';
import { gfnOf, hvaOf, slotOf, userfaultBitOf } from '../../src/system/guest-layout.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { bundledHandler, bundledHandlerFor } from '../../src/vmm/index.ts';
import { StepContext } from '../../src/system/step-context.ts';
import { StepApiMisuse } from '../../src/system/step-errors.ts';
import { backingContent } from '../../src/system/backing.ts';
import { stateView } from '../../src/report/state-view.ts';
import { PAGE_SIZE, UFFD_EVENT_PAGEFAULT } from '../../src/kvm/uapi.ts';
import { readBitmapBit } from '../../src/mm/data-memory.ts';
import { MATRIX_PROGRAMS, matrixConfig, matrixEntries, matrixName } from './matrix.ts';
import { PINNED } from './matrix-pins.ts';

const relabel = (programs: readonly (readonly GuestOp[])[], map: (gfn: number) => number): GuestOp[][] => programs.map((p) => p.map((op) => ({ ...op, gfn: map(op.gfn) })));

/** The matrix's 2-page guests moved: gfn 0 → 0 and gfn 1 → 4, one page in each of two slots with a hole between. */
function splitAcrossSlots(cfg: SystemConfig): SystemConfig {
  return { ...cfg, pages: 5, memslots: [{ baseGfn: 0, npages: 1 }, { baseGfn: 4, npages: 1 }], programs: relabel(cfg.programs ?? [], (g) => (g === 0 ? 0 : 4)) };
}

/** The matrix's guests moved into a high slot (gfns 4, 5) above a low slot they never touch. */
function intoHighSlot(cfg: SystemConfig): SystemConfig {
  return { ...cfg, pages: 6, memslots: [{ baseGfn: 0, npages: 2 }, { baseGfn: 4, npages: 2 }], programs: relabel(cfg.programs ?? [], (g) => g + 4), remote: [4, 5] };
}

describe('several memslots with holes', () => {
  it('setup: slots back to back in the host mapping, one bitmap each, bit gfn - base_gfn', () => {
    const cfg = resolveConfig({ design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 1, pages: 10, memslots: [{ baseGfn: 0, npages: 2 }, { baseGfn: 8, npages: 2 }] });
    const sys = composeSystem(cfg, bundledHandlerFor('kvm-userfault'));
    const env = sys.env;
    expect(cfg.gfns).toEqual([0, 1, 8, 9]);
    expect(env.slots.map((s) => [s.id, s.baseGfn, s.npages, s.hostOffset])).toEqual([[0, 0, 2, 0], [1, 8, 2, 2]]);
    const [low, high] = env.slots;
    expect(high?.hva).toBe((low?.hva ?? 0) + 2 * 4096);
    expect(high?.bitmap).not.toBe(low?.bitmap);
    expect(hvaOf(env, 8)).toBe(env.hva + 2 * 4096);
    expect(gfnOf(env, hvaOf(env, 9))).toBe(9);
    expect(gfnOf(env, env.hva + 4 * 4096)).toBe(-1);
    expect(slotOf(env, 5)).toBeUndefined();
    expect(userfaultBitOf(env, 9)).toEqual({ bitmap: high?.bitmap, index: 1 });
    // The kernel's memslots are the same.
    const kslots = sys.initial.kernel.vm.slots.map((s) => [s.id, s.baseGfn, s.npages, s.userspaceAddr, s.userfaultBitmap]);
    expect(kslots).toEqual(env.slots.map((s) => [s.id, s.baseGfn, s.npages, s.hva, s.bitmap]));
  });

  for (const e of matrixEntries()) {
    for (const vcpus of [1, 2] as const) {
      const base = matrixConfig(e, vcpus);
      const pinned = PINNED[`${e.design}/${e.backing}`]?.[vcpus - 1];
      const layouts = e.backing === 'hugetlb' ? [intoHighSlot] : [splitAcrossSlots, intoHighSlot];
      for (const layout of layouts) {
        it(`${matrixName(e)} ×${vcpus} vCPU, ${layout.name}: the reference handler passes with the single slot's state count`, () => {
          const cfg = layout(base);
          const result = check(systemModel(composeSystem(cfg, bundledHandlerFor(e.design))));
          expect(result.failures).toEqual([]);
          expect(result.status).toBe('pass');
          if (layout === splitAcrossSlots) expect(result.stats.distinct).toBe(pinned);
          else {
            const { memslots: _, ...oneSlot } = cfg;
            expect(result.stats.distinct).toBe(check(systemModel(composeSystem(oneSlot, bundledHandlerFor(e.design)))).stats.distinct);
          }
        });
      }
    }
  }

  it('bitmap-by-gfn (bit gfn, not gfn - base_gfn) passes on one slot at GPA 0, where the two agree, and fails with a hole', () => {
    const handler = bundledHandler('bitmap-by-gfn');
    if (!handler) throw new Error('no bitmap-by-gfn');
    const single = matrixConfig({ design: 'kvm-userfault', backing: 'anon', arch: 'x86' }, 2);
    expect(check(systemModel(composeSystem(single, handler))).failures).toEqual([]);
    const failures = check(systemModel(composeSystem(splitAcrossSlots(single), handler))).failures;
    expect(failures[0]?.kind).toBe('liveness');
  });

  it.each([
    ['overlapping slots', [{ baseGfn: 0, npages: 3 }, { baseGfn: 2, npages: 2 }], 10, 'anon', /overlaps another memslot .*EEXIST/],
    ['a slot past the address space', [{ baseGfn: 0, npages: 2 }, { baseGfn: 8, npages: 2 }], 9, 'anon', /ends past the 9 pages/],
    ['an empty slot', [{ baseGfn: 0, npages: 0 }], 4, 'anon', /at least one page/],
    ['no slots', [], 4, 'anon', /no memslots/],
    ['a slot not on a huge page boundary', [{ baseGfn: 0, npages: 2 }, { baseGfn: 3, npages: 2 }], 6, 'hugetlb', /2-page boundary/],
  ] as const)('refuses %s with KVMUF115', (_name, memslots, pages, backing, message) => {
    const cfg: SystemConfig = { design: 'kvm-userfault', arch: 'x86', backing, vcpus: 1, pages, memslots, programs: [[{ kind: 'read', gfn: 0 }]] };
    expect(() => resolveConfig(cfg)).toThrow(ConfigError);
    expect(() => resolveConfig(cfg)).toThrow(message);
    try {
      resolveConfig(cfg);
    } catch (err) {
      expect((err as ConfigError).code).toBe('KVMUF115');
    }
  });

  it('refuses a guest page in a hole with KVMUF102', () => {
    const cfg: SystemConfig = { design: 'uffd', arch: 'x86', backing: 'anon', vcpus: 1, pages: 10, memslots: [{ baseGfn: 0, npages: 2 }, { baseGfn: 8, npages: 2 }], programs: [[{ kind: 'read', gfn: 3 }]] };
    expect(() => resolveConfig(cfg)).toThrow(/page 3, in a hole between the memslots 0:2,8:2/);
  });

  it('defaults: every gfn of every slot is remote, and the default guests touch the slots in gfn order', () => {
    const cfg = resolveConfig({ design: 'uffd', arch: 'x86', backing: 'anon', vcpus: 2, pages: 10, memslots: [{ baseGfn: 8, npages: 2 }, { baseGfn: 0, npages: 1 }] });
    expect(cfg.memslots).toEqual([{ baseGfn: 0, npages: 1 }, { baseGfn: 8, npages: 2 }]);
    expect(cfg.remote).toEqual([0, 8, 9]);
    expect(cfg.programs.map((p) => p.map((op) => op.gfn))).toEqual([[0, 8], [8, 9]]);
    expect(MATRIX_PROGRAMS.length).toBe(3);
  });
});

/** Slots 0:2 and 8:2 (gfns 0, 1, 8, 9); vCPU 0 reads gfn 8. */
function twoSlots(design: 'uffd' | 'kvm-userfault') {
  const sys = composeSystem({ design, arch: 'x86', backing: 'anon', vcpus: 1, pages: 10, memslots: [{ baseGfn: 0, npages: 2 }, { baseGfn: 8, npages: 2 }], programs: [[{ kind: 'read', gfn: 8 }]] }, probe);
  const t = sys.threads.findIndex((x) => x.name === 'probe');
  const spec = sys.threads[t];
  if (!spec) throw new Error('no probe thread');
  return { sys, at: (s: typeof sys.initial) => new StepContext(s, t, spec, sys.env, 0) };
}

describe('the step API on several memslots', () => {
  it('a uffd fault address maps back to its gfn through the slot, and COPY fills that gfn', () => {
    const { sys, at } = twoSlots('uffd');
    let s = sys.initial;
    for (let i = 0; i < 2; i++) s = sys.step(s, 0)?.state ?? s; // KVM_RUN, then the fault sleeps in the uffd
    const c = at(s);
    const [msg] = c.uffd.read().msgs;
    expect(msg?.event).toBe(UFFD_EVENT_PAGEFAULT);
    const address = msg?.event === UFFD_EVENT_PAGEFAULT ? msg.address : 0;
    // The HVA is the second slot's start: 2 pages into the mapping, not 8.
    expect(address).toBe(sys.env.hva + 2 * PAGE_SIZE);
    expect(c.gfnOf(address)).toBe(8);
    const c2 = at(c.sys);
    expect(c2.uffd.copy(8)).toEqual({ errno: 0, bytes: PAGE_SIZE });
    expect(backingContent(c2.sys, sys.env, 8)).toBe(c2.fetch(8));
    expect(backingContent(c2.sys, sys.env, 0)).toBe(backingContent(sys.initial, sys.env, 0));
  });

  it('gfns in a hole and ranges across a slot boundary are misuse', () => {
    const { sys, at } = twoSlots('uffd');
    expect(() => at(sys.initial).uffd.copy(4)).toThrow(/gfn 4 is in a hole between the memslots \(0:2,8:2\)/);
    expect(() => at(sys.initial).uffd.copy(1, { pages: 2 })).toThrow(StepApiMisuse);
    expect(() => at(sys.initial).uffd.copy(1, { pages: 2 })).toThrow(/go past its memslot \(gfns 0\.\.1\)/);
    expect(() => at(sys.initial).hvaOf(5)).toThrow(StepApiMisuse);
    expect(at(sys.initial).gfnOf(sys.env.hva + 4 * PAGE_SIZE)).toBe(-1);
  });

  it('bitmap.set clears bit gfn - base_gfn of the slot; bitmap.store writes the index it is given', () => {
    const { sys, at } = twoSlots('kvm-userfault');
    const high = sys.env.slots[1];
    if (!high) throw new Error('no second slot');
    const bit = (s: typeof sys.initial, i: number) => readBitmapBit(s.kernel.mm, high.bitmap, i);
    expect([bit(sys.initial, 0), bit(sys.initial, 1)]).toEqual([true, true]);
    const c = at(sys.initial);
    c.bitmap.set(9, false);
    expect([bit(c.sys, 0), bit(c.sys, 1)]).toEqual([true, false]);
    expect(at(c.sys).bitmap.isSet(9)).toBe(false);
    expect(at(c.sys).bitmap.isSet(8)).toBe(true);
    const wrong = at(c.sys);
    expect(wrong.bitmap.store(1, 8, false)).toBe(0);
    expect(at(wrong.sys).bitmap.isSet(8)).toBe(true); // bit 8 is no page of the slot
    expect(() => at(sys.initial).bitmap.store(2, 0, false)).toThrow(StepApiMisuse);
  });

  it('memslots.setUserfault toggles the slot it names', () => {
    const { sys, at } = twoSlots('kvm-userfault');
    const c = at(sys.initial);
    expect(c.memslots.setUserfault(false, 1)).toBe(0);
    const flags = c.sys.kernel.vm.slots.map((m) => m.flags);
    expect(flags[0]).not.toBe(flags[1]);
    expect(() => at(sys.initial).memslots.setUserfault(false, 2)).toThrow(StepApiMisuse);
  });

  it('the state view shows each slot\'s flags and each gfn of guest memory, none of the hole', () => {
    const { sys } = twoSlots('kvm-userfault');
    const v = stateView(sys, sys.initial);
    expect(Object.keys(v).filter((k) => k.endsWith('.flags'))).toEqual(['memslot0.flags', 'memslot1.flags']);
    expect(Object.keys(v).filter((k) => k.endsWith('.content'))).toEqual(['page0.content', 'page1.content', 'page8.content', 'page9.content']);
    expect(v['page9.bit']).toBe(true);
  });
});
