/**
 * A composed system's configuration: which design, arch, backing, how many vCPUs and
 * pages, which pages start remote, what the guest does, what the control thread does.
 */
import type { GuestOp } from '../kvm/state.ts';
import type { Arch, Arm64WpFault, AsyncPfScope, GmemUffdSupport, GmemWriteSemantics, KernelMutation, UffdEagainField, UserfaultSeries, X86Mmu } from '../kvm/variant.ts';
import { ConfigError } from './config-error.ts';
import { formatMemslots, singleSlot, slotGfns, type MemslotShape } from './guest-layout.ts';

export const DESIGNS = ['kvm-userfault', 'uffd', 'exit-on-missing', 'demand-paging', 'async-pf-user', 'gmem-minor'] as const;
export type DesignName = (typeof DESIGNS)[number];

export const BACKINGS = ['anon', 'shmem', 'hugetlb', 'guest_memfd'] as const;
export type Backing = (typeof BACKINGS)[number];

export const ARCHES = ['x86', 'arm64'] as const;

/** The bounds a configuration's size must keep (the CLI's help and validation use these). */
export const LIMITS = {
  vcpus: { min: 1, max: 256 },
  pages: { min: 1, max: 4096 },
  /** Base pages per huge page in the scaled geometry. */
  hugePages: { min: 2, max: 64 },
} as const;

/**
 * How guest memory is registered with userfaultfd: MISSING, MINOR, both (the gmem-minor
 * design: MISSING for pages not yet in the guest_memfd, MINOR for pages written but not
 * mapped in the VMA), or not at all.
 */
export type UffdMode = 'missing' | 'minor' | 'missing-minor' | 'none';

/** What the control thread does, in this order, concurrently with the vCPUs. */
export interface ControlPlan {
  /** arm64: restore the ITS (GITS_BASER, RESTORE_TABLES reading these gfns, GITS_CTLR). */
  readonly itsTables?: readonly number[];
  /** x86: restoring MSR_KVM_SYSTEM_TIME writes the kvm-clock page at this gfn. */
  readonly kvmClockGfn?: number;
  /**
   * What else the kvm-clock page holds on the source (see KvmClockPage); resolved to
   * `dedicated` whenever kvmClockGfn is given.
   */
  readonly kvmClockPage?: KvmClockPage;
  /** x86: restore MSR_KVM_STEAL_TIME of vCPU 0 with its struct on this gfn (src/kvm/steal-time.ts), then clear its bit. */
  readonly stealTimeGfn?: number;
  /** Balloon: MADV_DONTNEED of these gfns (anonymous memory). */
  readonly balloon?: readonly number[];
  /** Disable KVM_MEM_USERFAULT once every page has arrived (kvm-userfault design). */
  readonly disableUserfaultAtEnd?: boolean;
  /** Whether the vCPUs wait for the control thread to finish before the first KVM_RUN. */
  readonly vcpusWait?: boolean;
  /** KVM_MEM_USERFAULT starts off; the control thread enables it while the vCPUs run (arming late). */
  readonly enableUserfault?: boolean;
  /** Dirty logging on, then off again, while the vCPUs run (a live-migration round). */
  readonly toggleDirtyLog?: boolean;
}

export interface SystemConfig {
  readonly design: DesignName;
  readonly arch: Arch;
  /** The KVM Userfault series for the kvm-userfault design (v1 for the old arm64 behaviour). */
  readonly series?: UserfaultSeries;
  readonly backing: Backing;
  readonly vcpus: number;
  /** The guest physical address space in pages: gfns 0..pages-1 (memslots pick which are memory). */
  readonly pages: number;
  /**
   * The memslots, in gfn order, each `{ baseGfn, npages }` inside 0..pages-1, with holes
   * allowed between them (default: one slot covering every gfn). See guest-layout.ts.
   */
  readonly memslots?: readonly MemslotShape[];
  /** Pages that start on the source (default: all). The rest are local from the start. */
  readonly remote?: readonly number[];
  /** One guest program per vCPU (default: vCPU i reads page i, then writes page i+1, mod pages). */
  readonly programs?: readonly (readonly GuestOp[])[];
  readonly uffdMode?: UffdMode;
  readonly control?: ControlPlan;
  /** Base pages per huge page in the scaled geometry (hugetlbfs page size; default 2). */
  readonly hugePages?: number;
  /** Test only: run against a deliberately broken kernel rule (see KernelMutation). */
  readonly mutation?: KernelMutation;
  /** guest_memfd write() on a populated page: ENOSPC (v1–v5, default) or overwrite (v6). */
  readonly gmemWrite?: GmemWriteSemantics;
  /** userfaultfd on the guest_memfd mapping: EINVAL (mainline) or the vm_uffd_ops series (default for gmem-minor). */
  readonly gmemUffd?: GmemUffdSupport;
  /** Which userfault exits async PF user may take asynchronously (kernel variant; see AsyncPfScope). */
  readonly asyncPfScope?: AsyncPfScope;
  /** x86: the TDP MMU (default) or the legacy shadow MMU (tdp_mmu=0); see X86Mmu. */
  readonly mmu?: X86Mmu;
  /** A zero-progress EAGAIN's output field (kernel variant; see UffdEagainField). */
  readonly uffdEagainField?: UffdEagainField;
  /** arm64: a dirty-logging write-protection fault re-checks the bitmap or not (kernel variant; see Arm64WpFault). */
  readonly arm64WpFault?: Arm64WpFault;
  /** Anonymous memory with transparent huge pages (a write fault allocates a whole zeroed THP). */
  readonly thp?: boolean;
}

/** A configuration with every default filled in and every combination checked. */
export interface ResolvedConfig extends Required<Omit<SystemConfig, 'series' | 'control' | 'mutation' | 'gmemWrite' | 'gmemUffd' | 'asyncPfScope' | 'mmu' | 'thp' | 'uffdEagainField' | 'arm64WpFault' | 'memslots'>> {
  readonly arm64WpFault: Arm64WpFault;
  readonly gmemUffd: GmemUffdSupport;
  readonly asyncPfScope: AsyncPfScope;
  readonly mmu: X86Mmu;
  readonly uffdEagainField: UffdEagainField;
  readonly thp: boolean;
  readonly mutation: KernelMutation;
  readonly gmemWrite: GmemWriteSemantics;
  readonly series: UserfaultSeries;
  readonly control: ControlPlan;
  readonly memslots: readonly MemslotShape[];
  /** Every guest gfn (in some memslot), in order: the pages ground truth and properties cover. */
  readonly gfns: readonly number[];
}

/** The source host's content of page p: never 0, distinct per page, so wrong data is visible. */
export function sourceContent(gfn: number): number {
  return gfn + 1;
}

/**
 * What the kvm-clock page holds besides pvclock data (review M6):
 * - `dedicated` (default): nothing. Linux's vCPUs read their pvclocks from `hv_clock_boot`,
 *   a page-aligned array in .bss used for pvclock data only (arch/x86/kernel/kvmclock.c:
 *   `hv_clock_boot[HVC_BOOT_ARRAY_SIZE] __bss_decrypted __aligned(PAGE_SIZE)`, with
 *   HVC_BOOT_ARRAY_SIZE = PAGE_SIZE / sizeof(struct pvclock_vsyscall_time_info): one
 *   64-byte entry per vCPU, unused entries zero). The entries the source page holds are
 *   times KVM rewrites at each vCPU's first entry after its MSR restore, so the page's
 *   source content, as far as the destination needs it, is zeros (an inference: a guest
 *   reading a vCPU's entry before that vCPU's first entry would see zeros rather than a
 *   stale time; kvmuf does not judge that). A VMM that lets KVM fault in a zero page there
 *   and clears its bit loses nothing.
 * - `shared`: the page also holds other guest data (a guest whose pvclock shares a page
 *   with other variables), so every byte but the pvclock's still needs the source.
 */
export type KvmClockPage = 'dedicated' | 'shared';

/** The source host's content of `gfn` under this configuration: sourceContent(gfn), except a dedicated kvm-clock page (zeros). */
export function sourceContentOf(cfg: Pick<ResolvedConfig, 'control'>, gfn: number): number {
  const c = cfg.control;
  return c.kvmClockGfn === gfn && c.kvmClockPage === 'dedicated' ? 0 : sourceContent(gfn);
}

function fail(code: string, message: string, hint: string): never {
  throw new ConfigError(code, message, hint);
}

function checkPage(cfg: SystemConfig, gfn: number, what: string): void {
  if (!Number.isInteger(gfn) || gfn < 0 || gfn >= cfg.pages) {
    fail('KVMUF102', `${what} names page ${gfn}, outside the ${cfg.pages} guest pages`, `use a page from 0 to ${cfg.pages - 1}`);
  }
  const slots = cfg.memslots ?? [];
  if (slots.length > 0 && !slots.some((s) => gfn >= s.baseGfn && gfn < s.baseGfn + s.npages)) {
    fail('KVMUF102', `${what} names page ${gfn}, in a hole between the memslots ${formatMemslots(slots)}`, `use a gfn inside a memslot: ${slotGfns(slots).join(',')}`);
  }
}

/**
 * The memslots, checked as KVM_SET_USER_MEMORY_REGION2 would take them (virt/kvm/kvm_main.c
 * __kvm_set_memory_region): a slot of at least one page (memory_size 0 deletes), inside the
 * configuration's address space, overlapping no other slot (the kernel's overlap check
 * returns EEXIST). A slot count within KVM_USER_MEM_SLOTS is implied by the page limit.
 * Huge backings (hugetlbfs, THP) also need each slot aligned to the huge page size: the
 * model keeps the gfn and host-offset alignment equal, which the kernel only rewards
 * (x86 kvm_alloc_memslot_metadata disallows large pages for misaligned slots; arm64
 * fault_supports_stage2_huge_mapping) rather than requires (a modelling restriction).
 */
function resolveMemslots(cfg: SystemConfig, hugePages: number): readonly MemslotShape[] {
  const slots = [...(cfg.memslots ?? singleSlot(cfg.pages))].sort((a, b) => a.baseGfn - b.baseGfn);
  const hint = 'give each memslot as base gfn:npages, in gfn order, e.g. --memslots 0:2,8:2 with --pages 10';
  if (slots.length === 0) fail('KVMUF115', 'no memslots: the guest has no memory', hint);
  let end = 0;
  for (const s of slots) {
    const name = `memslot ${s.baseGfn}:${s.npages}`;
    if (!Number.isInteger(s.baseGfn) || !Number.isInteger(s.npages) || s.baseGfn < 0 || s.npages < 1) fail('KVMUF115', `${name}: a memslot needs a base gfn ≥ 0 and at least one page`, hint);
    if (s.baseGfn + s.npages > cfg.pages) fail('KVMUF115', `${name} ends past the ${cfg.pages} pages of guest address space`, `use --pages ${s.baseGfn + s.npages} or more`);
    if (s.baseGfn < end) fail('KVMUF115', `${name} overlaps another memslot (KVM_SET_USER_MEMORY_REGION2 would fail with EEXIST)`, hint);
    end = s.baseGfn + s.npages;
    if ((cfg.backing === 'hugetlb' || cfg.thp) && (s.baseGfn % hugePages !== 0 || s.npages % hugePages !== 0)) {
      fail('KVMUF115', `${name}: with huge pages each memslot must start and end on a ${hugePages}-page boundary`, 'align the memslots to --huge-pages');
    }
  }
  return slots;
}

/**
 * The gmem-minor design (Firecracker's secret-hiding branch, seed 000 refs [2], [5]): a
 * mappable guest_memfd, KVM Userfault exits for vCPU faults, write() into the guest_memfd
 * to populate, and userfaultfd on the guest_memfd mapping for KVM's own accesses and the
 * VMM's. Only the vm_uffd_ops series lets that mapping register (mainline: EINVAL).
 */
function checkGmemMinor(cfg: SystemConfig, uffdMode: UffdMode, gmemUffd: GmemUffdSupport): void {
  if (cfg.design !== 'gmem-minor') return;
  if (cfg.backing !== 'guest_memfd') fail('KVMUF105', 'the gmem-minor design is guest_memfd + userfaultfd on its mapping', 'use --backing guest_memfd');
  if (uffdMode === 'none') fail('KVMUF104', 'the gmem-minor design needs userfaultfd on the guest_memfd mapping', 'use --uffd missing-minor (the default) or --uffd minor');
  if (gmemUffd === 'einval') {
    fail('KVMUF105', 'mainline refuses userfaultfd on a guest_memfd mapping (vma_can_userfault: EINVAL), so the gmem-minor design cannot be set up', 'use --gmem-uffd vm-uffd-ops (the guest_memfd userfaultfd series; the default for gmem-minor)');
  }
}

/** The control plan with the kvm-clock page's kind filled in (dedicated unless told). */
function resolveControl(plan: ControlPlan): ControlPlan {
  if (plan.kvmClockPage !== undefined && plan.kvmClockGfn === undefined) fail('KVMUF105', '--kvm-clock-page says what the kvm-clock page holds, but there is no kvm-clock restore', 'add --kvm-clock GFN, or drop --kvm-clock-page');
  return plan.kvmClockGfn !== undefined ? { ...plan, kvmClockPage: plan.kvmClockPage ?? 'dedicated' } : plan;
}

/** MSR_KVM_STEAL_TIME is x86; its page is shared with other per-cpu data, so it cannot be a dedicated kvm-clock page. */
function checkStealTime(cfg: SystemConfig, control: ControlPlan): void {
  const gfn = control.stealTimeGfn;
  if (gfn === undefined) return;
  if (cfg.arch !== 'x86') fail('KVMUF105', 'the steal-time MSR restore is x86 (arm64 has PV stolen time through a device attribute, not modelled)', 'use --arch x86');
  checkPage(cfg, gfn, 'the steal-time page');
  if (gfn === control.kvmClockGfn && control.kvmClockPage === 'dedicated') {
    fail('KVMUF105', `steal time on gfn ${gfn}, the kvm-clock page, but a dedicated kvm-clock page holds nothing but pvclock data`, `use --kvm-clock-page shared, or another gfn for --steal-time`);
  }
}

export function resolveConfig(cfg: SystemConfig): ResolvedConfig {
  if (!DESIGNS.includes(cfg.design)) fail('KVMUF101', `unknown design '${cfg.design}'`, `use one of: ${DESIGNS.join(', ')}`);
  if (!BACKINGS.includes(cfg.backing)) fail('KVMUF101', `unknown backing '${cfg.backing}'`, `use one of: ${BACKINGS.join(', ')}`);
  if (!ARCHES.includes(cfg.arch)) fail('KVMUF101', `unknown arch '${cfg.arch}'`, `use one of: ${ARCHES.join(', ')}`);
  // Exhaustive checks stay small (the explorer's limits say when a run is incomplete);
  // random simulation (properties/) goes up to these bounds.
  const { vcpus, pages } = LIMITS;
  if (!Number.isInteger(cfg.vcpus) || cfg.vcpus < vcpus.min || cfg.vcpus > vcpus.max) fail('KVMUF103', `--vcpus ${cfg.vcpus}: must be ${vcpus.min} to ${vcpus.max}`, 'exhaustive checks are practical up to about 4 vCPUs');
  if (!Number.isInteger(cfg.pages) || cfg.pages < pages.min || cfg.pages > pages.max) fail('KVMUF103', `--pages ${cfg.pages}: must be ${pages.min} to ${pages.max}`, 'exhaustive checks are practical up to a few pages per vCPU');
  const hugePages = cfg.hugePages ?? 2;
  if (!Number.isInteger(hugePages) || hugePages < LIMITS.hugePages.min || hugePages > LIMITS.hugePages.max) fail('KVMUF103', `--huge-pages ${hugePages}: must be ${LIMITS.hugePages.min} to ${LIMITS.hugePages.max}`, 'e.g. --huge-pages 2');
  if (cfg.backing === 'hugetlb' && !cfg.memslots && cfg.pages % hugePages !== 0) {
    fail('KVMUF104', `hugetlbfs backing needs a whole number of huge pages (${hugePages} base pages each), got ${cfg.pages} pages`, `use --pages ${Math.ceil(cfg.pages / hugePages) * hugePages}`);
  }
  const memslots = resolveMemslots(cfg, hugePages);
  const gfns = slotGfns(memslots);
  const uffdMode: UffdMode = cfg.uffdMode ?? (cfg.design === 'demand-paging' ? 'none' : cfg.design === 'gmem-minor' ? 'missing-minor' : cfg.backing === 'anon' ? 'missing' : 'minor');
  const gmemUffd: GmemUffdSupport = cfg.gmemUffd ?? (cfg.design === 'gmem-minor' ? 'vm-uffd-ops' : 'einval');
  checkGmemMinor(cfg, uffdMode, gmemUffd);
  if (cfg.design === 'demand-paging' && uffdMode !== 'none') {
    fail('KVMUF105', 'the demand-paging design replaces userfaultfd: vCPU faults exit, KVM’s own accesses wait on its notification fd, and the VMM populates through its own mapping', 'use --uffd none (the default for demand-paging)');
  }
  if (uffdMode === 'none' && (cfg.design === 'uffd' || cfg.design === 'exit-on-missing')) {
    fail('KVMUF104', `the ${cfg.design} design needs userfaultfd`, 'use --uffd missing or --uffd minor');
  }
  if (cfg.uffdMode === 'missing' && cfg.backing === 'guest_memfd' && cfg.design !== 'gmem-minor') {
    fail('KVMUF104', 'userfaultfd MISSING mode cannot serve guest_memfd: its memory has no host mapping to register, so --uffd missing would be ignored', 'drop --uffd (guest_memfd faults reach the VMM as KVM exits), or use --backing shmem');
  }
  if (uffdMode === 'missing-minor' && cfg.design !== 'gmem-minor') fail('KVMUF104', '--uffd missing-minor (MISSING and MINOR on one range) is modelled for the gmem-minor design only', 'use --uffd missing or --uffd minor');
  if (uffdMode === 'minor' && cfg.backing === 'anon') fail('KVMUF104', 'userfaultfd MINOR mode needs shmem, hugetlbfs or guest_memfd backing', 'use --backing shmem, or MISSING mode');

  // Combinations that cannot exist.
  if (cfg.design === 'uffd' && cfg.backing === 'guest_memfd') {
    fail('KVMUF105', 'the uffd design cannot serve guest_memfd: it has no host mapping to register (userfaultfd support for guest_memfd is a later series)', 'use --design kvm-userfault or demand-paging with guest_memfd');
  }
  if (cfg.design === 'exit-on-missing' && cfg.backing === 'guest_memfd') {
    fail('KVMUF105', 'exit-on-missing works on the host mapping (fast GUP); guest_memfd faults never go through it', 'use --design kvm-userfault with guest_memfd');
  }
  if (cfg.design === 'async-pf-user' && cfg.arch !== 'x86') fail('KVMUF105', 'async PF user exists only on x86', 'use --arch x86');
  const series: UserfaultSeries = cfg.series ?? (cfg.design === 'kvm-userfault' || cfg.design === 'async-pf-user' || cfg.design === 'gmem-minor' ? 'v3' : 'none');
  if (cfg.design === 'gmem-minor' && series === 'none') fail('KVMUF105', 'the gmem-minor design serves vCPU faults with KVM Userfault exits: it needs the KVM Userfault series', 'drop --series none');
  if (cfg.design === 'kvm-userfault' && series === 'none') fail('KVMUF105', 'the kvm-userfault design needs a kernel with the KVM Userfault series', 'drop --series none');
  if (cfg.design === 'async-pf-user' && series === 'none') fail('KVMUF105', 'async PF user is built on KVM Userfault exits: it needs the KVM Userfault series', 'drop --series none');
  if (series === 'v1' && cfg.arch !== 'arm64') fail('KVMUF105', 'the v1 variant only differs on arm64 (zap on disable)', 'use --arch arm64 with --series v1');
  // A kernel that never existed (review V5): v1 (Dec 2024) and v3 (Message-ID
  // 20250618042424.330664-1-jthoughton, June 2025) sit on bases with no arm64 guest_memfd;
  // gmem_abort() first appears in Fuad Tabba's series of 9 July 2025, and the v3 cover
  // letter (seed 000) says it "would need to be enlightened". Only Firecracker's v2 copy hooks it.
  if ((cfg.design === 'kvm-userfault' || cfg.design === 'gmem-minor') && cfg.arch === 'arm64' && cfg.backing === 'guest_memfd' && (series === 'v3' || series === 'v1')) {
    fail('KVMUF105', `KVM Userfault ${series} on arm64 with guest_memfd is a kernel that never existed: ${series} predates arm64 guest_memfd (gmem_abort) and does not hook it`, 'use --series v2-firecracker (Firecracker’s copy hooks gmem_abort), or --arch x86');
  }

  const checked: SystemConfig = { ...cfg, memslots };
  const remote = [...(cfg.remote ?? gfns)].sort((a, b) => a - b);
  for (const p of remote) checkPage(checked, p, 'remote');
  if (cfg.backing === 'hugetlb') {
    for (const p of remote) {
      const first = p - (p % hugePages);
      for (let g = first; g < first + hugePages; g++) {
        if (!remote.includes(g)) fail('KVMUF104', `on hugetlbfs a huge page is remote or local as a whole: page ${p} is remote, page ${g} is not`, `mark pages ${first}..${first + hugePages - 1} alike`);
      }
    }
  }
  // Default guest: each vCPU reads its own page, then writes its neighbour's (races on every page).
  const programs =
    cfg.programs ??
    Array.from({ length: cfg.vcpus }, (_, v): GuestOp[] => [
      { kind: 'read', gfn: gfns[v % gfns.length] as number },
      { kind: 'write', gfn: gfns[(v + 1) % gfns.length] as number, value: 100 + v },
    ]);
  if (programs.length !== cfg.vcpus) {
    const same = programs.length === 1 ? ` (to run that one on every vCPU, repeat it ${cfg.vcpus} times: vCPUs with identical programs are interchangeable under --symmetry)` : '';
    fail('KVMUF106', `${programs.length} guest programs for ${cfg.vcpus} vCPUs`, `give one program per vCPU${same}`);
  }
  for (const prog of programs) for (const op of prog) checkPage(checked, op.gfn, 'a guest program');
  const control = resolveControl(cfg.control ?? {});
  if (control.itsTables && cfg.arch !== 'arm64') fail('KVMUF105', 'the ITS exists only on arm64', 'use --arch arm64, or drop the ITS restore');
  if (control.kvmClockGfn !== undefined && cfg.arch !== 'x86') fail('KVMUF105', 'the kvm-clock MSR restore is x86', 'use --arch x86');
  for (const p of control.itsTables ?? []) checkPage(checked, p, 'the ITS tables');
  if (control.kvmClockGfn !== undefined) checkPage(checked, control.kvmClockGfn, 'the kvm-clock page');
  checkStealTime(checked, control);
  for (const p of control.balloon ?? []) checkPage(checked, p, 'the balloon');
  if ((control.balloon ?? []).length > 0 && cfg.backing !== 'anon') fail('KVMUF105', 'the balloon (MADV_DONTNEED) frees pages only on anonymous memory', 'use --backing anon');
  if (control.toggleDirtyLog && cfg.backing === 'guest_memfd') fail('KVMUF105', 'dirty logging is not supported on guest_memfd memslots (KVM_MEM_GUEST_MEMFD excludes LOG_DIRTY_PAGES)', 'use another backing');
  if (control.enableUserfault && cfg.design !== 'kvm-userfault' && cfg.design !== 'gmem-minor') fail('KVMUF105', 'only the kvm-userfault design has a USERFAULT flag to enable', 'use --design kvm-userfault');
  const mmu: X86Mmu = cfg.mmu ?? 'tdp';
  if (mmu === 'shadow' && cfg.arch !== 'x86') fail('KVMUF105', 'the shadow MMU (tdp_mmu=0) is an x86 choice; arm64 has one stage-2 MMU', 'use --arch x86, or drop --mmu');
  // KVM_X86_SW_PROTECTED_VM (private guest_memfd memory) is supported only with the TDP MMU (kvm_is_vm_type_supported).
  if (mmu === 'shadow' && cfg.backing === 'guest_memfd') fail('KVMUF105', 'private guest_memfd memory needs the TDP MMU (KVM_X86_SW_PROTECTED_VM requires tdp_mmu)', 'use --mmu tdp, or another backing');
  if (cfg.thp && cfg.backing !== 'anon') fail('KVMUF105', 'transparent huge pages are modelled for anonymous memory only', 'use --backing anon, or drop --thp');
  // The default reading is accepted on x86 too (a saved configuration carries it); asking for the other is refused.
  if (cfg.arm64WpFault === 'no-check' && cfg.arch !== 'arm64') fail('KVMUF105', '--arm64-wp-fault no-check is an arm64 choice; x86 fast_page_fault never checks the bitmap', 'use --arch arm64, or drop --arm64-wp-fault');
  return { mmu, uffdEagainField: cfg.uffdEagainField ?? 'written', arm64WpFault: cfg.arm64WpFault ?? 'checks-bitmap', thp: cfg.thp ?? false, mutation: cfg.mutation ?? 'none', gmemWrite: cfg.gmemWrite ?? 'enospc', gmemUffd, asyncPfScope: cfg.asyncPfScope ?? 'sw-protected', design: cfg.design, arch: cfg.arch, series, backing: cfg.backing, vcpus: cfg.vcpus, pages: cfg.pages, remote, programs, uffdMode, control, hugePages, memslots, gfns };
}
