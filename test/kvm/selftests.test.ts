/**
 * The v3 series' own selftest scenarios, rewritten against the simulation:
 * demand_paging_test with KVM Userfault (`-k`), with and without userfaultfd, MISSING and
 * MINOR; and the KVM_MEM_USERFAULT + guest_memfd flags-only toggle test.
 */
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import type { GuestOp } from '../../src/kvm/state.ts';
import {
  Errno,
  KVM_EXIT_HLT,
  KVM_EXIT_MEMORY_FAULT,
  KVM_MEMORY_EXIT_FLAG_USERFAULT,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEM_USERFAULT,
  PAGE_SIZE,
  UFFDIO_CONTINUE_MODE_DONTWAKE,
  UFFDIO_COPY_MODE_DONTWAKE,
  UFFDIO_REGISTER_MODE_MINOR,
  UFFDIO_REGISTER_MODE_MISSING,
  UFFD_EVENT_PAGEFAULT,
} from '../../src/kvm/uapi.ts';
import { SMALL_GEOMETRY, levels, read, setFlags } from './fixtures.ts';

/** The content the source host holds for page p (never 0, so a zero page is visibly wrong). */
const source = (page: number) => 100 + page;

type Uffd = 'none' | 'missing' | 'minor';

interface PagingVm {
  sim: KvmSim;
  hva: number;
  bitmap: number;
  uffd: number;
  /** How the VMM installs page p: COPY, CONTINUE or a plain memcpy. */
  populate(page: number, wake: boolean): number;
}

/**
 * demand_paging_test's setup: `vcpus` vCPUs each reading their own `perVcpu` pages (or,
 * with `shared`, all reading the same pages); memory is anonymous (MISSING / none) or
 * shmem with the source content already in the page cache through a second mapping (MINOR).
 */
function setup(vcpus: number, perVcpu: number, uffdMode: Uffd, kvmUserfault: boolean, shared = false): PagingVm {
  const npages = shared ? perVcpu : vcpus * perVcpu;
  const programs: GuestOp[][] = Array.from({ length: vcpus }, (_, v) =>
    Array.from({ length: perVcpu }, (_, i) => read(shared ? i : v * perVcpu + i)),
  );
  const sim = new KvmSim({ variant: { geometry: SMALL_GEOMETRY }, programs });
  let hva: number;
  if (uffdMode === 'minor') {
    const file = sim.createFile('shmem', npages);
    const alias = sim.mmapFile(file, npages);
    for (let p = 0; p < npages; p++) sim.userAccess(2000, alias + p * PAGE_SIZE, source(p));
    hva = sim.mmapFile(file, npages);
  } else {
    hva = sim.mmapAnonymous(npages);
  }
  let bitmap = 0;
  if (kvmUserfault) {
    bitmap = sim.mmapData(Math.ceil(npages / 64) * 8);
    for (let p = 0; p < npages; p++) sim.setUserfaultBit(bitmap, p, true);
  }
  const flags = kvmUserfault ? KVM_MEM_USERFAULT : 0;
  sim.setUserMemoryRegion2({ slot: 0, flags, guest_phys_addr: 0, memory_size: npages * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: bitmap });
  let uffd = -1;
  if (uffdMode !== 'none') {
    uffd = sim.userfaultfd();
    const mode = uffdMode === 'minor' ? UFFDIO_REGISTER_MODE_MINOR : UFFDIO_REGISTER_MODE_MISSING;
    expect(sim.uffdRegister(uffd, hva, npages * PAGE_SIZE, mode).ret).toBe(0);
  }
  const populate = (page: number, wake: boolean): number => {
    const at = hva + page * PAGE_SIZE;
    if (uffdMode === 'missing') {
      return sim.uffdCopy(uffd, at, PAGE_SIZE, source(page), wake ? 0 : UFFDIO_COPY_MODE_DONTWAKE).result.errno;
    }
    if (uffdMode === 'minor') {
      return sim.uffdContinue(uffd, at, PAGE_SIZE, wake ? 0 : UFFDIO_CONTINUE_MODE_DONTWAKE).result.errno;
    }
    sim.userAccess(1000, at, source(page));
    return 0;
  };
  return { sim, hva, bitmap, uffd, populate };
}

interface Counts {
  userfaultExits: number;
  uffdFaults: number;
  eexist: number;
}

/**
 * Run every vCPU to completion, round robin: a vCPU handles its own userfault exits
 * (populate with DONTWAKE, then clear the bit, then re-enter); a uffd reader thread
 * serves the faults of vCPUs that sleep in userfaultfd (populate and wake).
 */
function drive(vm: PagingVm, vcpus: number): Counts {
  const { sim } = vm;
  const counts: Counts = { userfaultExits: 0, uffdFaults: 0, eexist: 0 };
  const done = new Set<number>();
  for (let round = 0; round < 1000 && done.size < vcpus; round++) {
    for (let v = 0; v < vcpus; v++) {
      if (done.has(v)) continue;
      const r = sim.runUntilExit(v);
      if (r.kind === 'blocked') continue;
      if (r.run.exitReason === KVM_EXIT_HLT) {
        done.add(v);
        continue;
      }
      expect(r.run.exitReason).toBe(KVM_EXIT_MEMORY_FAULT);
      expect(r.run.memoryFault?.flags).toBe(KVM_MEMORY_EXIT_FLAG_USERFAULT);
      counts.userfaultExits++;
      const page = (r.run.memoryFault?.gpa ?? -1) / PAGE_SIZE;
      const errno = vm.populate(page, false);
      if (errno === Errno.EEXIST) counts.eexist++;
      else expect(errno).toBe(0);
      expect(sim.setUserfaultBit(vm.bitmap, page, false).ret).toBe(0); // populate first, clear second
    }
    // The uffd reader thread.
    while (vm.uffd >= 0 && sim.uffdPoll(vm.uffd)) {
      const { msg } = sim.uffdRead(vm.uffd);
      if (msg?.event !== UFFD_EVENT_PAGEFAULT) throw new Error('unexpected uffd event');
      counts.uffdFaults++;
      const page = (msg.address - vm.hva) / PAGE_SIZE;
      const errno = vm.populate(page, true);
      if (errno === Errno.EEXIST) sim.uffdWake(vm.uffd, msg.address, PAGE_SIZE);
    }
  }
  expect(done.size).toBe(vcpus);
  return counts;
}

function expectAllSourceContent(vm: PagingVm, vcpus: number, perVcpu: number): void {
  for (let v = 0; v < vcpus; v++) {
    const last = vm.sim.vcpu(v).lastAccess;
    expect(last && last.value).toBe(source(last?.gfn ?? -1));
  }
  for (let p = 0; p < vcpus * perVcpu; p++) {
    const r = vm.sim.kvmReadGuest(1000, p * PAGE_SIZE);
    expect(r).toMatchObject({ kind: 'done', value: source(p) });
  }
}

describe('demand_paging_test -k (KVM Userfault)', () => {
  it('without userfaultfd: every page arrives through a userfault exit and a memcpy', () => {
    const vm = setup(2, 3, 'none', true);
    const counts = drive(vm, 2);
    expect(counts).toEqual({ userfaultExits: 6, uffdFaults: 0, eexist: 0 });
    expectAllSourceContent(vm, 2, 3);
  });

  it('with userfaultfd MISSING: exits resolved by UFFDIO_COPY with DONTWAKE; the uffd sees no vCPU fault', () => {
    const vm = setup(2, 3, 'missing', true);
    expect(drive(vm, 2)).toEqual({ userfaultExits: 6, uffdFaults: 0, eexist: 0 });
    expectAllSourceContent(vm, 2, 3);
  });

  it('with userfaultfd MINOR (shmem): exits resolved by UFFDIO_CONTINUE with DONTWAKE', () => {
    const vm = setup(2, 3, 'minor', true);
    expect(drive(vm, 2)).toEqual({ userfaultExits: 6, uffdFaults: 0, eexist: 0 });
    expectAllSourceContent(vm, 2, 3);
  });

  it('two vCPUs racing on the same page: both exit, the second install is EEXIST, both finish', () => {
    const vm = setup(2, 1, 'missing', true, true);
    const { sim } = vm;
    // Both vCPUs exit on gfn 0 before either has populated it.
    const exits = [0, 1].map((v) => sim.runUntilExit(v));
    for (const e of exits) expect(e).toMatchObject({ kind: 'exit', run: { exitReason: KVM_EXIT_MEMORY_FAULT, memoryFault: { gpa: 0 } } });
    expect(vm.populate(0, false)).toBe(0);
    expect(vm.populate(0, false)).toBe(Errno.EEXIST); // "already present", not a failure
    sim.setUserfaultBit(vm.bitmap, 0, false);
    sim.setUserfaultBit(vm.bitmap, 0, false); // clearing twice is harmless
    for (const v of [0, 1]) {
      expect(sim.runUntilExit(v)).toMatchObject({ kind: 'exit', run: { exitReason: KVM_EXIT_HLT } });
      expect(sim.vcpu(v).lastAccess).toEqual({ gfn: 0, write: false, value: source(0) });
    }
  });
});

describe('demand_paging_test without KVM Userfault', () => {
  it('userfaultfd MISSING only: vCPUs sleep in the uffd and the reader thread copies and wakes', () => {
    const vm = setup(2, 3, 'missing', false);
    expect(drive(vm, 2)).toEqual({ userfaultExits: 0, uffdFaults: 6, eexist: 0 });
    expectAllSourceContent(vm, 2, 3);
  });

  it('userfaultfd MINOR only: the reader thread continues and wakes', () => {
    const vm = setup(2, 3, 'minor', false);
    expect(drive(vm, 2)).toEqual({ userfaultExits: 0, uffdFaults: 6, eexist: 0 });
    expectAllSourceContent(vm, 2, 3);
  });
});

describe('KVM_MEM_USERFAULT + guest_memfd toggle', () => {
  function gmemSlot() {
    const sim = new KvmSim({ variant: { geometry: SMALL_GEOMETRY }, privateMem: true, programs: [[read(0), read(1)]] });
    const fd = sim.createGuestMemfd(4 * PAGE_SIZE).ret;
    const hva = sim.mmapAnonymous(4);
    const base = { slot: 0, guest_phys_addr: 0, memory_size: 4 * PAGE_SIZE, userspace_addr: hva, guest_memfd: fd };
    expect(sim.setUserMemoryRegion2({ ...base, flags: KVM_MEM_GUEST_MEMFD }).ret).toBe(0);
    return { sim, base };
  }

  it('USERFAULT toggles on and off on a guest_memfd slot with a flags-only change (bitmap 0)', () => {
    const { sim, base } = gmemSlot();
    expect(sim.setUserMemoryRegion2({ ...base, flags: KVM_MEM_GUEST_MEMFD | KVM_MEM_USERFAULT, userfault_bitmap: 0 }).ret).toBe(0);
    expect(sim.slot(0)?.flags).toBe(KVM_MEM_GUEST_MEMFD | KVM_MEM_USERFAULT);
    expect(sim.setUserMemoryRegion2({ ...base, flags: KVM_MEM_GUEST_MEMFD }).ret).toBe(0);
    expect(sim.slot(0)?.flags).toBe(KVM_MEM_GUEST_MEMFD);
  });

  it('enabling it zaps the slot even for guest_memfd mappings', () => {
    const { sim } = gmemSlot();
    sim.runUntilExit(0);
    expect(levels(sim).slice(0, 2)).toEqual([1, 1]);
    const bitmap = sim.mmapData(8);
    // setFlags keeps base/size/hva; the guest_memfd binding is kept by a flags-only change.
    expect(setFlags(sim, KVM_MEM_GUEST_MEMFD | KVM_MEM_USERFAULT, bitmap).ret).toBe(0);
    expect(levels(sim)).toEqual([0, 0, 0, 0]);
  });
});
