/**
 * KVM_SET_USER_MEMORY_REGION{,2} validation (reference §1–§2), including the checks of
 * the kernel's set_memory_region_test as the v3 series extends it.
 */
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import {
  Errno,
  KVM_CAP_USERFAULT,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_READONLY,
  KVM_MEM_USERFAULT,
  PAGE_SIZE,
} from '../../src/kvm/uapi.ts';
import type { UserfaultSeries } from '../../src/kvm/variant.ts';

function vm(userfault: UserfaultSeries = 'v3', arch: 'x86' | 'arm64' = 'x86', privateMem = false) {
  const sim = new KvmSim({ variant: { userfault, arch }, privateMem });
  const hva = sim.mmapAnonymous(8);
  return { sim, hva };
}

const region = (hva: number, extra: Record<string, unknown> = {}) => ({
  slot: 0,
  flags: 0,
  guest_phys_addr: 0,
  memory_size: 8 * PAGE_SIZE,
  userspace_addr: hva,
  ...extra,
});

describe('KVM_CAP_USERFAULT', () => {
  it('is reported only by kernels that carry the series', () => {
    expect(vm('v3').sim.checkExtension(KVM_CAP_USERFAULT)).toBe(1);
    expect(vm('none').sim.checkExtension(KVM_CAP_USERFAULT)).toBe(0);
  });

  it('is informational: KVM_ENABLE_CAP on it is EINVAL', () => {
    expect(vm('v3').sim.enableCap(KVM_CAP_USERFAULT)).toEqual({ ret: -1, errno: Errno.EINVAL });
  });
});

describe('invalid memslot flags (set_memory_region_test)', () => {
  // Every flag bit that a kernel does not support is EINVAL on both ioctls.
  for (const [series, supported2] of [
    ['v3', KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY | KVM_MEM_USERFAULT],
    ['none', KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY],
  ] as const) {
    it(`REGION2 on ${series}: exactly the supported bits are accepted`, () => {
      for (let bit = 0; bit < 32; bit++) {
        const { sim, hva } = vm(series);
        const flags = (1 << bit) >>> 0;
        const r = sim.setUserMemoryRegion2(region(hva, { flags }));
        expect({ bit, ok: r.ret === 0 }).toEqual({ bit, ok: (supported2 & flags) !== 0 });
        if (r.ret !== 0) expect(r.errno).toBe(Errno.EINVAL);
      }
    });
  }

  it('the legacy REGION ioctl rejects USERFAULT even with the capability', () => {
    const { sim, hva } = vm('v3');
    expect(sim.setUserMemoryRegion(region(hva, { flags: KVM_MEM_USERFAULT }))).toEqual({ ret: -1, errno: Errno.EINVAL });
    expect(sim.setUserMemoryRegion(region(hva, { flags: KVM_MEM_LOG_DIRTY_PAGES })).ret).toBe(0);
  });

  it('GUEST_MEMFD is EINVAL on a VM without private memory, and cannot combine with LOG_DIRTY_PAGES or READONLY', () => {
    const plain = vm('v3');
    expect(plain.sim.setUserMemoryRegion2(region(plain.hva, { flags: KVM_MEM_GUEST_MEMFD })).errno).toBe(Errno.EINVAL);
    const p = vm('v3', 'x86', true);
    const fd = p.sim.createGuestMemfd(8 * PAGE_SIZE).ret;
    for (const extra of [KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY]) {
      const r = p.sim.setUserMemoryRegion2(region(p.hva, { flags: KVM_MEM_GUEST_MEMFD | extra, guest_memfd: fd }));
      expect(r).toEqual({ ret: -1, errno: Errno.EINVAL });
    }
    expect(p.sim.setUserMemoryRegion2(region(p.hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd })).ret).toBe(0);
  });

  it('USERFAULT combines with LOG_DIRTY_PAGES and with READONLY in v3', () => {
    for (const extra of [KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY]) {
      const { sim, hva } = vm('v3');
      const bitmap = sim.mmapData(8);
      expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_USERFAULT | extra, userfault_bitmap: bitmap })).ret).toBe(0);
    }
  });
});

describe('general sanity checks', () => {
  it.each([
    ['memory_size not page aligned', { memory_size: 8 * PAGE_SIZE + 1 }],
    ['guest_phys_addr not page aligned', { guest_phys_addr: 0x800 }],
    ['userspace_addr not page aligned', { userspace_addr: 0x7f00_0000_0800 }],
    ['userspace_addr beyond TASK_SIZE', { userspace_addr: 0x8000_0000_0000 }],
    ['slot id beyond KVM_USER_MEM_SLOTS', { slot: 32764 }],
    ['guest_phys_addr + memory_size wraps', { guest_phys_addr: 0xffff_ffff_ffff_f000n, memory_size: 2 * PAGE_SIZE }],
  ])('%s → EINVAL', (_name, extra) => {
    const { sim, hva } = vm();
    expect(sim.setUserMemoryRegion2(region(hva, extra))).toEqual({ ret: -1, errno: Errno.EINVAL });
  });

  it('the slot id limit is per arch: x86 keeps 3 private slots', () => {
    const x86 = vm('v3', 'x86');
    expect(x86.sim.setUserMemoryRegion2(region(x86.hva, { slot: 32763 })).ret).toBe(0);
    const arm = vm('v3', 'arm64');
    expect(arm.sim.setUserMemoryRegion2(region(arm.hva, { slot: 32766 })).ret).toBe(0);
    expect(arm.sim.setUserMemoryRegion2(region(arm.hva, { slot: 32767, guest_phys_addr: 1 << 20 })).errno).toBe(Errno.EINVAL);
  });

  it('arm64 refuses a slot beyond the IPA space with EFAULT, x86 beyond MAXPHYADDR with EINVAL', () => {
    const beyond = { guest_phys_addr: 2 ** 40 - 4 * PAGE_SIZE };
    expect(vm('v3', 'arm64').sim.setUserMemoryRegion2(region(vm().hva, beyond)).errno).toBe(Errno.EFAULT);
    expect(vm('v3', 'x86').sim.setUserMemoryRegion2(region(vm().hva, beyond)).errno).toBe(Errno.EINVAL);
  });

  it('deleting a slot that does not exist is EINVAL', () => {
    const { sim, hva } = vm();
    expect(sim.setUserMemoryRegion2(region(hva, { memory_size: 0 }))).toEqual({ ret: -1, errno: Errno.EINVAL });
  });
});

describe('create, delete, move, flags-only', () => {
  it('an overlapping new slot is EEXIST; a disjoint one is fine', () => {
    const { sim, hva } = vm();
    expect(sim.setUserMemoryRegion2(region(hva)).ret).toBe(0);
    const other = sim.mmapAnonymous(8);
    expect(sim.setUserMemoryRegion2(region(other, { slot: 1, guest_phys_addr: 4 * PAGE_SIZE }))).toEqual({ ret: -1, errno: Errno.EEXIST });
    expect(sim.setUserMemoryRegion2(region(other, { slot: 1, guest_phys_addr: 8 * PAGE_SIZE })).ret).toBe(0);
  });

  it('a move changes the base; moving onto another slot is EEXIST', () => {
    const { sim, hva } = vm();
    sim.setUserMemoryRegion2(region(hva));
    const other = sim.mmapAnonymous(8);
    sim.setUserMemoryRegion2(region(other, { slot: 1, guest_phys_addr: 16 * PAGE_SIZE }));
    expect(sim.setUserMemoryRegion2(region(hva, { guest_phys_addr: 12 * PAGE_SIZE })).errno).toBe(Errno.EEXIST);
    expect(sim.setUserMemoryRegion2(region(hva, { guest_phys_addr: 32 * PAGE_SIZE })).ret).toBe(0);
    expect(sim.slot(0)?.baseGfn).toBe(32);
  });

  it('changing size, userspace_addr or READONLY of an existing slot is EINVAL', () => {
    const { sim, hva } = vm();
    sim.setUserMemoryRegion2(region(hva));
    expect(sim.setUserMemoryRegion2(region(hva, { memory_size: 4 * PAGE_SIZE })).errno).toBe(Errno.EINVAL);
    expect(sim.setUserMemoryRegion2(region(hva + PAGE_SIZE)).errno).toBe(Errno.EINVAL);
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_READONLY })).errno).toBe(Errno.EINVAL);
  });

  it('the same region again is a no-op that succeeds; deleting then works once', () => {
    const { sim, hva } = vm();
    sim.setUserMemoryRegion2(region(hva));
    expect(sim.setUserMemoryRegion2(region(hva)).ret).toBe(0);
    expect(sim.setUserMemoryRegion2(region(hva, { memory_size: 0 })).ret).toBe(0);
    expect(sim.slot(0)).toBeUndefined();
    expect(sim.setUserMemoryRegion2(region(hva, { memory_size: 0 })).errno).toBe(Errno.EINVAL);
  });

  it('USERFAULT can be toggled with a flags-only change after the slot exists', () => {
    const { sim, hva } = vm();
    sim.setUserMemoryRegion2(region(hva));
    const bitmap = sim.mmapData(8);
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_USERFAULT, userfault_bitmap: bitmap })).ret).toBe(0);
    expect(sim.slot(0)?.userfaultBitmap).toBe(bitmap);
    expect(sim.setUserMemoryRegion2(region(hva, { flags: 0, userfault_bitmap: bitmap })).ret).toBe(0);
    // The pointer is kept only while the flag is set.
    expect(sim.slot(0)?.userfaultBitmap).toBe(0);
  });
});

describe('the userfault bitmap pointer', () => {
  it('a tagged pointer is EINVAL (untagged_addr differs on arm64; beyond TASK_SIZE on x86)', () => {
    for (const arch of ['x86', 'arm64'] as const) {
      const { sim, hva } = vm('v3', arch);
      const tagged = 0x0f00_7f00_0000_0000n;
      expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_USERFAULT, userfault_bitmap: tagged })).errno).toBe(Errno.EINVAL);
    }
  });

  it('a bitmap whose end passes TASK_SIZE is EINVAL (access_ok over DIV_ROUND_UP(npages, 64) longs)', () => {
    const { sim, hva } = vm('v3', 'x86');
    const lastByte = 2 ** 47 - PAGE_SIZE;
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_USERFAULT, userfault_bitmap: lastByte - 8 })).ret).toBe(0);
    sim.setUserMemoryRegion2(region(hva, { memory_size: 0 }));
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_USERFAULT, userfault_bitmap: lastByte - 4 })).errno).toBe(Errno.EINVAL);
  });

  it('NULL, unaligned and unmapped pointers are all accepted at set time', () => {
    for (const bitmap of [0, 0x1003, 0x5000_0000]) {
      const { sim, hva } = vm();
      expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_USERFAULT, userfault_bitmap: bitmap })).ret).toBe(0);
    }
  });
});

describe('guest_memfd memslots', () => {
  function gmemVm(series: UserfaultSeries) {
    const { sim, hva } = vm(series, 'x86', true);
    const fd = sim.createGuestMemfd(8 * PAGE_SIZE).ret;
    return { sim, hva, fd };
  }

  it('binding checks: EBADF for no fd, EINVAL past the file end, EEXIST for a range already bound', () => {
    const { sim, hva, fd } = gmemVm('v3');
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: 99 })).errno).toBe(Errno.EBADF);
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd, guest_memfd_offset: PAGE_SIZE })).errno).toBe(Errno.EINVAL);
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd })).ret).toBe(0);
    const other = sim.mmapAnonymous(8);
    const again = region(other, { slot: 1, guest_phys_addr: 64 * PAGE_SIZE, flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd });
    expect(sim.setUserMemoryRegion2(again).errno).toBe(Errno.EEXIST);
  });

  it('mainline: a guest_memfd slot is immutable: even re-setting the same region is EINVAL', () => {
    const { sim, hva, fd } = gmemVm('none');
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd })).ret).toBe(0);
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd })).errno).toBe(Errno.EINVAL);
    // v3 relaxes this: the same region again is a no-op.
    const v3 = gmemVm('v3');
    v3.sim.setUserMemoryRegion2(region(v3.hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: v3.fd }));
    expect(v3.sim.setUserMemoryRegion2(region(v3.hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: v3.fd })).ret).toBe(0);
  });

  it('v3: moving a guest_memfd slot is EINVAL', () => {
    const { sim, hva, fd } = gmemVm('v3');
    sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd }));
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd, guest_phys_addr: 64 * PAGE_SIZE })).errno).toBe(Errno.EINVAL);
  });

  it('v3 (review C5): a flags-only GUEST_MEMFD toggle is accepted, and binding happens only on create: off unbinds, on binds nothing', () => {
    const { sim, hva, fd } = gmemVm('v3');
    sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd }));
    expect(sim.state.vm.slots[0]?.gmemFile).toBeGreaterThanOrEqual(0);
    expect(sim.setUserMemoryRegion2(region(hva, { flags: 0 })).ret).toBe(0);
    expect(sim.state.vm.slots[0]?.gmemFile).toBe(-1);
    expect(sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd })).ret).toBe(0);
    expect(sim.state.vm.slots[0]).toMatchObject({ flags: KVM_MEM_GUEST_MEMFD, gmemFile: -1 });
  });

  it('mainline: turning GUEST_MEMFD off passes the immutability check too (it tests the new flags only)', () => {
    const { sim, hva, fd } = gmemVm('none');
    sim.setUserMemoryRegion2(region(hva, { flags: KVM_MEM_GUEST_MEMFD, guest_memfd: fd }));
    expect(sim.setUserMemoryRegion2(region(hva, { flags: 0 })).ret).toBe(0);
    expect(sim.state.vm.slots[0]?.gmemFile).toBe(-1);
  });
});
