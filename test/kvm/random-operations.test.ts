/**
 * Random sequences of ioctls, syscalls, bitmap stores and vCPU steps over small VMs of
 * every backing and arch. After every operation the simulation's internal contracts hold
 * (src/kvm/consistency.ts), and the state encoding is canonical: two reached states
 * encode equal exactly when they are equal. Seeded: the seed is in the suite title.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncodingOracle } from '../helpers/encoding-oracle.ts';
import { consistencyProblems } from '../../src/kvm/consistency.ts';
import { KvmSim } from '../../src/kvm/sim.ts';
import type { GuestOp, KernelState } from '../../src/kvm/state.ts';
import {
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_USERFAULT,
  MADV_DONTNEED,
  PAGE_SIZE,
  UFFDIO_COPY_MODE_DONTWAKE,
  UFFDIO_REGISTER_MODE_MINOR,
  UFFDIO_REGISTER_MODE_MISSING,
} from '../../src/kvm/uapi.ts';
import { SMALL_GEOMETRY, setFlags } from './fixtures.ts';

const SEED = 20261121;
const NPAGES = 8;

type Backing = 'anon' | 'shmem' | 'hugetlb';

interface Setup {
  readonly backing: Backing;
  readonly arch: 'x86' | 'arm64';
  readonly series: 'v3' | 'v1';
  readonly uffdMode: 0 | 1 | 2; // none, MISSING, MINOR (shmem/hugetlb only)
  readonly thp: boolean;
  readonly programs: readonly (readonly GuestOp[])[];
}

const guestOp: fc.Arbitrary<GuestOp> = fc.oneof(
  fc.record({ kind: fc.constant('read' as const), gfn: fc.integer({ min: 0, max: NPAGES - 1 }) }),
  fc.record({ kind: fc.constant('write' as const), gfn: fc.integer({ min: 0, max: NPAGES - 1 }), value: fc.integer({ min: 2, max: 3 }) }),
);

const setupArb: fc.Arbitrary<Setup> = fc.record({
  backing: fc.constantFrom<Backing>('anon', 'shmem', 'hugetlb'),
  arch: fc.constantFrom('x86' as const, 'arm64' as const),
  series: fc.constantFrom('v3' as const, 'v1' as const),
  uffdMode: fc.constantFrom(0 as const, 1 as const, 2 as const),
  thp: fc.boolean(),
  programs: fc.array(fc.array(guestOp, { maxLength: 4 }), { minLength: 1, maxLength: 2 }),
});

type Command =
  | { op: 'vcpu'; id: number }
  | { op: 'toggle'; flag: number }
  | { op: 'bit'; page: number; value: boolean }
  | { op: 'uffd-read' }
  | { op: 'copy'; page: number; dontwake: boolean }
  | { op: 'zeropage'; page: number }
  | { op: 'continue'; page: number }
  | { op: 'wake'; page: number }
  | { op: 'dontneed'; page: number; task: number }
  | { op: 'user-write'; page: number; task: number }
  | { op: 'kvm-read'; page: number; task: number }
  | { op: 'close-uffd' };

const page = fc.integer({ min: 0, max: NPAGES - 1 });
const task = fc.constantFrom(1000, 1001);
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ op: fc.constant('vcpu' as const), id: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('toggle' as const), flag: fc.constantFrom(KVM_MEM_USERFAULT, KVM_MEM_LOG_DIRTY_PAGES) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('bit' as const), page, value: fc.boolean() }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constant('uffd-read' as const) }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constant('copy' as const), page, dontwake: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('zeropage' as const), page }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('continue' as const), page }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('wake' as const), page }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('dontneed' as const), page, task }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('user-write' as const), page, task }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('kvm-read' as const), page, task }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('close-uffd' as const) }) },
);

interface World {
  sim: KvmSim;
  hva: number;
  bitmap: number;
  uffd: number;
  huge: number;
  /** A VMM thread whose last operation slept re-issues it next, as a real thread would. */
  sleeping: Map<number, Command>;
}

/** What the walk reached, so that a vacuous walk fails the test. */
interface Reached {
  stage2Zapped: number;
  uffdSleeps: number;
  userfaultExits: number;
  hugeMappings: number;
}

function build(s: Setup): World {
  const sim = new KvmSim({ variant: { arch: s.arch, userfault: s.series, geometry: SMALL_GEOMETRY }, programs: s.programs });
  let hva: number;
  if (s.backing === 'anon') hva = sim.mmapAnonymous(NPAGES, { thp: s.thp });
  else {
    const file = sim.createFile(s.backing, NPAGES, s.backing === 'hugetlb' ? 4 : 1);
    // Half the page cache is already there (source content), for MINOR faults.
    const alias = sim.mmapFile(file, NPAGES);
    for (let p = 0; p < NPAGES / 2; p++) sim.userAccess(2000, alias + p * PAGE_SIZE, 1);
    hva = sim.mmapFile(file, NPAGES, 0, { thp: s.thp });
  }
  const bitmap = sim.mmapData(8);
  sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: NPAGES * PAGE_SIZE, userspace_addr: hva });
  let uffd = -1;
  const mode = s.uffdMode === 1 || s.backing === 'anon' ? UFFDIO_REGISTER_MODE_MISSING : UFFDIO_REGISTER_MODE_MINOR;
  if (s.uffdMode !== 0) {
    uffd = sim.userfaultfd();
    expect(sim.uffdRegister(uffd, hva, NPAGES * PAGE_SIZE, mode).ret).toBe(0);
  }
  return { sim, hva, bitmap, uffd, huge: s.backing === 'hugetlb' ? 4 : 1, sleeping: new Map() };
}

function apply(w: World, issued: Command): void {
  const { sim } = w;
  const taskOf = 'task' in issued ? issued.task : undefined;
  const c = (taskOf !== undefined && w.sleeping.get(taskOf)) || issued;
  if (taskOf !== undefined && sim.isTaskBlocked(taskOf)) return;
  const slept = (r: { kind: string }) => {
    if (taskOf === undefined) return;
    if (r.kind === 'blocked') w.sleeping.set(taskOf, c);
    else w.sleeping.delete(taskOf);
  };
  const at = (p: number) => w.hva + (p - (p % w.huge)) * PAGE_SIZE;
  const len = w.huge * PAGE_SIZE;
  switch (c.op) {
    case 'vcpu': {
      if (c.id >= sim.state.vm.vcpus.length) return;
      if (sim.vcpu(c.id).mode === 'user') sim.kvmRun(c.id);
      else if (sim.runnable(c.id)) sim.step(c.id);
      return;
    }
    case 'toggle': {
      const flags = sim.slot(0)?.flags ?? 0;
      setFlags(sim, flags ^ c.flag, w.bitmap);
      return;
    }
    case 'bit':
      sim.setUserfaultBit(w.bitmap, c.page, c.value);
      return;
    case 'uffd-read':
      if (w.uffd >= 0) sim.uffdRead(w.uffd);
      return;
    case 'copy':
      if (w.uffd >= 0) sim.uffdCopy(w.uffd, at(c.page), len, 1, c.dontwake ? UFFDIO_COPY_MODE_DONTWAKE : 0);
      return;
    case 'zeropage':
      if (w.uffd >= 0) sim.uffdZeropage(w.uffd, at(c.page), len);
      return;
    case 'continue':
      if (w.uffd >= 0) sim.uffdContinue(w.uffd, at(c.page), len);
      return;
    case 'wake':
      if (w.uffd >= 0) sim.uffdWake(w.uffd, at(c.page), len);
      return;
    case 'dontneed':
      slept(sim.madvise(c.task, at(c.page), len, MADV_DONTNEED));
      return;
    case 'user-write':
      slept(sim.userAccess(c.task, w.hva + c.page * PAGE_SIZE, 3));
      return;
    case 'kvm-read':
      slept(sim.kvmReadGuest(c.task, c.page * PAGE_SIZE));
      return;
    case 'close-uffd':
      if (w.uffd >= 0) sim.close(w.uffd);
      w.uffd = -1;
      return;
  }
}

function mappedCount(k: KernelState): number {
  return k.vm.slots.reduce((n, s) => n + s.spte.filter((l) => l > 0).length, 0);
}

function tally(r: Reached, before: KernelState, after: KernelState): void {
  if (mappedCount(after) < mappedCount(before)) r.stage2Zapped++;
  if (after.vm.vcpus.some((v, i) => v.mode === 'uffd-wait' && before.vm.vcpus[i]?.mode !== 'uffd-wait')) r.uffdSleeps++;
  if (after.vm.vcpus.some((v, i) => v.run !== before.vm.vcpus[i]?.run && v.run.memoryFault && (v.run.memoryFault.flags & 16) !== 0)) r.userfaultExits++;
  if (after.vm.slots.some((s) => s.spte.some((l) => l > 1)) && !before.vm.slots.some((s) => s.spte.some((l) => l > 1))) r.hugeMappings++;
}


describe(`random operations (fast-check seed ${SEED})`, () => {
  it('keep every internal contract of the simulation after every step', () => {
    const reached: Reached = { stage2Zapped: 0, uffdSleeps: 0, userfaultExits: 0, hugeMappings: 0 };
    fc.assert(
      fc.property(setupArb, fc.array(commandArb, { maxLength: 80, size: 'max' }), (setup, commands) => {
        const w = build(setup);
        for (const c of commands) {
          const before = w.sim.state;
          apply(w, c);
          const problems = consistencyProblems(w.sim.state);
          if (problems.length > 0) throw new Error(`${JSON.stringify(c)} broke: ${problems.join('; ')}`);
          tally(reached, before, w.sim.state);
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
    // The walk reached the situations the contracts are about.
    for (const [what, n] of Object.entries(reached)) expect({ what, reached: n > 5 }).toEqual({ what, reached: true });
  });

  it('encode reached states canonically: equal words exactly when the states are equal', () => {
    const oracle = new EncodingOracle();
    fc.assert(
      fc.property(setupArb, fc.array(commandArb, { maxLength: 40, size: 'max' }), (setup, commands) => {
        // Repeated accesses, so that the program counter is not implied by the last access.
        const programs: GuestOp[][] = [[{ kind: 'read', gfn: 1 }, { kind: 'read', gfn: 1 }, { kind: 'write', gfn: 1, value: 2 }], [{ kind: 'write', gfn: 1, value: 2 }, { kind: 'write', gfn: 1, value: 2 }]];
        const w = build({ ...setup, programs });
        for (const c of commands) {
          apply(w, c);
          oracle.observe(w.sim.state);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
    // The check is not vacuous: many distinct states were compared.
    expect(oracle.distinct).toBeGreaterThan(300);
  });
});
