/**
 * Build a composed system's initial state: the VM, its memory (local pages already in
 * place with the source content, remote pages absent or only in the page cache for MINOR
 * mode), the memslots with the design's flags, a userfault bitmap per slot, the userfaultfd, or
 * the demand-paging present bitmap and notification fd.
 */
import { KvmSim } from '../kvm/sim.ts';
import {
  KVM_MEM_EXIT_ON_MISSING,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEM_USERFAULT,
  PAGE_SIZE,
  UFFDIO_REGISTER_MODE_MINOR,
  UFFDIO_REGISTER_MODE_MISSING,
} from '../kvm/uapi.ts';
import { GUEST_MEMFD_FLAG_MMAP } from '../mm/guest-memfd.ts';
import { sourceContentOf, type ResolvedConfig } from './config.ts';
import type { Environment } from './environment.ts';
import { hvaOf, slotOf, slotRegion, userfaultBitOf, type SlotLayout } from './guest-layout.ts';

/** Task id the setup uses for its own stores (it runs before any thread). */
const SETUP_TASK = 999;

export interface Setup {
  readonly sim: KvmSim;
  readonly env: Environment;
}

/**
 * Whether this design registers the guest memory with a userfaultfd: guest_memfd only in
 * the gmem-minor design (its mapping; the vm_uffd_ops series), other backings unless --uffd none.
 */
function usesUffd(cfg: ResolvedConfig): boolean {
  return (cfg.backing !== 'guest_memfd' || cfg.design === 'gmem-minor') && cfg.uffdMode !== 'none';
}

/** The UFFDIO_REGISTER mode bits of a registration. */
function registerMode(mode: ResolvedConfig['uffdMode']): number {
  if (mode === 'missing-minor') return UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR;
  return mode === 'minor' ? UFFDIO_REGISTER_MODE_MINOR : UFFDIO_REGISTER_MODE_MISSING;
}

function must(r: { ret: number; errno: number }, what: string): number {
  if (r.ret < 0) throw new Error(`setup: ${what} failed with errno ${r.errno}`);
  return r.ret;
}

export function buildSystem(cfg: ResolvedConfig): Setup {
  const hostPagePages = cfg.backing === 'hugetlb' ? cfg.hugePages : 1;
  const geometry = [1, Math.max(2, cfg.hugePages), Math.max(2, cfg.hugePages) * 4] as const;
  const sim = new KvmSim({
    variant: {
      arch: cfg.arch,
      userfault: cfg.series,
      exitOnMissing: cfg.design === 'exit-on-missing',
      demandPaging: cfg.design === 'demand-paging',
      asyncPfUser: cfg.design === 'async-pf-user',
      mutation: cfg.mutation,
      gmemWrite: cfg.gmemWrite,
      gmemUffd: cfg.gmemUffd,
      asyncPfScope: cfg.asyncPfScope,
      mmu: cfg.mmu,
      uffdEagainField: cfg.uffdEagainField,
      arm64WpFault: cfg.arm64WpFault,
      geometry,
    },
    programs: cfg.programs,
    privateMem: cfg.backing === 'guest_memfd',
  });
  const remote = new Set(cfg.remote);
  const minor = cfg.uffdMode === 'minor' && usesUffd(cfg) && cfg.backing !== 'guest_memfd';

  // Guest memory: one mapping (one file) of every memslot's pages back to back, in gfn
  // order (guest-layout.ts); MINOR mode: every page is in the page cache, mapped only when local.
  const total = cfg.gfns.length;
  let hva: number;
  let gmemFd = -1;
  if (cfg.backing === 'anon') {
    hva = sim.mmapAnonymous(total, { thp: cfg.thp });
  } else if (cfg.backing === 'guest_memfd') {
    gmemFd = must(sim.createGuestMemfd(total * PAGE_SIZE, GUEST_MEMFD_FLAG_MMAP), 'KVM_CREATE_GUEST_MEMFD');
    hva = sim.mmapGuestMemfd(gmemFd, total);
  } else {
    const file = sim.createFile(cfg.backing, total, hostPagePages);
    if (minor) {
      const alias = sim.mmapFile(file, total);
      cfg.gfns.forEach((g, i) => sim.userAccess(SETUP_TASK, alias + i * PAGE_SIZE, sourceContentOf(cfg, g)));
    }
    hva = sim.mmapFile(file, total);
  }

  // The memslots, each with the design's flag and its own bitmap (bit i is gfn baseGfn + i).
  const perSlotBitmap = cfg.design === 'kvm-userfault' || cfg.design === 'async-pf-user' || cfg.design === 'gmem-minor';
  let flags = cfg.backing === 'guest_memfd' ? KVM_MEM_GUEST_MEMFD : 0;
  if (perSlotBitmap && !cfg.control.enableUserfault) flags |= KVM_MEM_USERFAULT;
  if (cfg.design === 'exit-on-missing') flags |= KVM_MEM_EXIT_ON_MISSING;
  const slots: SlotLayout[] = [];
  let hostOffset = 0;
  cfg.memslots.forEach((shape, id) => {
    const bitmap = perSlotBitmap ? sim.mmapData(Math.ceil(shape.npages / 64) * 8) : 0;
    slots.push({ ...shape, id, hva: hva + hostOffset * PAGE_SIZE, hostOffset, bitmap });
    hostOffset += shape.npages;
  });
  const layout = { slots };
  for (const g of cfg.gfns) {
    if (remote.has(g)) {
      const bit = userfaultBitOf(layout, g);
      if (bit) sim.setUserfaultBit(bit.bitmap, bit.index, true);
      continue;
    }
    const slot = slotOf(layout, g) as SlotLayout;
    if (cfg.backing === 'guest_memfd') must(sim.gmemWrite(gmemFd, (slot.hostOffset + g - slot.baseGfn) * PAGE_SIZE, sourceContentOf(cfg, g)), 'write(guest_memfd)');
    sim.userAccess(SETUP_TASK, hvaOf(layout, g), sourceContentOf(cfg, g));
  }
  for (const s of slots) must(sim.setUserMemoryRegion2(slotRegion(s, flags, gmemFd)), 'KVM_SET_USER_MEMORY_REGION2');

  // KVM Demand Paging: every gfn starts non-present; the local pages are marked present.
  let demandPagingFd = -1;
  if (cfg.design === 'demand-paging') {
    for (const s of slots) must(sim.enableDemandPaging(s.id), 'KVM_ENABLE_DEMAND_PAGING');
    for (const g of cfg.gfns) {
      if (!remote.has(g)) must(sim.markGfnsPresent({ gpa: g * PAGE_SIZE, size: PAGE_SIZE }), 'KVM_MARK_GFNS_PRESENT');
    }
    demandPagingFd = must(sim.createDemandPagingFd(), 'KVM_CREATE_DEMAND_PAGING_FD');
  }

  let uffd = -1;
  if (usesUffd(cfg)) {
    uffd = sim.userfaultfd();
    must(sim.uffdRegister(uffd, hva, total * PAGE_SIZE, registerMode(cfg.uffdMode)), 'UFFDIO_REGISTER');
  }
  return { sim, env: { config: cfg, hva, bitmap: slots[0]?.bitmap ?? 0, slots, uffd, gmemFd, hostPagePages, demandPagingFd } };
}
