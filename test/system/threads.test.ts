/**
 * The other thread kinds of a composed system: a background prefetcher racing demand
 * faults, Firecracker's populate-on-request hand-off, and the control thread's balloon
 * and kvm-clock restore. State counts are pinned and cross-checked with the brute-force
 * explorer (test/helpers/brute-force.ts).
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { resolveConfig, type SystemConfig } from '../../src/system/config.ts';
import { sometimes } from '../../src/checker/index.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { ignoresRemoveHandler } from '../../src/vmm/flawed.ts';
import { bundledHandler } from '../../src/vmm/index.ts';
import { kvmUserfaultHandler } from '../../src/vmm/kvm-userfault.ts';
import type { HandlerStrategy } from '../../src/vmm/strategy.ts';
import { uffdHandler } from '../../src/vmm/uffd-only.ts';
import { PROPERTY } from '../../properties/core.ts';
import { bruteForceCount } from '../helpers/brute-force.ts';
import { canonicalJson } from '../helpers/canonical-json.ts';
import type { Model } from '../../src/checker/index.ts';
import { defineHandler } from '../../src/vmm/strategy.ts';
import { uffdReaderThread } from '../../src/vmm/uffd-reader.ts';
import { specRefinement } from '../../properties/refinement.ts';

/** Every step description of a small model's reachable graph (breadth-first, JSON-identified states). */
function explore<S, A>(model: Model<S, A>): string[] {
  const seen = new Set<string>();
  const labels: string[] = [];
  const queue = [...model.initialStates()];
  for (const s of queue) seen.add(canonicalJson(s));
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i] as S;
    const actions: A[] = [];
    model.actions(s, actions);
    for (const a of actions) {
      labels.push(model.formatAction?.(s, a) ?? '');
      const t = model.next(s, a);
      const key = canonicalJson(t);
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(t);
      }
    }
  }
  return labels;
}

function handler(name: string): HandlerStrategy {
  const h = bundledHandler(name);
  if (!h) throw new Error(`no bundled handler ${name}`);
  return h;
}

describe('handler threads (2 vCPUs × 2 pages, default guest programs)', () => {
  it.each([
    ['kvm-userfault', 'anon', 'kvm-userfault+prefetch', 1756],
    ['kvm-userfault', 'guest_memfd', 'kvm-userfault+prefetch', 1756],
    ['uffd', 'anon', 'uffd+prefetch', 765],
    ['exit-on-missing', 'anon', 'exit-on-missing+prefetch', 1014],
    ['kvm-userfault', 'anon', 'populate-on-request', 636],
    ['kvm-userfault', 'guest_memfd', 'populate-on-request', 636],
  ] as const)('%s on %s with %s passes exhaustively (%i states, brute-force checked)', (design, backing, name, states) => {
    const system = composeSystem({ design, arch: 'x86', backing, vcpus: 2, pages: 2 }, handler(name));
    const r = check(systemModel(system, { consistency: true }));
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
    expect(r.stats.distinct).toBe(states);
    expect(bruteForceCount(systemModel(system)).distinct).toBe(states);
    // The race the prefetcher exists for happened: some install found the page present.
    if (name.endsWith('+prefetch')) expect(r.coverage.fired['prefetcher.prefetch']).toBeGreaterThan(0);
  });
});

describe('the balloon: MADV_DONTNEED on a registered range', () => {
  // Page 1 is local; the guest reads it after the control thread balloons it out.
  const cfg: SystemConfig = {
    design: 'uffd',
    arch: 'x86',
    backing: 'anon',
    vcpus: 1,
    pages: 2,
    remote: [0],
    programs: [[{ kind: 'read', gfn: 0 }, { kind: 'read', gfn: 1 }]],
    control: { balloon: [1] },
  };

  it('a reader that records REMOVE events refills the page with zeros: safe under every interleaving', () => {
    const r = check(systemModel(composeSystem(cfg, uffdHandler)));
    expect(r.status).toBe('pass');
  });

  it('a reader that, on EAGAIN, waits for poll() deadlocks: the event was read, mmap_changing is still up, and no message ever comes (review V1)', () => {
    const pollOnly = defineHandler({ ...uffdHandler, name: 'eagain-waits-for-poll', threads: () => [uffdReaderThread('uffd-reader', { retryEagain: false })] });
    const r = check(systemModel(composeSystem(cfg, pollOnly)));
    expect(r.status).toBe('fail');
    const f = r.failures.find((x) => x.kind === 'deadlock');
    expect(f).toBeDefined();
    const labels = f && f.kind === 'deadlock' ? f.trace.labels : [];
    expect(labels.some((l) => l.includes('read → REMOVE event'))).toBe(true);
    expect(labels.some((l) => /UFFDIO_COPY gfn 0 → EAGAIN/.test(l))).toBe(true);
  });

  it('the reference reader retries the deferred install while the madvise() caller still holds mmap_changing', () => {
    const r = check(systemModel(composeSystem(cfg, uffdHandler)));
    expect(r.status).toBe('pass');
    expect(r.coverage.fired['uffd-reader.install']).toBeGreaterThan(0);
    // Some interleaving reaches the window: event read, COPY refused, nothing to read.
    const model = systemModel(composeSystem(cfg, uffdHandler));
    const seen = explore(model).some((l) => /deferred: retry/.test(l));
    expect(seen).toBe(true);
  });

  it('a reader that ignores REMOVE events brings the old content back', () => {
    const r = check(systemModel(composeSystem(cfg, ignoresRemoveHandler)));
    const f = r.failures[0];
    expect(f?.kind).toBe('invariant');
    const labels = f && f.kind === 'invariant' ? f.trace.labels : [];
    expect(labels.some((l) => l.includes('read → REMOVE event'))).toBe(true);
    expect(labels.some((l) => l.includes('madvise(DONTNEED) gfn 1'))).toBe(true);
  });
});

describe('restore ordering: the kvm-clock page that KVM writes itself (x86)', () => {
  const base = {
    design: 'kvm-userfault',
    arch: 'x86',
    backing: 'anon',
    vcpus: 1,
    pages: 2,
    uffdMode: 'none',
    programs: [[{ kind: 'read', gfn: 1 }, { kind: 'read', gfn: 0 }]],
  } as const;

  it('if the vCPUs may run before the MSR restore, a late install overwrites what KVM wrote', () => {
    const r = check(systemModel(composeSystem({ ...base, control: { kvmClockGfn: 1 } }, kvmUserfaultHandler)));
    expect(r.failures[0]).toMatchObject({ kind: 'invariant', property: PROPERTY.memoryHoldsContent });
  });

  // Review M6: the MSR restore only activates the pvclock cache (a GUP that, with no uffd,
  // faults in a zero page); KVM writes 32 bytes at the next KVM_RUN. On a clock page shared
  // with other data, clearing the bit leaves the rest of the page as zeros that never
  // arrived (src/kvm/pvclock.ts); on a dedicated one (Linux's hv_clock_boot) the rest is
  // zeros on the source too.
  const restoreFirst = (programs: SystemConfig['programs'], uffdMode: SystemConfig['uffdMode'] = 'none', kvmClockPage: 'shared' | 'dedicated' = 'shared') =>
    check(systemModel(composeSystem({ ...base, uffdMode, programs, control: { kvmClockGfn: 1, kvmClockPage, vcpusWait: true } }, kvmUserfaultHandler)), { stopAtFirst: false });

  it('a dedicated clock page (the default, as Linux’s hv_clock_boot): restoring first and clearing its bit with no uffd loses nothing', () => {
    const r = restoreFirst([[{ kind: 'read', gfn: 1, offset: 0x40 }, { kind: 'read', gfn: 1 }, { kind: 'read', gfn: 0 }]], 'none', 'dedicated');
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
    // The default: the same configuration without kvmClockPage resolves to dedicated.
    expect(resolveConfig({ ...base, control: { kvmClockGfn: 1 } }).control.kvmClockPage).toBe('dedicated');
  });

  it('restoring before the vCPUs run and clearing that bit, with no uffd: a guest read of other data on a shared clock page sees zeros', () => {
    const r = restoreFirst([[{ kind: 'read', gfn: 1, offset: 0x40 }]]);
    const wrong = r.failures.find((f) => f.kind === 'invariant' && f.property === PROPERTY.noWrongRead);
    expect(wrong).toBeDefined();
    // The page holds KVM's 32 bytes over zeros: the read at 0x40 got 0, the source had 1.
    expect(r.failures.some((f) => f.kind === 'invariant' && f.property === PROPERTY.memoryHoldsContent)).toBe(true);
  });

  it('a guest that reads only its pvclock bytes reads them right, but the page still lacks its source content', () => {
    const r = restoreFirst([[{ kind: 'read', gfn: 1, offset: 0x8 }, { kind: 'read', gfn: 0 }]]);
    expect(r.failures.some((f) => f.kind === 'invariant' && f.property === PROPERTY.noWrongRead)).toBe(false);
    expect(r.failures.map((f) => (f.kind === 'invariant' ? f.property : f.kind))).toEqual([PROPERTY.memoryHoldsContent]);
  });

  it('with a userfaultfd reader the activation GUP waits for the source page first: safe', () => {
    const r = restoreFirst([[{ kind: 'read', gfn: 1, offset: 0x40 }, { kind: 'read', gfn: 1 }]], 'missing');
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });

  it('with a userfaultfd reader the write waits for the page and the order does not matter', () => {
    const r = check(systemModel(composeSystem({ ...base, uffdMode: 'missing', control: { kvmClockGfn: 1 } }, kvmUserfaultHandler)));
    expect(r.status).toBe('pass');
  });
});

describe('restore ordering: steal time, which record_steal_time writes at the next KVM_RUN (x86)', () => {
  // src/kvm/steal-time.ts: KVM_SET_MSRS(MSR_KVM_STEAL_TIME) only records the gpa; at vCPU
  // 0's next entry record_steal_time writes steal, version and preempted through the host
  // mapping (a user access of the vCPU thread: a zero page without uffd, a sleep in it
  // with one). The struct sits at 0x40 of a page it shares with other per-cpu data.
  const base = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 1, pages: 2 } as const;
  const otherData = [[{ kind: 'read', gfn: 1, offset: 0x100 }, { kind: 'read', gfn: 0 }]] as const;
  const stealFirst = (uffdMode: SystemConfig['uffdMode'], programs: SystemConfig['programs'] = otherData, vcpusWait = true) =>
    composeSystem({ ...base, uffdMode, programs, control: { stealTimeGfn: 1, vcpusWait } }, kvmUserfaultHandler);
  const properties = (s: ReturnType<typeof stealFirst>) => systemModel(s, { properties: [sometimes('record_steal_time sleeps in userfaultfd', (x) => x.kernel.vm.vcpus.some((v) => v.fault?.stealTime === true))] });

  it('restoring it and clearing its bit with no uffd loses the rest of the page: a read of other per-cpu data sees zeros', () => {
    const r = check(systemModel(stealFirst('none')), { stopAtFirst: false });
    const props = r.failures.map((f) => (f.kind === 'invariant' ? f.property : f.kind));
    expect(props).toContain(PROPERTY.noWrongRead);
    expect(props).toContain(PROPERTY.memoryHoldsContent);
    const wrong = r.failures.find((f) => f.kind === 'invariant' && f.property === PROPERTY.noWrongRead);
    const labels = wrong && wrong.kind === 'invariant' ? wrong.trace.labels : [];
    expect(labels.some((l) => l.includes('record_steal_time writes steal time: gfn 1 struct at 0x40..0x7f'))).toBe(true);
  });

  it('a guest that reads only the steal-time bytes reads KVM’s values, but the page still lacks its source content', () => {
    const r = check(systemModel(stealFirst('none', [[{ kind: 'read', gfn: 1, offset: 0x40 }, { kind: 'read', gfn: 0 }]])), { stopAtFirst: false });
    expect(r.failures.map((f) => (f.kind === 'invariant' ? f.property : f.kind))).toEqual([PROPERTY.memoryHoldsContent]);
  });

  it('with a userfaultfd reader the vCPU thread’s user access sleeps in it and the reader brings the source page first: safe, in either order', () => {
    for (const vcpusWait of [true, false]) {
      const system = stealFirst('missing', [[{ kind: 'read', gfn: 1, offset: 0x100 }, { kind: 'read', gfn: 1, offset: 0x40 }, { kind: 'read', gfn: 0 }]], vcpusWait);
      const r = check(properties(system));
      expect(r.failures).toEqual([]);
      expect(r.status).toBe('pass');
      // The count is the brute-force explorer's too (no fingerprint can merge states here).
      expect(bruteForceCount(systemModel(system)).distinct).toBe(r.stats.distinct);
    }
  });

  it('is x86 only, and cannot share a dedicated kvm-clock page', () => {
    expect(() => resolveConfig({ ...base, arch: 'arm64', control: { stealTimeGfn: 1 } })).toThrow(/steal-time MSR restore is x86/);
    expect(() => resolveConfig({ ...base, control: { stealTimeGfn: 1, kvmClockGfn: 1 } })).toThrow(/dedicated kvm-clock page holds nothing but pvclock data/);
    expect(resolveConfig({ ...base, control: { stealTimeGfn: 1, kvmClockGfn: 1, kvmClockPage: 'shared' } }).control.stealTimeGfn).toBe(1);
  });
});

describe('KVM Userfault only (no userfaultfd): nothing answers EEXIST', () => {
  it('vCPUs racing on a page install it once, so a late memcpy never overwrites a guest write', () => {
    // Two vCPUs exit on page 1; one installs, clears, and the guest writes it; the other's
    // install must not copy the source content over that write (the VMM's INSTALLED bit).
    const programs = [[{ kind: 'write', gfn: 1, value: 150 }, { kind: 'read', gfn: 1 }], [{ kind: 'read', gfn: 1 }]] as const;
    const r = check(systemModel(composeSystem({ design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 2, pages: 2, uffdMode: 'none', programs }, kvmUserfaultHandler)));
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
  });
});

describe('a dirty-logging round while the vCPUs run (hugetlbfs 2M pages)', () => {
  const cases = [
    { arch: 'x86', mmu: 'tdp', recovered: 'mapped4k DISABLE_DIRTY_LOG_RECOVER mappedHuge' },
    { arch: 'x86', mmu: 'shadow', recovered: 'mapped4k DISABLE_DIRTY_LOG_COLLAPSE unmapped' },
    { arch: 'arm64', mmu: 'tdp', recovered: 'mapped4k DISABLE_DIRTY_LOG mapped4k' },
  ] as const;
  for (const { arch, mmu, recovered } of cases) {
    it(`${arch}${arch === 'x86' ? ` (${mmu} MMU)` : ''}: huge mappings split to 4K and ${arch === 'x86' ? (mmu === 'tdp' ? 'are rebuilt in place' : 'are zapped to be refaulted huge') : 'stay 4K'}, as the stage-2 spec says`, () => {
      const system = composeSystem(
        { design: 'uffd', arch, mmu, backing: 'hugetlb', vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 0 }, { kind: 'read', gfn: 1 }]], control: { toggleDirtyLog: true } },
        uffdHandler,
      );
      const refinement = specRefinement(system);
      const r = check(systemModel(system, { refinement }));
      expect(r.failures).toEqual([]);
      const taken = refinement.taken().filter((t) => t.machine === 'stage2-mapping').map((t) => `${t.from} ${t.event} ${t.to}`);
      expect(taken).toContain('mappedHuge ENABLE_DIRTY_LOG mapped4k');
      expect(taken).toContain(recovered);
      for (const other of cases) if (other.recovered !== recovered) expect(taken).not.toContain(other.recovered);
    });
  }
});
