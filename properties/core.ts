/**
 * The core properties of every composed system (../shared/DESIGN.md "What must always
 * hold"), evaluated at every reached state.
 */
import { always, eventually, sometimes, type Property } from '../src/checker/index.ts';
import { consistencyProblems } from '../src/kvm/consistency.ts';
import { ABSENT } from '../src/mm/host-memory.ts';
import type { Environment } from '../src/system/environment.ts';
import { backingContent, zeroWhileRemote } from '../src/system/backing.ts';
import { DONE, VIOLATION, type SystemState } from '../src/system/state.ts';
import type { ThreadSpec } from '../src/system/thread.ts';

export const PROPERTY = {
  noWrongRead: 'no access observes a page without its content',
  memoryHoldsContent: 'memory holds the content it should',
  kvmRunNeverFails: 'KVM_RUN never fails without exit information',
  simulationConsistent: 'the simulation is internally consistent',
  refinesSpec: 'every step is a transition of the spec machines',
  vcpusFinish: 'every vCPU finishes its guest program',
  noKernelWarning: 'the kernel hits no WARN',
  faultServed: 'some fault is served on demand',
  handlerNeverPanics: 'the handler never panics',
} as const;

export function coreProperties(env: Environment, threads: readonly ThreadSpec[], options: { consistency?: boolean; refinement?: boolean } = {}): Property<SystemState>[] {
  const vcpuThreads = threads.map((t, i) => (t.kind === 'vcpu' ? i : -1)).filter((i) => i >= 0);
  const props: Property<SystemState>[] = [
    always(PROPERTY.noWrongRead, (s) => s.violation === undefined || s.violation.code === VIOLATION.kvmRunFailed || s.violation.code === VIOLATION.populateFailed),
    always(PROPERTY.kvmRunNeverFails, (s) => s.violation?.code !== VIOLATION.kvmRunFailed && s.violation?.code !== VIOLATION.populateFailed),
    always(PROPERTY.memoryHoldsContent, (s) => {
      for (let g = 0; g < env.config.pages; g++) {
        const c = backingContent(s, env, g);
        if (c !== ABSENT && c !== s.expected[g] && !zeroWhileRemote(s, env, g, c)) return false;
      }
      return true;
    }),
    // A step that threw (or called c.panic) killed the VMM: the run ends there.
    always(PROPERTY.handlerNeverPanics, (s) => s.panic === undefined),
    always(PROPERTY.noKernelWarning, (s) => s.kernel.vm.warnings.length === 0),
    // After a panic nothing moves; it is reported once, as the panic, not also as a liveness failure.
    eventually(PROPERTY.vcpusFinish, (s) => s.panic !== undefined || vcpuThreads.every((i) => s.threads[i]?.pc === DONE)),
    // A vCPU got a memory-fault exit or slept in userfaultfd, or some thread's fault is queued on one.
    sometimes(PROPERTY.faultServed, (s) =>
      s.kernel.vm.vcpus.some((v) => v.mode === 'uffd-wait' || v.run.memoryFault !== undefined) ||
      s.kernel.mm.uffds.some((u) => u.pending.length + u.waiting.length > 0),
    ),
  ];
  if (options.refinement) props.push(always(PROPERTY.refinesSpec, (s) => s.specViolation === undefined));
  if (options.consistency) props.push(always(PROPERTY.simulationConsistent, (s) => consistencyProblems(s.kernel).length === 0));
  return props;
}
