/**
 * UFFDIO_UNREGISTER (fs/userfaultfd.c userfaultfd_unregister): the range stops being
 * tracked; faults already waiting on it are woken to retry (the kernel wakes the whole
 * range: `wake_userfault(vma->vm_userfaultfd_ctx.ctx, &range)`), and from then on the
 * range behaves as ordinary memory. Like registration, it applies to whole VMAs here (the
 * kernel would split a VMA: not modelled, EINVAL).
 */
import { Errno, PAGE_SIZE, fail, ok, type SysResult } from '../kvm/uapi.ts';
import type { MmState, Uffd, Vma } from './host-memory.ts';
import { replaceAt } from './immutable.ts';
import { uffdIndex } from './userfaultfd.ts';

function inRange(address: number, start: number, len: number): boolean {
  return address >= start && address < start + len;
}

export function uffdUnregister(mm: MmState, fd: number, start: number, len: number): { mm: MmState; result: SysResult } {
  const ui = uffdIndex(mm, fd);
  if (ui < 0) return { mm, result: fail(Errno.EBADF) };
  if (start % PAGE_SIZE !== 0 || len <= 0 || len % PAGE_SIZE !== 0) return { mm, result: fail(Errno.EINVAL) };
  const end = start + len;
  let vmas = mm.vmas;
  for (let i = 0; i < vmas.length; i++) {
    const v = vmas[i] as Vma;
    const vEnd = v.start + v.npages * PAGE_SIZE;
    if (vEnd <= start || v.start >= end) continue;
    if (v.start < start || vEnd > end) return { mm, result: fail(Errno.EINVAL) };
    // A VMA registered with another userfaultfd is refused (inference: userfaultfd_unregister
    // expects the caller's own ctx on every VMA it unregisters).
    if (v.uffd >= 0 && v.uffd !== ui) return { mm, result: fail(Errno.EINVAL) };
    vmas = replaceAt(vmas, i, { ...v, uffd: -1, uffdMode: 0 });
  }
  const u = mm.uffds[ui] as Uffd;
  const uffd: Uffd = { ...u, pending: u.pending.filter((f) => !inRange(f.address, start, len)), waiting: u.waiting.filter((f) => !inRange(f.address, start, len)) };
  return { mm: { ...mm, vmas, uffds: replaceAt(mm.uffds, ui, uffd) }, result: ok() };
}
