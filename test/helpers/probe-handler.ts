/** A handler whose one thread never moves on its own: tests drive a StepContext on it by hand. */
import { defineHandler } from '../../src/vmm/strategy.ts';

export const probe = defineHandler({
  name: 'probe',
  description: 'a thread whose step the tests drive by hand',
  designs: ['uffd', 'kvm-userfault'],
  vcpuExit: [],
  threads: () => [{ name: 'probe', steps: [{ label: 'idle', run: (c) => c.guard(false) }] }],
});
