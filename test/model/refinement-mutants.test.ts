/**
 * Refinement checking has teeth: against a deliberately broken kernel rule (a mutant),
 * exploration with the spec machines finds the step that the spec forbids, where the
 * core properties alone see nothing wrong; against the real rules it passes.
 */
import { describe, expect, it } from 'vitest';
import { check, formatPath, replay } from '../../src/checker/index.ts';
import type { KernelMutation } from '../../src/kvm/variant.ts';
import type { SystemConfig } from '../../src/system/config.ts';
import { composeSystem, systemModel } from '../../src/system/model.ts';
import { kvmUserfaultHandler } from '../../src/vmm/kvm-userfault.ts';
import { PROPERTY } from '../../properties/core.ts';
import { specRefinement } from '../../properties/refinement.ts';

function explore(cfg: SystemConfig, mutation: KernelMutation, refinement: boolean) {
  const system = composeSystem({ ...cfg, mutation }, kvmUserfaultHandler);
  const model = systemModel(system, refinement ? { refinement: specRefinement(system) } : {});
  const result = check(model);
  const failure = result.failures[0];
  const message = failure?.kind === 'invariant' ? replay(model, failure.trace).at(-1)?.specViolation : undefined;
  return { result, failure, message };
}

const scenarios: readonly { mutation: KernelMutation; cfg: SystemConfig; forbidden: RegExp }[] = [
  {
    // USERFAULT is armed while the vCPU runs; page 0 is local, page 1 still remote.
    mutation: 'no-zap-on-enable',
    cfg: { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 1, pages: 2, remote: [1], programs: [[{ kind: 'read', gfn: 0 }, { kind: 'read', gfn: 1 }]], control: { enableUserfault: true } },
    forbidden: /stage2-mapping\[0\]: mapped4k \(userfault false, dirtyLog false\) → mapped4k \(userfault true, dirtyLog false\) is not a transition of the spec/,
  },
  {
    // hugetlbfs 2M pages under USERFAULT.
    mutation: 'huge-while-userfault',
    cfg: { design: 'kvm-userfault', arch: 'arm64', backing: 'hugetlb', vcpus: 1, pages: 2 },
    forbidden: /stage2-mapping\[\d\]: unmapped \(userfault true, dirtyLog false\) → mappedHuge \(userfault true, dirtyLog false\) is not a transition of the spec/,
  },
];

describe('refinement against mutant kernels', () => {
  for (const { mutation, cfg, forbidden } of scenarios) {
    it(`${mutation}: the core properties alone miss it`, () => {
      expect(explore(cfg, mutation, false).result.status).toBe('pass');
    });

    it(`${mutation}: the spec machines catch it, with the shortest trace to the forbidden step`, () => {
      const { result, failure, message } = explore(cfg, mutation, true);
      expect(result.status).toBe('fail');
      expect(failure).toMatchObject({ kind: 'invariant', property: PROPERTY.refinesSpec });
      expect(message).toMatch(forbidden);
      if (failure?.kind === 'invariant') expect(formatPath(failure.trace).split('/').length).toBeLessThan(12);
    });

    it(`${mutation}: the real kernel passes the same configuration with refinement`, () => {
      expect(explore(cfg, 'none', true).result.status).toBe('pass');
    });
  }
});
