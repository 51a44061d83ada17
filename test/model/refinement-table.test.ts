/**
 * The table-driven refinement check (abstract states as ids, transitions from a table
 * filled by XState's transition()) gives the verdicts, messages and spec coverage of the
 * string-keyed check it replaced (test/helpers/refinement-oracle.ts), and its table
 * honours guards that read the machine's context.
 */
import { describe, expect, it } from 'vitest';
import { check, replay } from '../../src/checker/index.ts';
import type { KernelMutation } from '../../src/kvm/variant.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { bundledHandlerFor } from '../../src/vmm/index.ts';
import { loadHandler } from '../../src/vmm/load-handler.ts';
import type { HandlerStrategy } from '../../src/vmm/strategy.ts';
import { specEventBetween, specRefinement } from '../../properties/refinement.ts';
import { AbstractIds } from '../../properties/abstract-ids.ts';
import { SpecTable } from '../../properties/spec-table.ts';
import { SPEC_BINDINGS } from '../../properties/spec-bindings.ts';
import { stage2MappingMachine, STAGE2_MAPPING_EVENTS } from '../../model/stage2-mapping.ts';
import { oracleRefinement } from '../helpers/refinement-oracle.ts';

const configs: readonly { name: string; cfg: SystemConfig; mutation?: KernelMutation; handler?: string }[] = [
  { name: 'kvm-userfault x86 2×2', cfg: { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 2, pages: 2 } },
  { name: 'kvm-userfault arm64 +ITS', cfg: { design: 'kvm-userfault', arch: 'arm64', backing: 'anon', vcpus: 1, pages: 2, control: { itsTables: [1] } } },
  { name: 'uffd arm64', cfg: { design: 'uffd', arch: 'arm64', backing: 'anon', vcpus: 2, pages: 2 } },
  { name: 'async-pf-user x86', cfg: { design: 'async-pf-user', arch: 'x86', backing: 'guest_memfd', vcpus: 1, pages: 2 } },
  { name: 'mutant huge-while-userfault', cfg: { design: 'kvm-userfault', arch: 'arm64', backing: 'hugetlb', vcpus: 1, pages: 2 }, mutation: 'huge-while-userfault' },
  { name: 'clear-first handler', cfg: { design: 'kvm-userfault', arch: 'x86', backing: 'guest_memfd', vcpus: 2, pages: 2 }, handler: 'test/handlers/clear-first.ts' },
];

async function handlerOf(c: (typeof configs)[number]): Promise<HandlerStrategy> {
  return c.handler ? loadHandler(c.handler) : bundledHandlerFor(c.cfg.design);
}

describe('table-driven refinement = the string-keyed oracle', () => {
  it.each(configs)('$name: same verdict, traces, messages and spec transitions taken', async (c) => {
    const system = composeSystem({ ...c.cfg, ...(c.mutation ? { mutation: c.mutation } : {}) }, await handlerOf(c));
    const fast = specRefinement(system);
    const slow = oracleRefinement(system);
    const a = check(systemModel(system, { refinement: fast }), { stopAtFirst: false });
    const fastModel = systemModel(system, { refinement: fast });
    const slowModel = systemModel(system, { refinement: slow });
    const b = check(slowModel, { stopAtFirst: false });
    expect(a.status).toBe(b.status);
    expect(a.stats.distinct).toBe(b.stats.distinct);
    expect(a.failures.map((f) => (f.kind === 'invariant' ? [f.property, f.trace.actions] : f.kind))).toEqual(
      b.failures.map((f) => (f.kind === 'invariant' ? [f.property, f.trace.actions] : f.kind)),
    );
    for (const f of b.failures) {
      if (f.kind !== 'invariant') continue;
      expect(replay(fastModel, f.trace).at(-1)?.specViolation).toBe(replay(slowModel, f.trace).at(-1)?.specViolation);
    }
    expect(fast.taken()).toEqual(slow.taken());
  });

  it('the configurations include a spec violation, so messages are compared', async () => {
    const c = configs.find((x) => x.mutation !== undefined) as (typeof configs)[number];
    const system = composeSystem({ ...c.cfg, mutation: 'huge-while-userfault' }, await handlerOf(c));
    expect(check(systemModel(system, { refinement: specRefinement(system) })).status).toBe('fail');
  });
});

describe('the spec table', () => {
  it('agrees with transition() on every pair of the states each machine reaches', () => {
    const inputs: Record<string, readonly unknown[]> = {
      'stage2-mapping': [{ arch: 'x86', series: 'v3' }, { arch: 'x86', series: 'v3', mmu: 'shadow' }, { arch: 'arm64', series: 'v3' }, { arch: 'arm64', series: 'v1' }],
      'memslot-userfault': [{ hasCap: true }, { hasCap: false }],
      'its-restore': [{ tables: 1 }, { tables: 3 }],
    };
    let pairs = 0;
    for (const b of SPEC_BINDINGS) {
      for (const input of inputs[b.name] ?? [undefined]) {
        const ctx = b.machine.config.context;
        const context = typeof ctx === 'function' ? (ctx as (a: { input: unknown }) => Record<string, unknown>)({ input }) : ((ctx ?? {}) as Record<string, unknown>);
        const table = new SpecTable(b.machine, b.events, { value: b.machine.config.initial as string, context });
        const states = [...table.ids.states];
        states.forEach((a, i) =>
          states.forEach((z, j) => {
            if (i === j) return;
            const e = table.eventBetween(i, j);
            expect(e < 0 ? null : b.events[e]?.type, `${b.name} ${a.value} → ${z.value}`).toBe(specEventBetween(b.machine, b.events, a, z));
            pairs++;
          }),
        );
      }
    }
    // Not a pinned count: only that the loop compared a substantial number of pairs.
    expect(pairs).toBeGreaterThan(100);
  });

  it('evaluates guards on the context: collapsing a 4K mapping when USERFAULT goes off is x86-only, and shadow-MMU only', () => {
    const collapse = STAGE2_MAPPING_EVENTS.findIndex((e) => e.type === 'DISABLE_USERFAULT_COLLAPSE');
    const verdict = (arch: 'x86' | 'arm64', mmu: 'tdp' | 'shadow') => {
      const table = new SpecTable(stage2MappingMachine, STAGE2_MAPPING_EVENTS);
      const from = table.ids.idOf({ value: 'mapped4k', context: { arch, series: 'v3', mmu, userfault: true, dirtyLog: false } });
      const to = table.ids.idOf({ value: 'unmapped', context: { arch, series: 'v3', mmu, userfault: false, dirtyLog: false } });
      return table.eventBetween(from, to);
    };
    expect(verdict('x86', 'shadow')).toBe(collapse);
    expect(verdict('x86', 'tdp')).toBe(-1);
    expect(verdict('arm64', 'tdp')).toBe(-1);
  });

  it('the TDP MMU maps an unmapped gfn huge when dirty logging goes off, even with USERFAULT on (v3 hole, review §1)', () => {
    const recover = STAGE2_MAPPING_EVENTS.findIndex((e) => e.type === 'DISABLE_DIRTY_LOG_RECOVER');
    const verdict = (arch: 'x86' | 'arm64', mmu: 'tdp' | 'shadow') => {
      const table = new SpecTable(stage2MappingMachine, STAGE2_MAPPING_EVENTS);
      const from = table.ids.idOf({ value: 'unmapped', context: { arch, series: 'v3', mmu, userfault: true, dirtyLog: true } });
      const to = table.ids.idOf({ value: 'mappedHuge', context: { arch, series: 'v3', mmu, userfault: true, dirtyLog: false } });
      return table.eventBetween(from, to);
    };
    expect(verdict('x86', 'tdp')).toBe(recover);
    expect(verdict('x86', 'shadow')).toBe(-1);
    expect(verdict('arm64', 'tdp')).toBe(-1);
  });

  it('gives an abstract state one id whatever the order of its context keys', () => {
    const ids = new AbstractIds();
    const a = ids.idOf({ value: 'restoring', context: { tables: 2, read: 1 } });
    expect(ids.idOf({ value: 'restoring', context: { read: 1, tables: 2 } })).toBe(a);
    expect(ids.idOf({ value: 'restoring', context: { read: 0, tables: 2 } })).not.toBe(a);
    expect(ids.idOf({ value: 'asleep', context: { tables: 2, read: 1 } })).not.toBe(a);
  });
});
