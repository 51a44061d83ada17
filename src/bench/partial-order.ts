/**
 * Partial-order reduction on the product path (`kvmuf check --por`): kvm-userfault x86
 * anon, 4 vCPUs with the default guest programs, 2 pages, safety only (as --por runs):
 * distinct states without the reduction divided by distinct states with it, and the two
 * search times (one run each after a warm-up of both on 3 vCPUs, for the JIT: a figure to
 * read, not a timed test).
 */
import { check } from '../checker/index.ts';
import type { SystemConfig } from '../system/config.ts';
import { composeSystem, systemModel } from '../system/model.ts';
import { bundledHandlerFor } from '../vmm/index.ts';

export const POR_CONFIG: SystemConfig = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 4, pages: 2 };

export interface PorFigures {
  readonly full: number;
  readonly reduced: number;
  readonly ratio: number;
  readonly fullMs: number;
  readonly reducedMs: number;
}

export function porReduction(): PorFigures {
  const warm = composeSystem({ ...POR_CONFIG, vcpus: 3 }, bundledHandlerFor('kvm-userfault'));
  check(systemModel(warm), { liveness: false });
  check(systemModel(warm, { partialOrder: true }), { liveness: false });
  const system = composeSystem(POR_CONFIG, bundledHandlerFor('kvm-userfault'));
  const full = check(systemModel(system), { liveness: false });
  const reduced = check(systemModel(system, { partialOrder: true }), { liveness: false });
  return {
    full: full.stats.distinct,
    reduced: reduced.stats.distinct,
    ratio: full.stats.distinct / reduced.stats.distinct,
    fullMs: full.stats.elapsedMs,
    reducedMs: reduced.stats.elapsedMs,
  };
}
