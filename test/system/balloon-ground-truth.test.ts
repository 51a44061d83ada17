/**
 * The ground truth of a ballooned page: the guest gives it up when madvise(MADV_DONTNEED)
 * is called, so until the zap any content is right (zeros served in the window between
 * the REMOVE event's read and the zap are no false alarm); after the zap every refault
 * reads zeros ("no content served stale after a REMOVE"), until the guest writes the
 * page again (reuse, e.g. after free-page hinting).
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { PROPERTY } from '../../properties/core.ts';
import { backingContent } from '../../src/system/backing.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { GIVEN_UP, type SystemState } from '../../src/system/state.ts';
import { exitOnMissingHandler } from '../../src/vmm/exit-on-missing.ts';
import { ignoresRemoveHandler } from '../../src/vmm/flawed.ts';
import { uffdHandler } from '../../src/vmm/uffd-only.ts';
import type { HandlerStrategy } from '../../src/vmm/strategy.ts';

/** Every reachable state (small systems only). */
function reachable(config: SystemConfig, handler: HandlerStrategy): SystemState[] {
  const system = composeSystem(config, handler);
  const model = systemModel(system);
  const out: SystemState[] = [];
  const todo = [...model.initialStates()];
  const keys = new Set<string>();
  while (todo.length > 0) {
    const s = todo.pop() as SystemState;
    const key = JSON.stringify([s.kernel, s.threads, s.expected, s.vmm, s.violation]);
    if (keys.has(key)) continue;
    keys.add(key);
    out.push(s);
    const acts: number[] = [];
    model.actions(s, acts);
    for (const a of acts) todo.push(model.next(s, a));
  }
  return out;
}

describe('a ballooned page', () => {
  // Page 1 is remote and never fetched; the guest reads it while the control thread balloons it.
  const readAfterBalloon: SystemConfig = { design: 'uffd', arch: 'x86', backing: 'anon', vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 1 }]], control: { balloon: [1] } };

  it('zeros served after the REMOVE event was read, before the zap, are right: the reference reader passes', () => {
    const r = check(systemModel(composeSystem(readAfterBalloon, uffdHandler)));
    expect(r.failures).toEqual([]);
    expect(r.status).toBe('pass');
    // The window is reached: the page holds zeros while its ground truth is "given up".
    const system = composeSystem(readAfterBalloon, uffdHandler);
    const window = reachable(readAfterBalloon, uffdHandler).filter((s) => s.expected[1] === GIVEN_UP && backingContent(s, system.env, 1) === 0);
    expect(window.length).toBeGreaterThan(0);
  });

  it('the exit-on-missing reference that read the page before the zap used to be a false alarm; it passes', () => {
    const cfg: SystemConfig = { design: 'exit-on-missing', arch: 'x86', backing: 'anon', vcpus: 1, pages: 2, programs: [[{ kind: 'read', gfn: 1 }, { kind: 'write', gfn: 1, value: 7 }]], control: { balloon: [1] } };
    const r = check(systemModel(composeSystem(cfg, exitOnMissingHandler)));
    expect(r.failures).toEqual([]);
  });

  it('after the zap a refault must read zeros: a reader that refills from the source is stale', () => {
    const r = check(systemModel(composeSystem(readAfterBalloon, ignoresRemoveHandler)));
    expect(r.failures[0]).toMatchObject({ kind: 'invariant', property: PROPERTY.noStaleAfterRemove });
    // Reported under the REMOVE property, not also as a generic wrong read.
    expect(r.failures.map((f) => (f.kind === 'invariant' ? f.property : f.kind))).not.toContain(PROPERTY.noWrongRead);
  });

  it('the guest may reuse a page it gave up: after the balloon (control first) it writes and reads back its own value', () => {
    const reuse: SystemConfig = { ...readAfterBalloon, programs: [[{ kind: 'read', gfn: 1 }, { kind: 'write', gfn: 1, value: 7 }, { kind: 'read', gfn: 1 }]], control: { balloon: [1], vcpusWait: true } };
    const r = check(systemModel(composeSystem(reuse, uffdHandler)));
    expect(r.failures).toEqual([]);
    const states = reachable(reuse, uffdHandler);
    const readsBack = states.some((s) => s.kernel.vm.vcpus[0]?.lastAccess?.write === false && s.kernel.vm.vcpus[0]?.lastAccess?.value === 7);
    const readZeros = states.some((s) => s.kernel.vm.vcpus[0]?.lastAccess?.write === false && s.kernel.vm.vcpus[0]?.lastAccess?.value === 0);
    expect(readZeros).toBe(true);
    expect(readsBack).toBe(true);
  });
});
