/** What the setup created, which every step can use: addresses, descriptors, geometry. */
import type { ResolvedConfig } from './config.ts';
import type { GuestLayout, SlotLayout } from './guest-layout.ts';

export interface Environment extends GuestLayout {
  readonly config: ResolvedConfig;
  /** Start of the guest mapping (the first memslot's userspace_addr); map gfns with hvaOf/gfnOf (guest-layout.ts). */
  readonly hva: number;
  /**
   * The first memslot's userfault bitmap (kvm-userfault design), else 0: nonzero says the
   * design has bitmaps. With several memslots each has its own: use userfaultBitOf(env, gfn).
   */
  readonly bitmap: number;
  /** The memslots as created: gfn range, userspace_addr, host offset, bitmap. */
  readonly slots: readonly SlotLayout[];
  /** The userfaultfd, or -1. */
  readonly uffd: number;
  /** The guest_memfd, or -1. */
  readonly gmemFd: number;
  /** Base pages per host page (the hugetlbfs page size; 1 otherwise). */
  readonly hostPagePages: number;
  /** The KVM Demand Paging notification fd (demand-paging design), or -1. */
  readonly demandPagingFd: number;
}
