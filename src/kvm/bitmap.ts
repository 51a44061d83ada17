/**
 * The VMM's stores to a userfault bitmap. Clearing a bit needs no ioctl: KVM reads the
 * bitmap at every fault. Setting a bit for a gfn that is already mapped has no effect
 * until USERFAULT is disabled and enabled again (nothing rescans the bitmap).
 * Stores are sequentially consistent here: "populate, then clear with release order" is
 * modelled as program order in the VMM thread.
 */
import { storeBitmapBit } from '../mm/data-memory.ts';
import type { KernelState } from './state.ts';
import { Errno, fail, ok, type SysResult } from './uapi.ts';

export function storeUserfaultBit(k: KernelState, bitmap: number, index: number, value: boolean): { state: KernelState; result: SysResult } {
  const mm = storeBitmapBit(k.mm, bitmap, index, value);
  if (!mm) return { state: k, result: fail(Errno.EFAULT) };
  return { state: { ...k, mm }, result: ok() };
}
