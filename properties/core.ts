/**
 * The core properties of every composed system (../shared/DESIGN.md "What must always
 * hold"), evaluated at every reached state.
 */
import { always, eventually, leadsTo, sometimes, type Property } from '../src/checker/index.ts';
import { consistencyProblems } from '../src/kvm/consistency.ts';
import { ABSENT } from '../src/mm/host-memory.ts';
import type { Environment } from '../src/system/environment.ts';
import { backingContent, zeroWhileRemote } from '../src/system/backing.ts';
import { contentAgrees, DONE, VIOLATION, type SystemState } from '../src/system/state.ts';
import type { ThreadSpec } from '../src/system/thread.ts';

export const PROPERTY = {
  noWrongRead: 'no access observes a page without its content',
  memoryHoldsContent: 'memory holds the content it should',
  noStaleAfterRemove: 'no content served stale after a REMOVE',
  kvmRunNeverFails: 'KVM_RUN never fails without exit information',
  simulationConsistent: 'the simulation is internally consistent',
  refinesSpec: 'every step is a transition of the spec machines',
  vcpusFinish: 'every vCPU finishes its guest program',
  faultsResolved: 'every fault message that was read is eventually resolved and its waiter woken',
  declaredThreadsFinish: 'declared threads finish',
  noKernelWarning: 'the kernel hits no WARN',
  faultServed: 'some fault is served on demand',
  handlerNeverPanics: 'the handler never panics',
} as const;

export function coreProperties(env: Environment, threads: readonly ThreadSpec[], options: { consistency?: boolean; refinement?: boolean } = {}): Property<SystemState>[] {
  const vcpuThreads = threads.map((t, i) => (t.kind === 'vcpu' ? i : -1)).filter((i) => i >= 0);
  // A ballooned page whose ground truth is 0 has been zapped: what it holds or reads is judged
  // by the REMOVE property alone (every refault reads zeros), not also by the general ones.
  const ballooned = new Set(env.config.control.balloon ?? []);
  const zappedByBalloon = (s: SystemState, g: number) => ballooned.has(g) && s.expected[g] === 0;
  const wrongRead = (s: SystemState) => s.violation !== undefined && s.violation.code !== VIOLATION.kvmRunFailed && s.violation.code !== VIOLATION.populateFailed;
  const staleRead = (s: SystemState) => wrongRead(s) && ballooned.has(s.violation?.gfn ?? -1) && s.violation?.expected === 0;
  const wrongContent = (s: SystemState, stale: boolean) => {
    for (const g of env.config.gfns) {
      if (zappedByBalloon(s, g) !== stale) continue;
      const c = backingContent(s, env, g);
      if (c !== ABSENT && !contentAgrees(s.expected[g], c) && !zeroWhileRemote(s, env, g, c)) return true;
    }
    return false;
  };
  const props: Property<SystemState>[] = [
    always(PROPERTY.noWrongRead, (s) => !wrongRead(s) || staleRead(s)),
    always(PROPERTY.kvmRunNeverFails, (s) => s.violation?.code !== VIOLATION.kvmRunFailed && s.violation?.code !== VIOLATION.populateFailed),
    always(PROPERTY.memoryHoldsContent, (s) => !wrongContent(s, false)),
    // After a balloon's zap, every refault reads zeros until the guest writes the page again.
    always(PROPERTY.noStaleAfterRemove, (s) => !staleRead(s) && !wrongContent(s, true)),
    // A step that threw (or called c.panic) killed the VMM: the run ends there.
    always(PROPERTY.handlerNeverPanics, (s) => s.panic === undefined),
    always(PROPERTY.noKernelWarning, (s) => s.kernel.vm.warnings.length === 0),
    // After a panic nothing moves; it is reported once, as the panic, not also as a liveness failure.
    eventually(PROPERTY.vcpusFinish, (s) => s.panic !== undefined || vcpuThreads.every((i) => s.threads[i]?.pc === DONE)),
    // A thread whose fault message a reader took sleeps until someone wakes it (UFFDIO_WAKE,
    // or an install that wakes): from any state with such a waiter, a state comes with none.
    leadsTo(PROPERTY.faultsResolved, (s) => s.kernel.mm.uffds.some((u) => u.waiting.length > 0), (s) => s.panic !== undefined || s.kernel.mm.uffds.every((u) => u.waiting.length === 0)),
    // A vCPU got a memory-fault exit or slept in userfaultfd, or some thread's fault is queued on one.
    sometimes(PROPERTY.faultServed, (s) =>
      s.kernel.vm.vcpus.some((v) => v.mode === 'uffd-wait' || v.run.memoryFault !== undefined) ||
      s.kernel.mm.uffds.some((u) => u.pending.length + u.waiting.length > 0),
    ),
  ];
  const declared = threads.map((t, i) => (t.kind === 'handler' && t.mustFinish === true ? i : -1)).filter((i) => i >= 0);
  if (declared.length > 0) props.push(eventually(PROPERTY.declaredThreadsFinish, (s) => s.panic !== undefined || declared.every((i) => s.threads[i]?.pc === DONE)));
  if (options.refinement) props.push(always(PROPERTY.refinesSpec, (s) => s.specViolation === undefined));
  if (options.consistency) props.push(always(PROPERTY.simulationConsistent, (s) => consistencyProblems(s.kernel).length === 0));
  return props;
}
