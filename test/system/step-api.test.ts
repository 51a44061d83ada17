/**
 * The per-kernel-object step API (c.uffd, c.mem, ...): each operation with the kernel's
 * result shape, driven directly on a composed system's states.
 */
import { describe, expect, it } from 'vitest';
import { probe } from '../helpers/probe-handler.ts';
import { Errno, PAGE_SIZE, UFFD_EVENT_PAGEFAULT } from '../../src/kvm/uapi.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, type System } from '../../src/system/model.ts';
import { StepContext, StepDisabled } from '../../src/system/step-context.ts';
import { StepApiMisuse } from '../../src/system/step-errors.ts';
import { POLLIN } from '../../src/system/step-api/uffd-facet.ts';
import type { SystemState } from '../../src/system/state.ts';
import { backingContent } from '../../src/system/backing.ts';
import { ABSENT } from '../../src/mm/host-memory.ts';
import { isTaskInUffd } from '../../src/mm/userfaultfd.ts';

function system(config: Partial<SystemConfig> = {}): { sys: System; at: (s: SystemState) => StepContext } {
  const sys = composeSystem({ design: 'uffd', arch: 'x86', backing: 'anon', vcpus: 2, pages: 4, ...config }, probe);
  const t = sys.threads.findIndex((x) => x.name === 'probe');
  const spec = sys.threads[t];
  if (!spec) throw new Error('no probe thread');
  return { sys, at: (s) => new StepContext(s, t, spec, sys.env, 0) };
}

/** Run vCPU `v` until its fault sleeps in userfaultfd (KVM_RUN, then run steps). */
function faultIn(sys: System, s: SystemState, v: number): SystemState {
  for (let i = 0; i < 4; i++) {
    const r = sys.step(s, v);
    if (!r) break;
    s = r.state;
  }
  return s;
}

describe('c.uffd', () => {
  it('COPY over a range reports its byte count; a page already there stops it short with EAGAIN, or at once with EEXIST', () => {
    const { sys, at } = system();
    const c = at(sys.initial);
    expect(c.uffd.copy(1, { pages: 1 })).toEqual({ errno: 0, bytes: PAGE_SIZE });
    const c2 = at(c.sys);
    // Pages 0..3: page 1 is now present, so a copy of 0..3 fills page 0 and stops.
    expect(c2.uffd.copy(0, { pages: 4 })).toEqual({ errno: Errno.EAGAIN, bytes: PAGE_SIZE });
    expect(at(c2.sys).uffd.copy(1, { pages: 2 })).toEqual({ errno: Errno.EEXIST, bytes: -Errno.EEXIST });
    expect(backingContent(c2.sys, sys.env, 0)).toBe(c2.fetch(0));
    expect(backingContent(c2.sys, sys.env, 2)).toBe(ABSENT);
  });

  it('ZEROPAGE on hugetlbfs is EINVAL, and so is a range that covers part of a huge page', () => {
    const { sys, at } = system({ backing: 'hugetlb', pages: 4, uffdMode: 'missing' });
    expect(sys.env.hostPagePages).toBeGreaterThan(1);
    expect(at(sys.initial).uffd.zeropage(0, { pages: sys.env.hostPagePages })).toEqual({ errno: Errno.EINVAL, bytes: -Errno.EINVAL });
    expect(at(sys.initial).uffd.copy(0, { pages: 1 })).toEqual({ errno: Errno.EINVAL, bytes: -Errno.EINVAL });
    expect(at(sys.initial).uffd.copy(0).errno).toBe(0);
  });

  it('read() takes several messages at once; EAGAIN when none; a blocking read or an infinite poll waits', () => {
    const { sys, at } = system();
    expect(at(sys.initial).uffd.read()).toEqual({ errno: Errno.EAGAIN, msgs: [] });
    expect(() => at(sys.initial).uffd.read({ nonblock: false })).toThrow(StepDisabled);
    expect(() => at(sys.initial).uffd.poll('infinite')).toThrow(StepDisabled);
    expect(at(sys.initial).uffd.poll('finite')).toBe(0);
    const s = faultIn(sys, faultIn(sys, sys.initial, 0), 1);
    expect(at(s).uffd.poll('infinite')).toBe(POLLIN);
    const r = at(s).uffd.read({ max: 4 });
    expect(r.errno).toBe(0);
    expect(r.msgs.map((m) => m.event)).toEqual([UFFD_EVENT_PAGEFAULT, UFFD_EVENT_PAGEFAULT]);
  });

  it('close(): sleeping faults retry and the range is ordinary memory (an anonymous fault gets a zero page); a second close is EBADF', () => {
    const { sys, at } = system();
    const s = faultIn(sys, sys.initial, 0);
    expect(isTaskInUffd(s.kernel.mm, 0)).toBe(true);
    const c = at(s);
    expect(c.uffd.close()).toBe(0);
    expect(isTaskInUffd(c.sys.kernel.mm, 0)).toBe(false);
    // The woken vCPU retries its fault: no userfaultfd now, so it is served from ordinary memory.
    let t = c.sys;
    for (let i = 0; i < 3; i++) t = sys.step(t, 0)?.state ?? t;
    expect(backingContent(t, sys.env, 0)).toBe(0);
    expect(at(c.sys).uffd.close()).toBe(Errno.EBADF);
    expect(at(c.sys).uffd.poll('finite')).toBe(0x20);
  });

  it('UNREGISTER wakes the range and leaves it ordinary memory', () => {
    const { sys, at } = system();
    const s = faultIn(sys, sys.initial, 0);
    const c = at(s);
    expect(c.uffd.unregister()).toBe(0);
    expect(isTaskInUffd(c.sys.kernel.mm, 0)).toBe(false);
    expect(c.sys.kernel.mm.vmas.every((v) => v.uffd < 0)).toBe(true);
  });

  it('two operations in one step, or a range past guest memory, are misuse', () => {
    const { sys, at } = system();
    const c = at(sys.initial);
    c.uffd.copy(0);
    expect(() => c.uffd.wake(0)).toThrow(/second kernel operation \(UFFDIO_WAKE\)/);
    expect(() => at(sys.initial).uffd.copy(2, { pages: 3 })).toThrow(StepApiMisuse);
  });
});

describe('c.mem', () => {
  it('madvise(DONTNEED) of a range: on anonymous memory the guest must read zeros from then on', () => {
    const { sys, at } = system({ design: 'kvm-userfault', uffdMode: 'none' });
    const c = at(sys.initial);
    expect(c.mem.madvise(1, { advice: 'dontneed', pages: 2 })).toBe(0);
    expect(c.sys.expected.slice(0, 4)).toEqual([c.fetch(0), 0, 0, c.fetch(3)]);
  });

  it('madvise(DONTNEED) of one base page of a huge page is EINVAL, and changes nothing', () => {
    const { sys, at } = system({ design: 'kvm-userfault', backing: 'hugetlb', uffdMode: 'none' });
    const c = at(sys.initial);
    expect(c.mem.madvise(1, { advice: 'dontneed' })).toBe(Errno.EINVAL);
    expect(c.sys.expected).toEqual(sys.initial.expected);
  });

  it('pwrite() fills the shmem page cache without a fault; hugetlbfs has no write(2), anonymous memory no file', () => {
    const shmem = system({ backing: 'shmem', uffdMode: 'missing' });
    const c = shmem.at(shmem.sys.initial);
    expect(c.mem.pwrite(2)).toBe(0);
    expect(c.sys.kernel.mm.files.some((f) => f.kind === 'shmem' && f.pages[2] === c.fetch(2))).toBe(true);
    const huge = system({ backing: 'hugetlb', uffdMode: 'missing' });
    expect(huge.at(huge.sys.initial).mem.pwrite(0)).toBe(Errno.EINVAL);
    const anon = system();
    expect(anon.at(anon.sys.initial).mem.pwrite(0)).toBe(Errno.EBADF);
  });
});

describe('kernel variants of the step API', () => {
  /** A state where the control thread's balloon has queued its REMOVE event (mmap_changing). */
  function eventQueued(uffdEagainField: 'written' | 'untouched'): { sys: System; at: (s: SystemState) => StepContext; s: SystemState } {
    const { sys, at } = system({ uffdEagainField, control: { balloon: [1] }, programs: [[{ kind: 'read', gfn: 0 }], [{ kind: 'read', gfn: 0 }]] });
    const control = sys.threads.findIndex((t) => t.kind === 'control');
    const s = sys.step(sys.initial, control)?.state;
    if (!s) throw new Error('the balloon step did not run');
    expect(s.kernel.mm.uffds[0]?.events.length).toBe(1);
    return { sys, at, s };
  }

  it("a zero-progress EAGAIN writes -EAGAIN into the copy field (mainline, since Peter Xu's fix)", () => {
    const { at, s } = eventQueued('written');
    expect(at(s).uffd.copy(0)).toEqual({ errno: Errno.EAGAIN, bytes: -Errno.EAGAIN });
  });

  it('before the fix the field is left as the caller set it (0 here)', () => {
    const { at, s } = eventQueued('untouched');
    expect(at(s).uffd.copy(0)).toEqual({ errno: Errno.EAGAIN, bytes: 0 });
    // A fill that made progress is unaffected by the variant.
    const fresh = system({ uffdEagainField: 'untouched' });
    expect(fresh.at(fresh.sys.initial).uffd.copy(0)).toEqual({ errno: 0, bytes: PAGE_SIZE });
  });
});

describe('c.kvm.setSystemTimeMsr and c.mem.memcpy({ basePage })', () => {
  it('the MSR restore activates the pvclock cache without writing; a bad vCPU is misuse', () => {
    const { sys, at } = system({ design: 'kvm-userfault', uffdMode: 'none' });
    const c = at(sys.initial);
    expect(c.kvm.setSystemTimeMsr(1, 2)).toBe('ok');
    expect(c.sys.kernel.vm.vcpus[1]?.pvclockPending).toBe(2 * PAGE_SIZE);
    // The GUP for writing faulted in a zero page: the source content has not arrived.
    expect(backingContent(c.sys, sys.env, 2)).toBe(0);
    expect(c.sys.expected[2]).toBe(sys.initial.expected[2]);
    expect(() => at(sys.initial).kvm.setSystemTimeMsr(2, 0)).toThrow(StepApiMisuse);
  });

  it('memcpy of one base page inside a hugetlbfs page faults the whole huge page in, zero-filled', () => {
    const { sys, at } = system({ design: 'kvm-userfault', backing: 'hugetlb', uffdMode: 'none' });
    expect(sys.env.hostPagePages).toBe(2);
    const c = at(sys.initial);
    expect(c.mem.memcpy(1, undefined, { basePage: true })).toBe('ok');
    expect([backingContent(c.sys, sys.env, 0), backingContent(c.sys, sys.env, 1)]).toEqual([0, c.fetch(1)]);
    // Without the option the whole huge page is copied (c.memcpy).
    const whole = at(sys.initial);
    whole.mem.memcpy(1);
    expect([backingContent(whole.sys, sys.env, 0), backingContent(whole.sys, sys.env, 1)]).toEqual([whole.fetch(0), whole.fetch(1)]);
  });
});
