/**
 * The README's simulation example, run with assertions. The first test fails if the
 * README's code and this file drift apart (every code line of the README block must
 * appear here verbatim).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Errno, KVM_EXIT_HLT, KVM_EXIT_MEMORY_FAULT, KVM_MEMORY_EXIT_FLAG_USERFAULT, KvmSim, KVM_MEM_USERFAULT, PAGE_SIZE } from '../../src/kvm/index.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const THIS_FILE = readFileSync(new URL(import.meta.url), 'utf8');

describe('README: the kernel simulation example', () => {
  it('is the code this test runs', () => {
    const block = README.split('## The kernel simulation')[1]?.split('```ts')[1]?.split('```')[0] ?? '';
    const lines = block
      .split('\n')
      .map((l) => l.replace(/\/\/.*$/, '').trim().replace(/;$/, ''))
      .filter((l) => l.length > 0 && !l.startsWith('import'));
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(THIS_FILE).toContain(line);
  });

  it('shows a userfault exit resolved by populate, clear, re-enter', () => {
    const sim = new KvmSim({ variant: { arch: 'x86', userfault: 'v3' }, programs: [[{ kind: 'read', gfn: 2 }]] });
    const hva = sim.mmapAnonymous(4);
    const bitmap = sim.mmapData(8);
    sim.setUserfaultBit(bitmap, 2, true);
    sim.setUserMemoryRegion2({ slot: 0, flags: KVM_MEM_USERFAULT, guest_phys_addr: 0,
      memory_size: 4 * PAGE_SIZE, userspace_addr: hva, userfault_bitmap: bitmap });
    expect(sim.runUntilExit(0)).toEqual({
      kind: 'exit',
      run: { ret: -1, errno: Errno.EFAULT, exitReason: KVM_EXIT_MEMORY_FAULT, memoryFault: { flags: KVM_MEMORY_EXIT_FLAG_USERFAULT, gpa: 0x2000, size: 4096 } },
    });
    sim.userAccess(1000, hva + 2 * PAGE_SIZE, 42);
    sim.setUserfaultBit(bitmap, 2, false);
    expect(sim.runUntilExit(0)).toMatchObject({ kind: 'exit', run: { exitReason: KVM_EXIT_HLT } });
    expect(sim.vcpu(0).lastAccess).toEqual({ gfn: 2, write: false, value: 42 });
  });
});
