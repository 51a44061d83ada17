/**
 * The reference handler for KVM Userfault (v3): the vCPU thread that got the exit
 * installs the page (UFFDIO_COPY/CONTINUE with DONTWAKE, or write() into the
 * guest_memfd), then clears the bit, then re-enters (reference §4). EEXIST means another
 * thread installed it first. A userfaultfd reader runs alongside for KVM's own accesses.
 */
import { clearBitStep, populateStep } from './exit-steps.ts';
import { defineHandler, type HandlerStrategy } from './strategy.ts';
import { readerIfRegistered } from './uffd-reader.ts';

export const kvmUserfaultHandler: HandlerStrategy = defineHandler({
  name: 'kvm-userfault',
  // No kick, async PF ready, MSR or device ioctl, and no direct reads of vCPUs (partial-order.ts).
  leavesVcpusAlone: true,
  description: 'vCPU thread: install (DONTWAKE), then clear the bit (release), then re-enter; a uffd reader serves KVM’s own accesses',
  designs: ['kvm-userfault'],
  // Keeps per-page bookkeeping only; no word or register names a vCPU (vcpu-symmetry.ts).
  vcpuSymmetric: true,
  vcpuExit: [populateStep(), clearBitStep()],
  threads: readerIfRegistered,
});
