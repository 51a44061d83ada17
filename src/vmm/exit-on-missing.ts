/**
 * The reference handler for exit-on-missing (Anish Moorthy's series, reference §7): the
 * vCPU thread installs with UFFDIO_COPY without waking (nobody sleeps on a vCPU fault
 * that exited) and re-enters; a reader thread still serves KVM's own accesses.
 */
import { populateStep } from './exit-steps.ts';
import { defineHandler, type HandlerStrategy } from './strategy.ts';
import { uffdReaderThread } from './uffd-reader.ts';

export const exitOnMissingHandler: HandlerStrategy = defineHandler({
  name: 'exit-on-missing',
  description: 'vCPU thread: UFFDIO_COPY (DONTWAKE) then re-enter; a uffd reader serves KVM’s own accesses',
  designs: ['exit-on-missing'],
  vcpuExit: [populateStep()],
  threads: () => [uffdReaderThread()],
});
