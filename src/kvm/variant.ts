import type { GmemWriteSemantics } from '../mm/guest-memfd.ts';
import type { GmemUffdSupport } from '../mm/userfaultfd.ts';
import type { AsyncPfScope } from './async-pf-user.ts';

/**
 * Which kernel is simulated: the architecture, and which KVM Userfault series (if any)
 * it carries. Static configuration: never part of the explored state.
 */

export type Arch = 'x86' | 'arm64';

/**
 * - `none`: mainline without KVM Userfault (no KVM_CAP_USERFAULT; flag bit 3 is EINVAL).
 * - `v1`: the v1 series; arm64 zaps stage 2 when USERFAULT is disabled.
 * - `v3`: the v3 series (default); arm64 does nothing on disable; arm64 gmem_abort is not
 *   hooked, so guest_memfd faults on arm64 never take a userfault exit.
 * - `v2-firecracker`: Firecracker's carried v2 copy: like v3, but arm64 gmem_abort is hooked.
 */
export type UserfaultSeries = 'none' | 'v1' | 'v3' | 'v2-firecracker';

/**
 * The x86 MMU (kvm.tdp_mmu): only x86 has a choice; arm64 ignores it.
 * - `tdp` (default; kvm.tdp_mmu=1 is the default on 64-bit hosts since 5.15): huge-page
 *   recovery rebuilds huge SPTEs in place (kvm_tdp_mmu_recover_huge_pages →
 *   recover_huge_pages_range, David Matlack, merged for 6.13; the v3 series' base has it).
 * - `shadow` (tdp_mmu=0, the legacy MMU; also what L2 runs on under shadow EPT): recovery
 *   zaps collapsible SPTEs (kvm_rmap_zap_collapsible_sptes) and faults prefetch
 *   neighbouring SPTEs without the userfault check (direct_pte_prefetch; review M7).
 */
/**
 * UFFDIO_COPY / ZEROPAGE / CONTINUE refused at once because a non-cooperative event is in
 * flight (ctx->mmap_changing): the ioctl fails with EAGAIN having done nothing, and what
 * its output field (`copy`, `zeropage`, `mapped`) holds afterwards depends on the kernel.
 * - `written` (default): the field is set to -EAGAIN (Peter Xu, "mm/userfaultfd: fix
 *   uninitialized output field for -EAGAIN race", Fixes: df2cc96e7701, Cc: stable; the
 *   early `if (atomic_read(&ctx->mmap_changing))` check in userfaultfd_copy & co. gained a
 *   put_user of -EAGAIN).
 * - `untouched`: kernels before that fix return before writing it, so the field keeps what
 *   the caller put there. kvmuf's handlers get 0, as from a zeroed struct (an inference
 *   about callers: a struct filled on the stack may hold anything).
 */
export type UffdEagainField = 'written' | 'untouched';

export type X86Mmu = 'tdp' | 'shadow';

/** guest_memfd write() on a populated page: see mm/guest-memfd.ts. */
export type { GmemWriteSemantics } from '../mm/guest-memfd.ts';
export type { AsyncPfScope } from './async-pf-user.ts';
/** Whether a guest_memfd mapping can be registered with userfaultfd: see mm/userfaultfd.ts. */
export type { GmemUffdSupport } from '../mm/userfaultfd.ts';

/**
 * The mapping geometry: how many base pages one mapping covers at each stage-2 level
 * (index 0 = 4K PTE, 1 = 2M PMD, 2 = 1G PUD). The real geometry is [1, 512, 262144];
 * exploration uses a scaled one (e.g. [1, 4, 16]) so that a "huge page" fits a small
 * state. PAGE_SIZE stays 4096 in both.
 */
export type Geometry = readonly [number, number, number];

export const REAL_GEOMETRY: Geometry = [1, 512, 512 * 512];

/**
 * Deliberately broken kernel rules, for proving that the checks have teeth (mutation
 * testing): never used by `kvmuf check` unless a test asks for one.
 * - `no-zap-on-enable`: enabling KVM_MEM_USERFAULT forgets to zap the slot.
 * - `huge-while-userfault`: USERFAULT no longer forces PAGE_SIZE mappings.
 */
export type KernelMutation = 'none' | 'no-zap-on-enable' | 'huge-while-userfault';

export interface KernelVariant {
  readonly arch: Arch;
  readonly mutation: KernelMutation;
  readonly userfault: UserfaultSeries;
  /**
   * Anish Moorthy's KVM_MEM_EXIT_ON_MISSING (memory-fault exits when fast GUP fails).
   * It claims memslot flag bit 3 too, so it excludes the KVM Userfault series.
   */
  readonly exitOnMissing: boolean;
  /**
   * Google's KVM Demand Paging (RFC pitch, Nov 2023; hypothetical UAPI, see
   * demand-paging.ts): a kernel-owned present bitmap per memslot, memory-fault exits on
   * non-present gfns, a wait queue and notification fd for KVM's own accesses.
   */
  readonly demandPaging: boolean;
  /**
   * Kalyazin's async PF user (RFC, Nov 2024; x86 only, on top of KVM Userfault exits):
   * userfault exits that can be handled asynchronously carry a token and let the guest
   * run other work until KVM_ASYNC_PF_USER_READY (see async-pf-user.ts).
   */
  readonly asyncPfUser: boolean;
  /** Which userfault exits async PF user may take asynchronously (see AsyncPfScope in async-pf-user.ts). */
  readonly asyncPfScope: AsyncPfScope;
  /** guest_memfd write() on a populated page (see GmemWriteSemantics). */
  readonly gmemWrite: GmemWriteSemantics;
  /** userfaultfd on a guest_memfd mapping: EINVAL (mainline) or the vm_uffd_ops series (see GmemUffdSupport). */
  readonly gmemUffd: GmemUffdSupport;
  /** The x86 MMU (see X86Mmu); arm64 ignores it. */
  readonly mmu: X86Mmu;
  /** What COPY/ZEROPAGE/CONTINUE write to their output field on a zero-progress EAGAIN (see UffdEagainField). */
  readonly uffdEagainField: UffdEagainField;
  /** arm64: whether a dirty-logging write-protection fault re-checks the userfault bitmap (see Arm64WpFault). */
  readonly arm64WpFault: Arm64WpFault;
  readonly geometry: Geometry;
  /** Guest physical address bits (arm64 IPA size; x86 MAXPHYADDR). */
  readonly physAddrBits: number;
}

/**
 * arm64, review M4 (a reading of the code, marked "suspected"): a guest write to a gfn
 * that dirty logging write-protected takes a permission fault into user_mem_abort, where
 * v3 checks the userfault bitmap right after the mmu_seq snapshot (v3 06/15), so a bit
 * set on that mapped gfn exits (`checks-bitmap`, the default); `no-check` is the other
 * reading — the permission is relaxed without consulting the bitmap, as x86's
 * fast_page_fault does — and kvmuf's behaviour before M4.
 */
export type Arm64WpFault = 'checks-bitmap' | 'no-check';

export function kernelVariant(partial: Partial<KernelVariant> = {}): KernelVariant {
  const v: KernelVariant = {
    arch: partial.arch ?? 'x86',
    userfault: partial.userfault ?? (partial.exitOnMissing ? 'none' : 'v3'),
    exitOnMissing: partial.exitOnMissing ?? false,
    mutation: partial.mutation ?? 'none',
    demandPaging: partial.demandPaging ?? false,
    asyncPfUser: partial.asyncPfUser ?? false,
    // The RFC as posted (review M5, confirmed): SW_PROTECTED VMs only.
    asyncPfScope: partial.asyncPfScope ?? 'sw-protected',
    // The default is the version the KVM Userfault v3 cover letter (seed 000) links, and
    // the behaviour of five of the six posted versions.
    gmemWrite: partial.gmemWrite ?? 'enospc',
    // Mainline refuses; only the unmerged series admits it.
    gmemUffd: partial.gmemUffd ?? 'einval',
    mmu: partial.mmu ?? 'tdp',
    // Mainline since Peter Xu's fix (Cc: stable), so every maintained kernel.
    uffdEagainField: partial.uffdEagainField ?? 'written',
    // v3 06/15 puts the check in user_mem_abort before the permission-fault handling.
    arm64WpFault: partial.arm64WpFault ?? 'checks-bitmap',
    geometry: partial.geometry ?? REAL_GEOMETRY,
    physAddrBits: partial.physAddrBits ?? 40,
  };
  if (v.exitOnMissing && v.userfault !== 'none') {
    throw new SimulationUsageError('exit-on-missing and KVM Userfault both claim memslot flag bit 3: pick one');
  }
  if (v.asyncPfUser && v.arch !== 'x86') throw new SimulationUsageError('async PF user is x86 only');
  if (v.asyncPfUser && v.userfault === 'none') {
    throw new SimulationUsageError('async PF user is built on KVM Userfault exits: it needs a userfault series');
  }
  const [a, b, c] = v.geometry;
  if (a !== 1 || b < 2 || c < b || c % b !== 0 || (b & (b - 1)) !== 0) {
    throw new SimulationUsageError(
      `geometry ${JSON.stringify(v.geometry)} must be [1, 2^k, a multiple of the PMD size]`,
    );
  }
  return v;
}

export function hasUserfaultCap(v: KernelVariant): boolean {
  return v.userfault !== 'none';
}

/** Pages per mapping at a stage-2 level (1 = PTE, 2 = PMD, 3 = PUD). */
export function pagesAtLevel(v: KernelVariant, level: 1 | 2 | 3): number {
  return v.geometry[level - 1] as number;
}

/**
 * A programming error in a caller of the simulation (an impossible argument, such as a
 * vCPU that does not exist). Guest- or user-visible errors are results, never throws.
 */
export class SimulationUsageError extends Error {
  override readonly name = 'SimulationUsageError';
}
