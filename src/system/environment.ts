/** What the setup created, which every step can use: addresses, descriptors, geometry. */
import type { ResolvedConfig } from './config.ts';

export interface Environment {
  readonly config: ResolvedConfig;
  /** Host virtual address of guest page 0 (the guest mapping). */
  readonly hva: number;
  /** The userfault bitmap (kvm-userfault design), else 0. */
  readonly bitmap: number;
  /** The userfaultfd, or -1. */
  readonly uffd: number;
  /** The guest_memfd, or -1. */
  readonly gmemFd: number;
  /** Base pages per host page (the hugetlbfs page size; 1 otherwise). */
  readonly hostPagePages: number;
  /** The KVM Demand Paging notification fd (demand-paging design), or -1. */
  readonly demandPagingFd: number;
}
