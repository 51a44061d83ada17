/**
 * For each deliberately wrong bundled handler, a configuration that convicts it: the
 * smallest we found in which some property fails (`kvmuf list` shows it as a command
 * line; test/cli/convictions.test.ts runs each one and pins the property and the length
 * of its shortest trace, and runs the design's reference handler on the same
 * configuration, which passes). A wrong handler that passed everything kvmuf can express
 * would give false confidence.
 */
import type { SystemConfig } from '../system/config.ts';

const x86 = { arch: 'x86', backing: 'anon' } as const;

export const CONVICTING_CONFIGS: Readonly<Record<string, SystemConfig>> = {
  // A second vCPU reads the page between the clear and the install.
  'clear-before-populate': { design: 'kvm-userfault', ...x86, vcpus: 2, pages: 2 },
  // The bit stays set: the vCPU exits on the same page forever.
  'forgets-to-clear': { design: 'kvm-userfault', ...x86, vcpus: 1, pages: 1 },
  // KVM's own read (the ITS restore of a table on gfn 0) sleeps in userfaultfd; the vCPU
  // installs gfn 0 without waking; the reader's install answers EEXIST and it does not wake.
  'no-wake-on-eexist': { design: 'kvm-userfault', arch: 'arm64', backing: 'anon', vcpus: 1, pages: 2, control: { itsTables: [0] } },
  // Nobody reads the userfaultfd: the ITS restore sleeps in it forever.
  'no-uffd-reader': { design: 'kvm-userfault', arch: 'arm64', backing: 'anon', vcpus: 1, pages: 2, control: { itsTables: [1] } },
  // Two vCPUs race on a page: the loser's install answers EEXIST and it gives up.
  'eexist-is-fatal': { design: 'kvm-userfault', ...x86, vcpus: 2, pages: 2 },
  // The guest reads a ballooned page (mapped from the zero page), then writes it: the
  // write exits, COPY answers EEXIST, the handler re-enters, and the write exits again.
  'no-populate-write': { design: 'exit-on-missing', ...x86, vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 1 }, { kind: 'write', gfn: 1, value: 7 }]], control: { balloon: [1] } },
  // The guest gives gfn 1 up, then reads it: it must read zeros, not the source's page.
  'ignores-remove': { design: 'uffd', ...x86, vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 1 }]], control: { balloon: [1] } },
  // Guest memory in two memslots with a hole (gfns 0 and 4): the fault on gfn 4 clears bit 4
  // of the high slot's bitmap, not bit 0, so the vCPU exits on gfn 4 forever.
  'bitmap-by-gfn': { design: 'kvm-userfault', ...x86, vcpus: 1, pages: 5, memslots: [{ baseGfn: 0, npages: 1 }, { baseGfn: 4, npages: 1 }], programs: [[{ kind: 'read', gfn: 4 }]] },
  'present-before-install': { design: 'demand-paging', ...x86, vcpus: 2, pages: 2 },
  // guest_memfd: the RFC takes exits asynchronously only on KVM_X86_SW_PROTECTED_VM (review M5);
  // on anon every exit is synchronous and no token is ever issued.
  'async-pf-wrong-token': { design: 'async-pf-user', arch: 'x86', backing: 'guest_memfd', vcpus: 1, pages: 2 },
  // The kvm-clock restore's GUP sleeps in the guest_memfd mapping's uffd; the reader
  // write()s the page and stops: write() wakes no uffd waiter, nothing CONTINUEs.
  'gmem-write-no-continue': { design: 'gmem-minor', arch: 'x86', backing: 'guest_memfd', vcpus: 1, pages: 1, control: { kvmClockGfn: 0, vcpusWait: true } },
};
