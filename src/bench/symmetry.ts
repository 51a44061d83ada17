/**
 * The symmetry reduction on the product path: kvm-userfault x86 anon, 4 vCPUs running one
 * guest program, 2 pages, safety only (as --symmetry runs): distinct states without the
 * reduction divided by distinct states with it.
 */
import { check } from '../checker/index.ts';
import type { SystemConfig } from '../system/config.ts';
import { composeSystem, systemModel } from '../system/model.ts';
import { bundledHandlerFor } from '../vmm/index.ts';

const PROGRAM = [
  { kind: 'read', gfn: 0 },
  { kind: 'write', gfn: 1, value: 9 },
] as const;

export const SYMMETRY_CONFIG: SystemConfig = { design: 'kvm-userfault', arch: 'x86', backing: 'anon', vcpus: 4, pages: 2, programs: [PROGRAM, PROGRAM, PROGRAM, PROGRAM] };

export function symmetryReduction(): { full: number; reduced: number; ratio: number } {
  const system = composeSystem(SYMMETRY_CONFIG, bundledHandlerFor('kvm-userfault'));
  const full = check(systemModel(system), { liveness: false }).stats.distinct;
  const reduced = check(systemModel(system, { symmetry: true }), { liveness: false }).stats.distinct;
  return { full, reduced, ratio: full / reduced };
}
