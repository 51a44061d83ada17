/** What the guest-visible backing of a guest page holds right now. */
import { PAGE_SIZE } from '../kvm/uapi.ts';
import { ABSENT, ZERO_CONTENT } from '../mm/host-memory.ts';
import { readBitmapBit } from '../mm/data-memory.ts';
import type { Environment } from './environment.ts';
import { hvaOf, userfaultBitOf } from './guest-layout.ts';
import type { SystemState } from './state.ts';

/**
 * The content of guest page `gfn`'s backing, or ABSENT: for anonymous, shmem and
 * hugetlbfs memory the page once mapped in the guest mapping (a MINOR-mode page that is
 * only in the page cache is not visible yet); for guest_memfd the file's page.
 */
export function backingContent(s: SystemState, env: Environment, gfn: number): number {
  const mm = s.kernel.mm;
  const hva = hvaOf(env, gfn);
  const vma = mm.vmas.find((v) => hva >= v.start && hva < v.start + v.npages * PAGE_SIZE);
  if (!vma) return ABSENT;
  const file = mm.files[vma.file];
  const index = (hva - vma.start) / PAGE_SIZE;
  if (!vma.mapped[index] && file?.kind !== 'guest_memfd') return ABSENT;
  return file?.pages[vma.fileOffset + index] ?? ABSENT;
}

/**
 * Whether `gfn` holds zeros only because its host page came in with a neighbour's (a
 * whole THP zero-filled by a write fault, thp-fault.ts) while its content has not arrived:
 * its userfault bit is still set, so no vCPU fault can map it (KVM Userfault). Such zeros
 * are a wrong state only once someone reads them, which the read checks catch.
 */
export function zeroWhileRemote(s: SystemState, env: Environment, gfn: number, content: number): boolean {
  const bit = userfaultBitOf(env, gfn);
  return content === ZERO_CONTENT && bit !== undefined && readBitmapBit(s.kernel.mm, bit.bitmap, bit.index) === true;
}
