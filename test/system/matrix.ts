/** The configurations of the scale matrix, shared by the matrix test and the bench. */
import type { Arch, UserfaultSeries } from '../../src/kvm/variant.ts';
import type { Backing, DesignName, SystemConfig } from '../../src/system/config.ts';

export const MATRIX_PROGRAMS = [
  [
    { kind: 'read', gfn: 0 },
    { kind: 'write', gfn: 1, value: 9 },
  ],
  [
    { kind: 'read', gfn: 1 },
    { kind: 'read', gfn: 0 },
  ],
  [
    { kind: 'read', gfn: 0 },
    { kind: 'write', gfn: 0, value: 11 },
  ],
] as const;

/** The vCPU counts of the scale matrix. */
export const MATRIX_VCPUS = [1, 2, 3] as const;
export type MatrixVcpus = (typeof MATRIX_VCPUS)[number];

export interface MatrixEntry {
  readonly design: DesignName;
  readonly backing: Backing;
  readonly arch: Arch;
  readonly series?: UserfaultSeries;
}

const BACKINGS_BY_DESIGN: Record<string, readonly Backing[]> = {
  'kvm-userfault': ['anon', 'shmem', 'hugetlb', 'guest_memfd'],
  uffd: ['anon', 'shmem', 'hugetlb'],
  'exit-on-missing': ['anon', 'shmem', 'hugetlb'],
  'demand-paging': ['anon', 'shmem', 'hugetlb', 'guest_memfd'],
  'async-pf-user': ['anon', 'shmem', 'hugetlb', 'guest_memfd'],
  'gmem-minor': ['guest_memfd'],
};

/** Designs that exist on one arch only (async PF user is x86). */
const ARCHES_BY_DESIGN: Record<string, readonly Arch[]> = {
  'async-pf-user': ['x86'],
};

export function matrixEntries(): MatrixEntry[] {
  const out: MatrixEntry[] = [];
  for (const [design, backings] of Object.entries(BACKINGS_BY_DESIGN)) {
    for (const backing of backings) {
      for (const arch of ARCHES_BY_DESIGN[design] ?? (['x86', 'arm64'] as const)) {
        // arm64 guest_memfd needs the gmem_abort hook (Firecracker's v2 copy); v3 lacks it.
        const series = (design === 'kvm-userfault' || design === 'gmem-minor') && arch === 'arm64' && backing === 'guest_memfd' ? 'v2-firecracker' : undefined;
        out.push({ design: design as DesignName, backing, arch, ...(series ? { series } : {}) });
      }
    }
  }
  return out;
}

/** 2 pages; vCPU i runs MATRIX_PROGRAMS[i]. */
export function matrixConfig(e: MatrixEntry, vcpus: MatrixVcpus = 2): SystemConfig {
  return { ...e, vcpus, pages: 2, programs: MATRIX_PROGRAMS.slice(0, vcpus) };
}

export const matrixName = (e: MatrixEntry) => `${e.design}/${e.backing}/${e.arch}${e.series ? `/${e.series}` : ''}`;
