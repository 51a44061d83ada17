/**
 * Model-based tests of the UAPI-shaped API (fast-check commands). The model is the spec:
 * the memslot-userfault and stage2-mapping machines (their abstract states, advanced
 * only by transitions XState allows) plus the little a VMM knows (which bits it set,
 * what each page should hold, where the bitmap points). Every command checks the
 * simulation's answer (return value, errno, exit struct, content read) against what the
 * spec allows; a failure shrinks to a minimal command sequence.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memslotUserfaultMachine, MEMSLOT_USERFAULT_EVENTS } from '../../model/memslot-userfault.ts';
import { stage2MappingMachine, STAGE2_MAPPING_EVENTS } from '../../model/stage2-mapping.ts';
import { mappingState, memslotState, type AbstractState } from '../../properties/abstractions.ts';
import { key, specEventBetween } from '../../properties/refinement.ts';
import { KvmSim } from '../../src/kvm/sim.ts';
import type { RunResult } from '../../src/kvm/state.ts';
import { Errno, KVM_EXIT_MEMORY_FAULT, KVM_EXIT_MMIO, KVM_MEMORY_EXIT_FLAG_USERFAULT, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_USERFAULT, PAGE_SIZE } from '../../src/kvm/uapi.ts';
import type { KernelMutation } from '../../src/kvm/variant.ts';

const SEED = 20261121;
const PAGES = 4;
const VMM = 1000;
/** The guest reads page 0, 1, 2, 3, 0, 1, ... */
const PROGRAM = Array.from({ length: 400 }, (_, i) => ({ kind: 'read' as const, gfn: i % PAGES }));

type BitmapKind = 'valid' | 'null' | 'unmapped' | 'tagged';

interface Model {
  memslot: AbstractState;
  mapping: AbstractState[];
  bitmap: BitmapKind;
  bits: boolean[];
  /** What each page holds: -1 never populated (a fault would zero-fill it). */
  content: number[];
  flags: number;
  gpa: number;
}

interface Real {
  sim: KvmSim;
  hva: number;
  validBitmap: number;
}

function pointer(r: Real, kind: BitmapKind): number | bigint {
  return kind === 'valid' ? r.validBitmap : kind === 'null' ? 0 : kind === 'unmapped' ? 0x5000_0000 : 0x0f00_7f00_0000_0000n;
}

/** The spec must allow the simulation's new abstract states: a stutter or one transition each. */
function followSpec(m: Model, r: Real): void {
  const slot = memslotState(r.sim.state);
  if (key(slot) !== key(m.memslot)) {
    expect(specEventBetween(memslotUserfaultMachine, MEMSLOT_USERFAULT_EVENTS, m.memslot, slot), `memslot ${key(m.memslot)} → ${key(slot)}`).not.toBeNull();
    m.memslot = slot;
  }
  for (let g = 0; g < PAGES; g++) {
    const now = mappingState(r.sim.state, g);
    const was = m.mapping[g] as AbstractState;
    if (!now || key(now) === key(was)) continue;
    expect(specEventBetween(stage2MappingMachine, STAGE2_MAPPING_EVENTS, was, now), `gfn ${g}: ${key(was)} → ${key(now)}`).not.toBeNull();
    m.mapping[g] = now;
  }
}

function setRegion(m: Model, r: Real, flags: number, bitmap: BitmapKind, size = PAGES * PAGE_SIZE) {
  return r.sim.setUserMemoryRegion2({ slot: 0, flags, guest_phys_addr: m.gpa, memory_size: size, userspace_addr: r.hva, userfault_bitmap: pointer(r, bitmap) });
}

class CreateSlot implements fc.Command<Model, Real> {
  constructor(readonly userfault: boolean) {}
  check = (m: Readonly<Model>) => m.memslot.value === 'absent';
  run(m: Model, r: Real): void {
    const flags = this.userfault ? KVM_MEM_USERFAULT : 0;
    expect(setRegion(m, r, flags, 'valid')).toEqual({ ret: 0, errno: 0 });
    m.flags = flags;
    m.bitmap = 'valid';
    m.mapping = Array.from({ length: PAGES }, (_, g) => mappingState(r.sim.state, g) as AbstractState);
    followSpec(m, r);
  }
  toString = () => `CreateSlot(${this.userfault ? 'USERFAULT' : '0'})`;
}

class SetUserfault implements fc.Command<Model, Real> {
  constructor(readonly on: boolean, readonly bitmap: BitmapKind) {}
  check = (m: Readonly<Model>) => m.memslot.value !== 'absent';
  run(m: Model, r: Real): void {
    const flags = this.on ? m.flags | KVM_MEM_USERFAULT : m.flags & ~KVM_MEM_USERFAULT;
    const got = setRegion(m, r, flags, this.bitmap);
    if (this.on && this.bitmap === 'tagged') {
      // A tagged pointer fails access_ok/untagged_addr: EINVAL, nothing changes.
      expect(got).toEqual({ ret: -1, errno: Errno.EINVAL });
    } else {
      // No alignment and no readability check: anything else is accepted at set time.
      expect(got).toEqual({ ret: 0, errno: 0 });
      // Re-setting the same flags is "nothing to change": the old pointer stays.
      if (flags !== m.flags && this.on) m.bitmap = this.bitmap;
      m.flags = flags;
    }
    followSpec(m, r);
  }
  toString = () => `SetUserfault(${this.on}, ${this.bitmap})`;
}

class ToggleDirtyLog implements fc.Command<Model, Real> {
  check = (m: Readonly<Model>) => m.memslot.value !== 'absent';
  run(m: Model, r: Real): void {
    const flags = m.flags ^ KVM_MEM_LOG_DIRTY_PAGES;
    expect(setRegion(m, r, flags, m.bitmap)).toEqual({ ret: 0, errno: 0 });
    m.flags = flags;
    followSpec(m, r);
  }
  toString = () => 'ToggleDirtyLog';
}

class LegacyWithUserfault implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    expect(r.sim.setUserMemoryRegion({ slot: 0, flags: KVM_MEM_USERFAULT, guest_phys_addr: m.gpa, memory_size: PAGES * PAGE_SIZE, userspace_addr: r.hva })).toEqual({ ret: -1, errno: Errno.EINVAL });
    followSpec(m, r);
  }
  toString = () => 'LegacyRegion(USERFAULT)';
}

class DeleteSlot implements fc.Command<Model, Real> {
  check = (m: Readonly<Model>) => m.memslot.value !== 'absent';
  run(m: Model, r: Real): void {
    expect(setRegion(m, r, m.flags, m.bitmap, 0)).toEqual({ ret: 0, errno: 0 });
    m.flags = 0;
    followSpec(m, r);
    m.mapping = m.mapping.map((a) => ({ ...a, value: 'unmapped', context: { ...a.context, userfault: false, dirtyLog: false } }));
  }
  toString = () => 'DeleteSlot';
}


class StoreBit implements fc.Command<Model, Real> {
  constructor(readonly gfn: number, readonly value: boolean) {}
  check = () => true;
  run(m: Model, r: Real): void {
    expect(r.sim.setUserfaultBit(r.validBitmap, this.gfn, this.value)).toEqual({ ret: 0, errno: 0 });
    m.bits[this.gfn] = this.value;
  }
  toString = () => `${this.value ? 'Set' : 'Clear'}Bit(${this.gfn})`;
}

class Populate implements fc.Command<Model, Real> {
  constructor(readonly gfn: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const value = 10 + this.gfn;
    expect(r.sim.userAccess(VMM, r.hva + this.gfn * PAGE_SIZE, value)).toMatchObject({ kind: 'done', result: { ret: 0 } });
    m.content[this.gfn] = value;
    followSpec(m, r);
  }
  toString = () => `Populate(${this.gfn})`;
}

/** How often each kind of answer was checked (the suite fails if one never was). */
const seen = { mmio: 0, bareEfault: 0, userfaultExit: 0, access: 0, kvmRead: 0 };

/** Run the guest to its next completed access or exit, and check it against the model. */
class GuestAccess implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    const v = r.sim.vcpu(0);
    const gfn = PROGRAM[v.pc]?.gfn ?? 0;
    const before = v.run;
    const unmapped = (m.mapping[gfn]?.value ?? 'unmapped') === 'unmapped';
    const ufOn = m.memslot.value === 'on';
    const out = nextAccessOrExit(r.sim);
    const now = r.sim.vcpu(0);
    if (m.memslot.value === 'absent') {
      expect(out).toMatchObject({ kind: 'exit', run: { ret: 0, exitReason: KVM_EXIT_MMIO, mmioGpa: gfn * PAGE_SIZE } });
      seen.mmio++;
    } else if (ufOn && unmapped && m.bitmap !== 'valid') {
      // The bitmap read faults: a bare -EFAULT with the stale exit information.
      expectRun(out, { ...before, ret: -1, errno: Errno.EFAULT });
      seen.bareEfault++;
    } else if (ufOn && unmapped && m.bits[gfn]) {
      expectRun(out, { ret: -1, errno: Errno.EFAULT, exitReason: KVM_EXIT_MEMORY_FAULT, memoryFault: { flags: KVM_MEMORY_EXIT_FLAG_USERFAULT, gpa: gfn * PAGE_SIZE, size: PAGE_SIZE } });
      seen.userfaultExit++;
    } else {
      // The access completes and sees what the page holds (zeros if never populated).
      expect(out).toEqual({ kind: 'access' });
      seen.access++;
      expect(now.lastAccess).toEqual({ gfn, write: false, value: Math.max(0, m.content[gfn] ?? 0) });
      if ((m.content[gfn] ?? -1) < 0) m.content[gfn] = 0;
    }
    followSpec(m, r);
  }
  toString = () => 'GuestAccess';
}

/** kvm_read_guest (the path of the VGIC/ITS restore): bypasses the bitmap, reads what the page holds. */
class KvmRead implements fc.Command<Model, Real> {
  constructor(readonly gfn: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const out = r.sim.kvmReadGuest(VMM, (m.gpa / PAGE_SIZE + this.gfn) * PAGE_SIZE);
    if (m.memslot.value === 'absent') {
      expect(out).toMatchObject({ kind: 'done', result: { ret: -1, errno: Errno.EFAULT } });
    } else {
      expect(out).toMatchObject({ kind: 'done', result: { ret: 0 }, value: Math.max(0, m.content[this.gfn] ?? 0) });
      if ((m.content[this.gfn] ?? -1) < 0) m.content[this.gfn] = 0;
      seen.kvmRead++;
    }
    followSpec(m, r);
  }
  toString = () => `KvmRead(${this.gfn})`;
}

type Outcome = { kind: 'exit'; run: RunResult } | { kind: 'access' };

/** Enter KVM_RUN if needed and step until the next access completes or KVM_RUN returns. */
function nextAccessOrExit(sim: KvmSim): Outcome {
  if (sim.vcpu(0).mode === 'user') sim.kvmRun(0);
  const before = sim.vcpu(0).lastAccess;
  for (let i = 0; i < 8; i++) {
    sim.step(0);
    const v = sim.vcpu(0);
    if (v.mode === 'user') return { kind: 'exit', run: v.run };
    if (v.lastAccess !== before) return { kind: 'access' };
  }
  throw new Error('no access completed and no exit within 8 steps');
}

function expectRun(out: Outcome, run: RunResult): void {
  expect(out).toEqual({ kind: 'exit', run });
}

const commands = [
  fc.boolean().map((u) => new CreateSlot(u)),
  fc.tuple(fc.boolean(), fc.constantFrom<BitmapKind>('valid', 'valid', 'null', 'unmapped', 'tagged')).map(([on, b]) => new SetUserfault(on, b)),
  fc.constant(new ToggleDirtyLog()),
  fc.constant(new LegacyWithUserfault()),
  fc.constant(new DeleteSlot()),
  fc.tuple(fc.integer({ min: 0, max: PAGES - 1 }), fc.boolean()).map(([g, v]) => new StoreBit(g, v)),
  fc.integer({ min: 0, max: PAGES - 1 }).map((g) => new Populate(g)),
  fc.constant(new GuestAccess()),
  fc.constant(new GuestAccess()),
  fc.integer({ min: 0, max: PAGES - 1 }).map((g) => new KvmRead(g)),
];

function setup(arch: 'x86' | 'arm64', mutation: KernelMutation) {
  return () => {
    const sim = new KvmSim({ variant: { arch, mutation, geometry: [1, 4, 16] }, programs: [PROGRAM] });
    const hva = sim.mmapAnonymous(PAGES);
    const validBitmap = sim.mmapData(8);
    const model: Model = {
      memslot: memslotState(sim.state),
      mapping: Array.from({ length: PAGES }, () => ({ value: 'unmapped', context: { arch, series: 'v3', userfault: false, dirtyLog: false } })),
      bitmap: 'valid',
      bits: new Array<boolean>(PAGES).fill(false),
      content: new Array<number>(PAGES).fill(-1),
      flags: 0,
      gpa: 0,
    };
    return { model, real: { sim, hva, validBitmap } };
  };
}

describe(`UAPI model-based tests (fast-check seed ${SEED})`, () => {
  for (const arch of ['x86', 'arm64'] as const) {
    it(`${arch}: every answer is one the spec allows`, () => {
      fc.assert(
        fc.property(fc.commands(commands, { maxCommands: 60, size: 'max' }), (cmds) => fc.modelRun(setup(arch, 'none'), cmds)),
        { seed: SEED, numRuns: 300 },
      );
    });
  }

  it('checked every kind of answer: MMIO exits, bare -EFAULTs, userfault exits, completed accesses, KVM reads', () => {
    for (const [kind, n] of Object.entries(seen)) expect({ kind, checked: n > 10 }).toEqual({ kind, checked: true });
  });

  it('has teeth: against a kernel that forgets the zap on enable it fails and shrinks to a few commands', () => {
    const out = fc.check(
      fc.property(fc.commands(commands, { maxCommands: 60, size: 'max' }), (cmds) => fc.modelRun(setup('x86', 'no-zap-on-enable'), cmds)),
      { seed: SEED, numRuns: 300 },
    );
    expect(out.failed).toBe(true);
    const shrunk = String(out.counterexample?.[0] ?? '');
    expect(shrunk.split(',').length).toBeLessThanOrEqual(4);
    expect(shrunk).toMatch(/SetUserfault\(true/);
  });
});
