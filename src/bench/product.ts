/**
 * The composed-system path of `kvmuf check`: a kernel simulation with a reference handler
 * (systemModel), every step checked against the spec machines (refinement), liveness on.
 * Its states/s is the figure users see; the packed reference model measures the explorer
 * alone.
 */
import { check, type CheckResult } from '../checker/index.ts';
import type { SystemConfig } from '../system/config.ts';
import { composeSystem, systemModel } from '../system/model.ts';
import { bundledHandlerFor } from '../vmm/index.ts';
import { specRefinement } from '../../properties/refinement.ts';
import { spread, type Spread } from './measure.ts';

/** The fixed configuration: kvmuf check --design kvm-userfault --arch x86 --backing anon --vcpus 4 --pages 2. */
export const PRODUCT_CONFIG: SystemConfig = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 4, pages: 2 };
/** A small configuration of the same design, run first to warm up the JIT. */
const WARM_UP_CONFIG: SystemConfig = { ...PRODUCT_CONFIG, vcpus: 3 };

/** One `kvmuf check` run of `cfg`, as the CLI makes it (every failure, not only the first). */
export function productCheck(cfg: SystemConfig, o: { readonly liveness?: boolean } = {}): CheckResult {
  const system = composeSystem(cfg, bundledHandlerFor(cfg.design));
  return check(systemModel(system, { refinement: specRefinement(system) }), { stopAtFirst: false, ...(o.liveness === false ? { liveness: false } : {}) });
}

export function productRuns(runs: number): { rate: Spread; last: CheckResult } {
  productCheck(WARM_UP_CONFIG);
  const results = Array.from({ length: runs }, () => productCheck(PRODUCT_CONFIG));
  const last = results[results.length - 1] as CheckResult;
  if (last.status !== 'pass') throw new Error(`composed system: expected pass, got ${last.status}`);
  return { rate: spread(results.map((r) => r.stats.statesPerSecond)), last };
}
