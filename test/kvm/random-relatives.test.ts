/**
 * Random operations over the KVM Userfault relatives: KVM Demand Paging (mark present /
 * non-present, KVM's own accesses waiting, notification reads) and async PF user (async
 * exits, READY with issued, completed and bogus tokens, bit stores). After every
 * operation the simulation's contracts hold, and the state encoding is canonical.
 * Seeded: the seed is in the suite title.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodingOracle } from '../helpers/encoding-oracle.ts';
import { asyncPfUserToken } from '../../src/kvm/async-pf-user.ts';
import { consistencyProblems } from '../../src/kvm/consistency.ts';
import { KvmSim } from '../../src/kvm/sim.ts';
import type { GuestOp } from '../../src/kvm/state.ts';
import { KVM_MEM_USERFAULT, PAGE_SIZE } from '../../src/kvm/uapi.ts';
import { SMALL_GEOMETRY } from './fixtures.ts';

const SEED = 20261122;
const NPAGES = 8;

type Design = 'demand-paging' | 'async-pf-user';

interface Setup {
  readonly design: Design;
  readonly backing: 'anon' | 'hugetlb';
  readonly programs: readonly (readonly GuestOp[])[];
}

const page = fc.integer({ min: 0, max: NPAGES - 1 });
const guestOp: fc.Arbitrary<GuestOp> = fc.oneof(
  fc.record({ kind: fc.constant('read' as const), gfn: page }),
  fc.record({ kind: fc.constant('write' as const), gfn: page, value: fc.integer({ min: 2, max: 3 }) }),
);

const setupArb: fc.Arbitrary<Setup> = fc.record({
  design: fc.constantFrom<Design>('demand-paging', 'async-pf-user'),
  backing: fc.constantFrom('anon' as const, 'hugetlb' as const),
  programs: fc.array(fc.array(guestOp, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 2 }),
});

type Command =
  | { op: 'vcpu'; id: number }
  | { op: 'present'; page: number; count: number; value: boolean }
  | { op: 'install'; page: number }
  | { op: 'kvm-read'; page: number; task: number }
  | { op: 'notify-read' }
  | { op: 'bit'; page: number; value: boolean }
  | { op: 'ready'; vcpu: number; slot: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ op: fc.constant('vcpu' as const), id: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('present' as const), page, count: fc.integer({ min: 1, max: 4 }), value: fc.boolean() }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('install' as const), page }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('kvm-read' as const), page, task: fc.constantFrom(1000, 1001) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('notify-read' as const) }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('bit' as const), page, value: fc.boolean() }) },
  // Slot 2 is never issued (ASYNC_PF_USER_SLOTS = 2): a bogus token.
  { weight: 8, arbitrary: fc.record({ op: fc.constant('ready' as const), vcpu: fc.integer({ min: 0, max: 1 }), slot: fc.integer({ min: 0, max: 2 }) }) },
);

interface World {
  readonly sim: KvmSim;
  readonly hva: number;
  readonly bitmap: number;
  readonly fd: number;
  readonly huge: number;
}

function build(s: Setup): World {
  const dp = s.design === 'demand-paging';
  const sim = new KvmSim({ variant: { demandPaging: dp, asyncPfUser: !dp, asyncPfScope: 'any', geometry: SMALL_GEOMETRY }, programs: s.programs });
  const huge = s.backing === 'hugetlb' ? 4 : 1;
  const hva = s.backing === 'anon' ? sim.mmapAnonymous(NPAGES) : sim.mmapFile(sim.createFile('hugetlb', NPAGES, huge), NPAGES);
  const bitmap = sim.mmapData(8);
  if (!dp) for (let p = 0; p < NPAGES; p++) sim.setUserfaultBit(bitmap, p, true);
  sim.setUserMemoryRegion2({ slot: 0, flags: dp ? 0 : KVM_MEM_USERFAULT, guest_phys_addr: 0, memory_size: NPAGES * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: bitmap });
  let fd = -1;
  if (dp) {
    expect(sim.enableDemandPaging(0).ret).toBe(0);
    fd = sim.createDemandPagingFd().ret;
  }
  return { sim, hva, bitmap, fd, huge };
}

function apply(w: World, c: Command): void {
  const { sim } = w;
  switch (c.op) {
    case 'vcpu':
      if (c.id >= sim.state.vm.vcpus.length) return;
      if (sim.vcpu(c.id).mode === 'user') sim.kvmRun(c.id);
      else if (sim.runnable(c.id)) sim.step(c.id);
      return;
    case 'present': {
      const range = { gpa: c.page * PAGE_SIZE, size: Math.min(c.count, NPAGES - c.page) * PAGE_SIZE };
      if (c.value) sim.markGfnsPresent(range);
      else sim.markGfnsNonPresent(range);
      return;
    }
    case 'install':
      sim.userAccess(2000, w.hva + (c.page - (c.page % w.huge)) * PAGE_SIZE, 1);
      return;
    case 'kvm-read':
      if (!sim.isTaskBlocked(c.task)) sim.kvmReadGuest(c.task, c.page * PAGE_SIZE);
      return;
    case 'notify-read':
      if (w.fd >= 0) sim.demandPagingRead(w.fd);
      return;
    case 'bit':
      sim.setUserfaultBit(w.bitmap, c.page, c.value);
      return;
    case 'ready':
      if (c.vcpu < sim.state.vm.vcpus.length) sim.asyncPfUserReady(c.vcpu, asyncPfUserToken(c.vcpu, c.slot));
      return;
  }
}


describe(`random operations on the relatives (fast-check seed ${SEED})`, () => {
  it('keep every internal contract after every step, and reach parking, halting, waiting and huge mappings', () => {
    const reached = { parked: 0, halted: 0, waiting: 0, notExits: 0, huge: 0 };
    fc.assert(
      fc.property(setupArb, fc.array(commandArb, { maxLength: 80, size: 'max' }), (setup, commands) => {
        const w = build(setup);
        for (const c of commands) {
          apply(w, c);
          const k = w.sim.state;
          const problems = consistencyProblems(k);
          if (problems.length > 0) throw new Error(`${JSON.stringify(c)} broke: ${problems.join('; ')}`);
          if (k.vm.vcpus.some((v) => v.parked.length > 0)) reached.parked++;
          if (k.vm.vcpus.some((v) => v.mode === 'halted')) reached.halted++;
          if (k.vm.demandPaging.waiters.length > 0) reached.waiting++;
          if (k.vm.vcpus.some((v) => ((v.run.memoryFault?.flags ?? 0) & (1 << 6)) !== 0)) reached.notExits++;
          if (k.vm.slots.some((s) => s.spte.some((l) => l > 1))) reached.huge++;
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
    for (const [what, n] of Object.entries(reached)) expect({ what, reached: n > 5 }).toEqual({ what, reached: true });
  });

  it('encode reached states canonically: equal words exactly when the states are equal', () => {
    const oracle = new EncodingOracle();
    fc.assert(
      fc.property(setupArb, fc.array(commandArb, { maxLength: 40, size: 'max' }), (setup, commands) => {
        const w = build(setup);
        for (const c of commands) {
          apply(w, c);
          oracle.observe(w.sim.state);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
    expect(oracle.distinct).toBeGreaterThan(300);
  });
});
