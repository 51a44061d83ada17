/**
 * Partial-order reduction on composed systems (src/system/partial-order.ts).
 *
 * 1. The independence it rests on, checked on every reachable state of each configuration
 *    below (control plans, handler threads, prefetchers included): wherever a vCPU's
 *    KVM_RUN entry is enabled and the ample function would take it alone, it commutes with
 *    the step of every other enabled thread (both orders reach the same full encoding;
 *    neither disables the other, a panic aside), and it changes the value of no `always`
 *    or `sometimes` property. C1 quantifies over the states reachable without the entry,
 *    which are reachable states where it is still enabled: all of them are visited here.
 * 2. The reduced search against the unreduced one, safety only (as the CLI runs it): the
 *    same verdict and failed properties, never more states, and every counterexample
 *    replays on the unreduced system; over the scale matrix at 1 and 2 vCPUs (3 for the
 *    kvm-userfault backings), every bundled wrong handler on its convicting configuration,
 *    and the control plans.
 * 3. The handler's leavesVcpusAlone promise is checked: a kick is KVMUF210.
 * 4. README's table of reduced counts is what the checker counts (measured figures, kept
 *    equal to the output; their soundness is what 1 and 2 check).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectReducedLikeFull, fullKeyOf } from '../helpers/system-states.ts';
import { check, type Model } from '../../src/checker/index.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel, type System } from '../../src/system/model.ts';
import type { SystemState } from '../../src/system/state.ts';
import { CONVICTING_CONFIGS } from '../../src/vmm/convictions.ts';
import { bundledHandler, bundledHandlerFor } from '../../src/vmm/index.ts';
import { defineHandler } from '../../src/vmm/strategy.ts';
import { HandlerFault } from '../../src/system/handler-fault.ts';
import { VCPU_ENTER } from '../../src/system/vcpu-thread.ts';
import { benchOnly } from './matrix-pins.ts';
import { matrixConfig, matrixEntries, matrixName, type MatrixVcpus } from './matrix.ts';

const x86 = { arch: 'x86', backing: 'anon' } as const;

/** Configurations with every kind of thread and control step the ample function reasons about. */
const INDEPENDENCE_CASES: [string, SystemConfig, string?][] = [
  ['kvm-userfault anon x86, 3 vCPUs', { design: 'kvm-userfault', ...x86, vcpus: 3, pages: 2 }],
  ['kvm-userfault guest_memfd x86', { design: 'kvm-userfault', arch: 'x86', backing: 'guest_memfd', vcpus: 2, pages: 2 }],
  ['uffd anon x86 (reader thread)', { design: 'uffd', ...x86, vcpus: 2, pages: 2 }],
  ['uffd hugetlb x86', { design: 'uffd', arch: 'x86', backing: 'hugetlb', vcpus: 2, pages: 2 }],
  ['exit-on-missing anon x86', { design: 'exit-on-missing', ...x86, vcpus: 2, pages: 2 }],
  ['demand-paging shmem x86', { design: 'demand-paging', arch: 'x86', backing: 'shmem', vcpus: 2, pages: 2 }],
  ['gmem-minor x86 + kvm-clock', { design: 'gmem-minor', arch: 'x86', backing: 'guest_memfd', vcpus: 2, pages: 2, control: { kvmClockGfn: 1 } }],
  ['kvm-userfault arm64 + ITS restore (kicks)', { design: 'kvm-userfault', arch: 'arm64', backing: 'anon', vcpus: 2, pages: 2, control: { itsTables: [1] } }],
  ['kvm-userfault + balloon', { design: 'kvm-userfault', ...x86, vcpus: 2, pages: 2, control: { balloon: [1] } }],
  ['kvm-userfault + late enable, dirty log, disable at end', { design: 'kvm-userfault', ...x86, vcpus: 2, pages: 2, control: { enableUserfault: true, toggleDirtyLog: true, disableUserfaultAtEnd: true } }],
  ['kvm-userfault + prefetcher', { design: 'kvm-userfault', ...x86, vcpus: 2, pages: 2 }, 'kvm-userfault+prefetch'],
  ['uffd + prefetcher', { design: 'uffd', ...x86, vcpus: 2, pages: 2 }, 'uffd+prefetch'],
];

function systemOf(cfg: SystemConfig, handler?: string): System {
  return composeSystem(cfg, handler === undefined ? bundledHandlerFor(cfg.design) : (bundledHandler(handler) ?? bundledHandlerFor(cfg.design)));
}

describe('partial-order reduction: a KVM_RUN entry taken alone commutes with every other step', () => {
  for (const [name, cfg, handler] of INDEPENDENCE_CASES) {
    it(`${name}: on every reachable state`, () => {
      const sys = systemOf(cfg, handler);
      const full = fullKeyOf(sys);
      const model = systemModel(sys, { partialOrder: true }) as Model<SystemState, number>;
      expect(model.ample).toBeDefined();
      const props = model.properties().filter((p) => p.kind === 'always' || p.kind === 'sometimes');
      const seen = new Set<string>();
      const queue: SystemState[] = [sys.initial];
      let pairs = 0;
      let candidates = 0;
      while (queue.length > 0) {
        const s = queue.pop() as SystemState;
        const key = full(s);
        if (seen.has(key)) continue;
        seen.add(key);
        const enabled = sys.threads.map((_, t) => sys.step(s, t));
        for (const [i, ri] of enabled.entries()) {
          // Entries the ample function would take alone in this state (asked one at a time).
          if (!ri || sys.threads[i]?.kind !== 'vcpu' || s.threads[i]?.pc !== VCPU_ENTER || model.ample?.(s, [i])?.[0] !== 0) continue;
          candidates++;
          for (const p of props) expect(p.condition(ri.state)).toBe(p.condition(s));
          for (const [u, ru] of enabled.entries()) {
            if (u === i || !ru) continue;
            pairs++;
            const iu = sys.step(ri.state, u);
            const ui = sys.step(ru.state, i);
            expect(iu).toBeDefined();
            if (ru.state.panic !== undefined) {
              // A panic stops every thread: it happens as well after the entry (partial-order.ts).
              expect(iu?.state.panic).toEqual(ru.state.panic);
              continue;
            }
            expect(ui).toBeDefined();
            expect(full((iu as { state: SystemState }).state)).toBe(full((ui as { state: SystemState }).state));
          }
        }
        for (const r of enabled) if (r) queue.push(r.state);
      }
      expect(candidates).toBeGreaterThan(0);
      // Every configuration has two or more vCPUs: some entry meets another enabled thread.
      expect(pairs).toBeGreaterThan(0);
    }, 30_000);
  }
});

function crossCheck(sys: System): { reduced: number; full: number } {
  // Action indices are into the full list of enabled threads, so the paths replay unreduced.
  const { reduced, full } = expectReducedLikeFull(sys, { partialOrder: true });
  // async-pf-user's handlers ready async PFs on vCPUs: no promise, no ample sets, no reduction.
  expect(reduced.partialOrder !== undefined).toBe(sys.strategy.leavesVcpusAlone === true);
  if (systemModel(sys, { partialOrder: true }).ample === undefined) expect(reduced.stats.distinct).toBe(full.stats.distinct);
  return { reduced: reduced.stats.distinct, full: full.stats.distinct };
}

describe('partial-order reduction: the reduced search finds what the full one finds', () => {
  const cases: [string, SystemConfig][] = [];
  for (const e of matrixEntries()) {
    const counts: MatrixVcpus[] = e.design === 'kvm-userfault' ? [1, 2, 3] : [1, 2];
    for (const v of counts) if (!benchOnly(e.design, v, e.backing)) cases.push([`matrix ${matrixName(e)} ${v} vCPUs`, matrixConfig(e, v)]);
  }
  for (const [name, cfg] of cases) {
    it(`${name}: same verdict and failed properties, no more states, counterexamples replay`, () => {
      crossCheck(composeSystem(cfg, bundledHandlerFor(cfg.design)));
    });
  }
  for (const [name, cfg] of Object.entries(CONVICTING_CONFIGS)) {
    it(`wrong handler ${name}: convicted of the same, on its configuration and with a second vCPU`, () => {
      const handler = bundledHandler(name);
      expect(handler).toBeDefined();
      crossCheck(composeSystem(cfg, handler!));
      if (cfg.vcpus === 1 && cfg.programs === undefined) crossCheck(composeSystem({ ...cfg, vcpus: 2 }, handler!));
    });
  }
  for (const [name, cfg, handler] of INDEPENDENCE_CASES.slice(6)) {
    it(`${name}: same verdict`, () => {
      crossCheck(systemOf(cfg, handler));
    });
  }

  // No pinned count: the reduced number depends on which states are reduced. Fewer states
  // says the reduction happened; test/system/matrix-pins.ts pins the full count (4902).
  it('reduces kvm-userfault x86 anon at 3 vCPUs', () => {
    const { reduced, full: all } = crossCheck(composeSystem(matrixConfig({ design: 'kvm-userfault', backing: 'anon', arch: 'x86' }, 3), bundledHandlerFor('kvm-userfault')));
    expect(all).toBe(4902);
    expect(reduced).toBeLessThan(all);
  });
});

describe('partial-order reduction: when the model offers no ample sets', () => {
  const cfg: SystemConfig = { design: 'kvm-userfault', ...x86, vcpus: 2, pages: 2 };
  it('a handler without the leavesVcpusAlone promise', () => {
    const { leavesVcpusAlone: _dropped, ...strategy } = bundledHandlerFor('kvm-userfault');
    expect(systemModel(composeSystem(cfg, strategy), { partialOrder: true }).ample).toBeUndefined();
  });
  it('the spec refinement check, or properties of the handler', () => {
    const sys = composeSystem(cfg, bundledHandlerFor('kvm-userfault'));
    expect(systemModel(sys, { partialOrder: true, refinement: { check: () => undefined } }).ample).toBeUndefined();
    expect(systemModel(sys, { partialOrder: true, consistency: true }).ample).toBeUndefined();
    expect(systemModel(sys, { partialOrder: true }).ample).toBeDefined();
  });
  it('async-pf-user: its worker readies async PFs on vCPUs, so the handler does not promise it', () => {
    expect(bundledHandlerFor('async-pf-user').leavesVcpusAlone).not.toBe(true);
  });
});

describe('the leavesVcpusAlone promise is checked', () => {
  it('a handler step that kicks a vCPU is KVMUF210', () => {
    const kicker = defineHandler({
      name: 'kicker',
      description: 'kicks vCPU 0 from its exit steps',
      designs: ['kvm-userfault'],
      leavesVcpusAlone: true,
      vcpuExit: [{ label: 'kick', run: (c) => c.kick(0) }],
    });
    const sys = composeSystem({ design: 'kvm-userfault', ...x86, vcpus: 1, pages: 1 }, kicker);
    let fault: unknown;
    try {
      check(systemModel(sys), { liveness: false });
    } catch (e) {
      fault = (e as { cause?: unknown }).cause ?? e;
    }
    expect(fault).toBeInstanceOf(HandlerFault);
    expect((fault as HandlerFault).code).toBe('KVMUF210');
    expect((fault as HandlerFault).message).toMatch(/kick: this handler promises leavesVcpusAlone/);
  });
});

describe("README's partial-order reduction table is what the checker counts", () => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('### Partial-order reduction (`--por`)'));
  const rows = [...section.matchAll(/^\| (kvm-userfault|uffd|exit-on-missing) x86 anon (\d) vCPUs \| (\d+) \| (\d+) \|$/gm)];
  it('has the rows', () => {
    expect(rows.length).toBe(4);
  });
  for (const [, design, vcpus, full, reduced] of rows) {
    it(`${design} ${vcpus} vCPUs: ${full} states, ${reduced} with --por`, () => {
      // The CLI's default guest programs (no `programs`), as the README says.
      const sys = composeSystem({ design: design as SystemConfig['design'], ...x86, vcpus: Number(vcpus), pages: 2 }, bundledHandlerFor(design as SystemConfig['design']));
      expect(check(systemModel(sys, { partialOrder: true }), { liveness: false }).stats.distinct).toBe(Number(reduced));
      expect(check(systemModel(sys), { liveness: false }).stats.distinct).toBe(Number(full));
    }, 60_000);
  }
});
