/**
 * Drivers: each turns the events of one spec machine into operations on the kernel
 * simulation (KvmSim), so that a path of the machine becomes a test that drives the
 * implementation through it. `state()` is the refinement map applied to the simulation.
 */
import type { AnyStateMachine, EventObject } from 'xstate';
import { itsState, mappingState, memslotState, waiterState, type AbstractState } from '../../properties/abstractions.ts';
import { itsRestoreMachine, ITS_RESTORE_EVENTS } from '../../model/its-restore.ts';
import { memslotUserfaultMachine, MEMSLOT_USERFAULT_EVENTS } from '../../model/memslot-userfault.ts';
import { stage2MappingMachine, STAGE2_MAPPING_EVENTS } from '../../model/stage2-mapping.ts';
import { uffdWaiterMachine, UFFD_WAITER_EVENTS } from '../../model/uffd-waiter.ts';
import { KvmSim } from '../../src/kvm/sim.ts';
import { Errno, KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_USERFAULT, MADV_DONTNEED, PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING } from '../../src/kvm/uapi.ts';
import type { SysResult } from '../../src/kvm/uapi.ts';
import { vcpuLoopDriver } from './vcpu-loop-driver.ts';
import { asyncPfDriver } from './async-pf-driver.ts';

export interface DriverRun {
  apply(event: EventObject): void;
  state(): AbstractState;
}

export interface SpecDriver {
  readonly name: string;
  readonly machine: AnyStateMachine;
  readonly events: readonly EventObject[];
  readonly input: unknown;
  /** A fresh simulation for one path (the path's events are given for drivers that plan ahead). */
  start(path: readonly EventObject[]): DriverRun;
}

const VMM = 1000;

function expectOk(r: SysResult, what: string): void {
  if (r.ret < 0) throw new Error(`${what} failed: errno ${r.errno}`);
}

function stage2Driver(arch: 'x86' | 'arm64', series: 'v3' | 'v1', mmu: 'tdp' | 'shadow' = 'tdp'): SpecDriver {
  return {
    name: `stage2-mapping ${arch} ${series}${mmu === 'shadow' ? ' shadow MMU' : ''}`,
    machine: stage2MappingMachine,
    events: STAGE2_MAPPING_EVENTS,
    input: { arch, series, mmu },
    start() {
      // One "huge" range of 4 base pages, THP-backed: the host maps it huge once all 4 are populated.
      // vCPU k reads gfn k, over and over.
      const programs = [0, 1, 2, 3].map((g) => new Array(64).fill({ kind: 'read', gfn: g }));
      const sim = new KvmSim({ variant: { arch, userfault: series, mmu, geometry: [1, 4, 16] }, programs });
      const hva = sim.mmapAnonymous(4, { thp: true });
      const bitmap = sim.mmapData(8);
      let flags = 0;
      const setFlags = (f: number) => {
        flags = f;
        expectOk(sim.setUserMemoryRegion2({ slot: 0, flags, guest_phys_addr: 0, memory_size: 4 * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: bitmap }), 'set flags');
      };
      setFlags(0);
      const hostHuge = (huge: boolean) => {
        if (huge) for (let p = 0; p < 4; p++) sim.userAccess(VMM, hva + p * PAGE_SIZE, 7);
        else sim.madvise(VMM, hva + 3 * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED);
      };
      const read = (v = 0) => {
        if (sim.vcpu(v).mode === 'user') sim.kvmRun(v);
        const before = sim.vcpu(v).lastAccess;
        for (let i = 0; i < 10 && sim.vcpu(v).lastAccess === before; i++) sim.step(v);
        if (sim.vcpu(v).lastAccess === before) throw new Error(`the guest read of gfn ${v} did not complete`);
      };
      /** A gfn of the range other than 0 with no stage-2 mapping (made so: zap and refill page 3). */
      const unmappedNeighbour = (): number => {
        const spte = sim.slot(0)?.spte ?? [];
        const free = [1, 2, 3].find((g) => (spte[g] ?? 0) === 0);
        if (free !== undefined) return free;
        sim.madvise(VMM, hva + 3 * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED);
        return 3;
      };
      /** Some 4K leaf of the range (gfn 0 or a neighbour) is mapped: a page table for in-place recovery. */
      const mappedLeaf = (): void => {
        const spte = sim.slot(0)?.spte ?? [];
        if ([0, 1, 2, 3].some((g) => spte[g] === 1)) return;
        const g = [1, 2, 3].find((n) => (spte[n] ?? 0) === 0) ?? 1;
        const bit = sim.state.config.variant.userfault !== 'none';
        if (bit) sim.setUserfaultBit(bitmap, g, false);
        read(g);
      };
      return {
        state: () => mappingState(sim.state, 0) ?? { value: 'absent', context: {} },
        apply(e) {
          switch (e.type) {
            case 'FAULT_4K':
              hostHuge(false);
              return read();
            case 'FAULT_HUGE':
              hostHuge(true);
              return read();
            case 'FAULT_HUGE_NEARBY': {
              const g = unmappedNeighbour();
              hostHuge(true);
              return read(g);
            }
            case 'ZAP':
              sim.madvise(VMM, hva, PAGE_SIZE, MADV_DONTNEED);
              return;
            case 'ENABLE_USERFAULT':
              return setFlags(flags | KVM_MEM_USERFAULT);
            case 'DISABLE_USERFAULT':
              // A 4K mapping stays when the host maps 4K; a huge one (in-place recovery) stays as it is.
              if ((sim.slot(0)?.spte[0] ?? 0) <= 1) hostHuge(false);
              return setFlags(flags & ~KVM_MEM_USERFAULT);
            case 'DISABLE_USERFAULT_COLLAPSE':
              hostHuge(true);
              return setFlags(flags & ~KVM_MEM_USERFAULT);
            case 'ENABLE_DIRTY_LOG':
              return setFlags(flags | KVM_MEM_LOG_DIRTY_PAGES);
            case 'DISABLE_DIRTY_LOG':
              if ((sim.slot(0)?.spte[0] ?? 0) <= 1) hostHuge(false);
              return setFlags(flags & ~KVM_MEM_LOG_DIRTY_PAGES);
            case 'DISABLE_DIRTY_LOG_COLLAPSE':
              hostHuge(true);
              return setFlags(flags & ~KVM_MEM_LOG_DIRTY_PAGES);
            case 'DISABLE_USERFAULT_RECOVER':
              hostHuge(true);
              mappedLeaf();
              return setFlags(flags & ~KVM_MEM_USERFAULT);
            case 'DISABLE_DIRTY_LOG_RECOVER':
              hostHuge(true);
              mappedLeaf();
              return setFlags(flags & ~KVM_MEM_LOG_DIRTY_PAGES);
            default:
              throw new Error(`no driver for ${e.type}`);
          }
        },
      };
    },
  };
}

function memslotDriver(hasCap: boolean): SpecDriver {
  return {
    name: `memslot-userfault ${hasCap ? 'with' : 'without'} KVM_CAP_USERFAULT`,
    machine: memslotUserfaultMachine,
    events: MEMSLOT_USERFAULT_EVENTS,
    input: { hasCap },
    start() {
      const sim = new KvmSim({ variant: { userfault: hasCap ? 'v3' : 'none' } });
      const hva = sim.mmapAnonymous(4);
      const bitmap = sim.mmapData(8);
      let gpa = 0;
      let flags = 0;
      const region = (f: number, extra: Record<string, unknown> = {}) => ({ slot: 0, flags: f, guest_phys_addr: gpa, memory_size: 4 * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: bitmap, ...extra });
      const set = (f: number) => {
        expectOk(sim.setUserMemoryRegion2(region(f)), 'KVM_SET_USER_MEMORY_REGION2');
        flags = f;
      };
      const rejected = (r: SysResult) => {
        if (r.ret !== -1 || r.errno !== Errno.EINVAL) throw new Error(`expected EINVAL, got ${r.ret}/${r.errno}`);
      };
      return {
        state: () => memslotState(sim.state),
        apply(e) {
          const present = sim.slot(0) !== undefined;
          switch (e.type) {
            case 'CREATE':
              return set(0);
            case 'CREATE_WITH_USERFAULT':
            case 'ENABLE':
              return set(flags | KVM_MEM_USERFAULT);
            case 'DISABLE':
              return set(flags & ~KVM_MEM_USERFAULT);
            case 'MOVE':
              gpa += 16 * PAGE_SIZE;
              return expectOk(sim.setUserMemoryRegion2(region(flags)), 'move');
            case 'DELETE':
              expectOk(sim.setUserMemoryRegion2(region(flags, { memory_size: 0 })), 'delete');
              flags = 0;
              return;
            case 'REJECTED':
              // Without the capability bit 3 is invalid; with it, the legacy ioctl refuses it, and so does a tagged bitmap.
              if (!hasCap) return rejected(sim.setUserMemoryRegion2(region(flags | KVM_MEM_USERFAULT)));
              if (!present) return rejected(sim.setUserMemoryRegion(region(KVM_MEM_USERFAULT)));
              return rejected(sim.setUserMemoryRegion2(region(flags | KVM_MEM_USERFAULT, { userfault_bitmap: 0x0f00_7f00_0000_0000n })));
            default:
              throw new Error(`no driver for ${e.type}`);
          }
        },
      };
    },
  };
}

const waiterDriver: SpecDriver = {
  name: 'uffd-waiter',
  machine: uffdWaiterMachine,
  events: UFFD_WAITER_EVENTS,
  input: undefined,
  start() {
    const sim = new KvmSim();
    const hva = sim.mmapAnonymous(1);
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING), 'UFFDIO_REGISTER');
    return {
      state: () => waiterState(sim.state, VMM),
      apply(e) {
        if (e.type === 'FAULT') sim.userAccess(VMM, hva);
        else if (e.type === 'READ') sim.uffdRead(uffd);
        else if (e.type === 'WAKE') expectOk(sim.uffdWake(uffd, hva, PAGE_SIZE), 'UFFDIO_WAKE');
        else throw new Error(`no driver for ${e.type}`);
      },
    };
  },
};

const itsDriver: SpecDriver = {
  name: 'its-restore (2 tables)',
  machine: itsRestoreMachine,
  events: ITS_RESTORE_EVENTS,
  input: { tables: 2 },
  start() {
    const sim = new KvmSim({ variant: { arch: 'arm64' } });
    const hva = sim.mmapAnonymous(8);
    expectOk(sim.setUserMemoryRegion2({ slot: 0, flags: 0, guest_phys_addr: 0, memory_size: 8 * PAGE_SIZE, userspace_addr: hva }), 'memslot');
    const uffd = sim.userfaultfd();
    expectOk(sim.uffdRegister(uffd, hva, 8 * PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING), 'UFFDIO_REGISTER');
    const tables = [5, 6];
    const nextTable = () => tables[sim.state.vm.vgic.itsTablesRead.length] ?? 5;
    const install = (gfn: number) => sim.uffdCopy(uffd, hva + gfn * PAGE_SIZE, PAGE_SIZE, 1);
    return {
      state: () => itsState(sim.state, VMM, 2),
      apply(e) {
        switch (e.type) {
          case 'SET_BASER':
            return sim.itsSetBaser(tables.map((g) => g * PAGE_SIZE));
          case 'READ_TABLE':
            install(nextTable());
            if (sim.itsRestoreTables(VMM).kind === 'blocked') throw new Error('restore slept on a present page');
            return;
          case 'SLEEP':
            if (sim.itsRestoreTables(VMM).kind !== 'blocked') throw new Error('restore did not sleep on a missing page');
            return;
          case 'WOKEN':
            install(nextTable());
            return;
          case 'SET_CTLR':
            return sim.itsSetCtlr(true);
          default:
            throw new Error(`no driver for ${e.type}`);
        }
      },
    };
  },
};

export const SPEC_DRIVERS: readonly SpecDriver[] = [
  memslotDriver(true),
  memslotDriver(false),
  stage2Driver('x86', 'v3'),
  stage2Driver('x86', 'v3', 'shadow'),
  stage2Driver('arm64', 'v3'),
  stage2Driver('arm64', 'v1'),
  waiterDriver,
  itsDriver,
  vcpuLoopDriver,
  asyncPfDriver,
];
