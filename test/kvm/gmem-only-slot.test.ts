/**
 * gmem-only memslots (stage2.ts faultsFromGmem): with the vm_uffd_ops series' base
 * (v7.0-rc1; guest_memfd mmap support since 6.18, kvm_memslot_is_gmem_only) a shared
 * vCPU fault on a mappable guest_memfd slot takes the page from the guest_memfd and never
 * touches userspace_addr, so a uffd on that mapping sees KVM's own accesses only. On the
 * KVM Userfault v3 base (no gmem-only slots) the same fault goes through the mapping.
 */
import { describe, expect, it } from 'vitest';
import { KvmSim } from '../../src/kvm/sim.ts';
import type { GmemUffdSupport } from '../../src/kvm/variant.ts';
import { GUEST_MEMFD_FLAG_MMAP } from '../../src/mm/guest-memfd.ts';
import { KVM_EXIT_HLT, KVM_MEM_GUEST_MEMFD, PAGE_SIZE, UFFDIO_REGISTER_MODE_MINOR, UFFDIO_REGISTER_MODE_MISSING } from '../../src/kvm/uapi.ts';
import { peekHostPage } from '../../src/mm/host-fault.ts';
import { ABSENT } from '../../src/mm/host-memory.ts';

function gmemVm(gmemUffd: GmemUffdSupport): { sim: KvmSim; hva: number; uffd: number } {
  const sim = new KvmSim({ privateMem: true, variant: { gmemUffd }, programs: [[{ kind: 'read', gfn: 0 }]] });
  const fd = sim.createGuestMemfd(PAGE_SIZE, GUEST_MEMFD_FLAG_MMAP).ret;
  const hva = sim.mmapGuestMemfd(fd, 1);
  expect(sim.gmemWrite(fd, 0, 42).ret).toBe(PAGE_SIZE);
  const region = { slot: 0, flags: KVM_MEM_GUEST_MEMFD, guest_phys_addr: 0, memory_size: PAGE_SIZE, userspace_addr: hva, userfault_bitmap: 0, guest_memfd: fd, guest_memfd_offset: 0 };
  expect(sim.setUserMemoryRegion2(region).ret).toBe(0);
  const uffd = sim.userfaultfd();
  if (gmemUffd === 'vm-uffd-ops') expect(sim.uffdRegister(uffd, hva, PAGE_SIZE, UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR).ret).toBe(0);
  return { sim, hva, uffd };
}

describe('gmem-only memslots', () => {
  it('vm_uffd_ops base: the vCPU reads the guest_memfd page without mapping it, and the MINOR-registered mapping sees no fault', () => {
    const { sim, hva, uffd } = gmemVm('vm-uffd-ops');
    const r = sim.runUntilExit(0);
    expect(r.kind === 'exit' && r.run.exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess).toEqual({ gfn: 0, write: false, value: 42 });
    expect(peekHostPage(sim.state.mm, hva)).toBe(ABSENT);
    expect(sim.uffdPoll(uffd)).toBe(false);
  });

  it('v3 base (mainline uffd rules): the same shared fault goes through userspace_addr and maps the page there', () => {
    const { sim, hva } = gmemVm('einval');
    const r = sim.runUntilExit(0);
    expect(r.kind === 'exit' && r.run.exitReason).toBe(KVM_EXIT_HLT);
    expect(sim.vcpu(0).lastAccess).toEqual({ gfn: 0, write: false, value: 42 });
    expect(peekHostPage(sim.state.mm, hva)).toBe(42);
  });
});
