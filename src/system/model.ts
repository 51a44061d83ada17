/**
 * A composed system as a checker Model: the state is a SystemState; an action is the
 * index of the thread that takes its next step. Threads are deterministic, so all the
 * nondeterminism is the schedule, and each thread is one weak-fairness class.
 */
import { HandlerPanic } from './step-errors.ts';
import type { Model, Property, WordWriter } from '../checker/index.ts';
import { encodeKernel } from '../kvm/encode.ts';
import { isTaskAsleep } from '../kvm/sleep.ts';
import { coreProperties } from '../../properties/core.ts';
import type { HandlerStrategy } from '../vmm/strategy.ts';
import { resolveConfig, sourceContentOf, type ResolvedConfig, type SystemConfig } from './config.ts';
import { ConfigError } from './config-error.ts';
import { stopsVcpus, controlThread } from './control-thread.ts';
import type { Environment } from './environment.ts';
import { buildSystem } from './setup.ts';
import { runHandlerStep, type HandlerRuntimeOptions } from './handler-runtime.ts';
import { handlerProperties } from './handler-properties.ts';
import { handlerThreadsOf, vmmWordsOf } from './handler-threads.ts';
import { StepContext, StepDisabled } from './step-context.ts';
import { DONE, type SystemState } from './state.ts';
import { StateCodec } from './state-codec.ts';
import { vcpuRepresentative, vcpuSymmetryGroups } from './vcpu-symmetry.ts';
import { workerRepresentative, workerSymmetryGroups } from './worker-symmetry.ts';
import { kvmRunEntryAmple, type PartialOrderInputs } from './partial-order.ts';
import { encodePanic, encodeViolation, pushText } from './state-parts.ts';
import { mustFinish, type Step, type ThreadSpec } from './thread.ts';
import { VCPU_EXIT_STEPS, vcpuThread } from './vcpu-thread.ts';

export interface StepResult {
  readonly state: SystemState;
  readonly label: string;
  readonly description: string;
}

export interface System {
  readonly config: ResolvedConfig;
  readonly env: Environment;
  readonly threads: readonly ThreadSpec[];
  readonly initial: SystemState;
  readonly strategy: HandlerStrategy;
  /** The step thread `t` takes in state `s`, or undefined if it has none enabled. */
  step(s: SystemState, t: number): StepResult | undefined;
}

export interface ComposeOptions {
  /** How handler steps run (see handler-runtime.ts); the CLI turns the checks on for users' files. */
  readonly runtime?: HandlerRuntimeOptions;
}

export function composeSystem(config: SystemConfig, strategy: HandlerStrategy, options: ComposeOptions = {}): System {
  const cfg = resolveConfig(config);
  if (!strategy.designs.includes(cfg.design)) {
    throw new ConfigError('KVMUF107', `handler '${strategy.name}' does not serve the ${cfg.design} design`, `it serves: ${strategy.designs.join(', ')}`);
  }
  const { sim, env } = buildSystem(cfg);
  const control = controlThread(cfg.control, env);
  const controlIndex = cfg.vcpus;
  const waitForControl = (c: StepContext) => {
    if (!control) return true;
    const ct = c.sys.threads[controlIndex];
    const pc = ct?.pc ?? DONE;
    if (cfg.control.vcpusWait) return pc === DONE;
    return !stopsVcpus(control, pc, ct?.regs[0] ?? 0);
  };
  const threads: ThreadSpec[] = Array.from({ length: cfg.vcpus }, (_, v) => vcpuThread(v, strategy, waitForControl));
  if (control) threads.push(control);
  handlerThreadsOf(strategy, env).forEach((h, i) => {
    const mustFinish = h.mustFinish === true || strategy.threadsMustFinish === true;
    threads.push({ name: h.name, kind: 'handler', task: 1100 + i, regs: h.regs ?? 4, steps: h.steps, after: 0, ...(mustFinish ? { mustFinish } : {}) });
  });
  // The handler's own steps run behind the runtime boundary; kvmuf's (KVM_RUN, the control plan) do not.
  const handlerSteps = new Set<Step>(threads.flatMap((t) => (t.kind === 'vcpu' ? t.steps.slice(VCPU_EXIT_STEPS) : t.kind === 'handler' ? t.steps : [])));
  const runtime = options.runtime ?? {};
  const leavesVcpusAlone = strategy.leavesVcpusAlone === true;
  const initial: SystemState = {
    kernel: sim.state,
    threads: threads.map((t) => ({ pc: 0, regs: new Array<number>(t.regs).fill(0) })),
    expected: Array.from({ length: cfg.pages }, (_, g) => sourceContentOf(cfg, g)),
    vmm: new Array<number>(vmmWordsOf(strategy, env, cfg.pages)).fill(0),
  };

  function step(s: SystemState, t: number): StepResult | undefined {
    const spec = threads[t] as ThreadSpec;
    const ts = s.threads[t];
    if (s.panic || !ts || ts.pc === DONE || isTaskAsleep(s.kernel, spec.task)) return undefined;
    const st = spec.steps[ts.pc];
    if (!st) return undefined;
    let c: StepContext;
    let panic: string | undefined;
    if (handlerSteps.has(st)) {
      const a = runHandlerStep(st, () => new StepContext(s, t, spec, env, ts.pc, leavesVcpusAlone), { thread: spec.name, step: st.label, index: t, pc: ts.pc }, runtime);
      if (a.kind === 'disabled') return undefined;
      c = a.c;
      if (a.kind === 'panic') panic = a.message;
    } else {
      c = new StepContext(s, t, spec, env, ts.pc);
      try {
        st.run(c);
      } catch (e) {
        if (e instanceof StepDisabled) return undefined;
        // The control plan aborts the VMM when a restore ioctl fails (control-thread.ts).
        if (!(e instanceof HandlerPanic)) throw e;
        panic = e.message;
      }
    }
    if (panic !== undefined) {
      const description = [c.description, `PANIC: ${panic}`].filter((x) => x.length > 0).join('; ');
      return { state: { ...c.sys, panic: { thread: t, step: st.label, message: panic } }, label: st.label, description };
    }
    const pc = c.blocked ? ts.pc : c.next;
    const cur = c.sys.threads[t] as (typeof c.sys.threads)[number];
    const state: SystemState = { ...c.sys, threads: c.sys.threads.map((x, i) => (i === t ? { ...cur, pc } : x)) };
    return { state, label: st.label, description: c.description };
  }

  return { config: cfg, env, threads, initial, strategy, step };
}

function encodeSystem(s: SystemState, out: WordWriter): void {
  const push = (w: number) => out.push(w);
  encodeKernel(push, s.kernel);
  for (const t of s.threads) {
    push(t.pc);
    for (const r of t.regs) push(r);
  }
  for (const e of s.expected) push(e);
  for (const w of s.vmm) push(w);
  encodeViolation(push, s.violation);
  pushText(push, s.specViolation ?? '');
  encodePanic(push, s.panic);
}

/** A refinement check of each step against the spec machines (properties/refinement.ts). */
export interface StepChecker {
  check(s: SystemState, t: SystemState): string | undefined;
}

export interface SystemModelOptions {
  /** Check every step against the spec machines; a forbidden step becomes a violation. */
  readonly refinement?: StepChecker;
  /** Also check the simulation's internal contracts at every state (slower; for tests). */
  readonly consistency?: boolean;
  /** Extra properties (e.g. the refinement map, or a user's own). */
  readonly properties?: readonly Property<SystemState>[];
  /**
   * Store and queue states in the compact encoding (state-codec.ts: one word per state,
   * rebuilt on expansion). Default on; off keeps every queued state as a JS object and
   * fingerprints the full encoding (for cross-checks and measurements).
   */
  readonly compact?: boolean;
  /**
   * Symmetry over interchangeable vCPUs (vcpu-symmetry.ts) and handler workers
   * (worker-symmetry.ts), when the configuration and the handler allow it: the model gets a `representative`, which the explorer uses for
   * safety only (with it on, run the check with liveness off). Default off.
   */
  readonly symmetry?: boolean;
  /**
   * Partial-order reduction (partial-order.ts), when the handler promises leavesVcpusAlone
   * and no property beyond the built-in ones is checked: the model gets `ample`, which the
   * explorer uses for safety only (run the check with liveness off). Default off.
   */
  readonly partialOrder?: boolean;
}

/** The groups of interchangeable vCPUs `systemModel(sys, { symmetry: true })` uses (empty: no symmetry). */
export function symmetryGroupsOf(sys: System): number[][] {
  return vcpuSymmetryGroups(sys.config, sys.strategy.vcpuSymmetric === true);
}

/** The groups of interchangeable handler threads (thread indices) it uses too (worker-symmetry.ts). */
export function workerGroupsOf(sys: System): number[][] {
  return workerSymmetryGroups(sys.threads, sys.strategy.workersSymmetric === true);
}

/** What partial-order reduction needs to know about the system and the check (partial-order.ts). */
export function partialOrderInputs(sys: System, options: SystemModelOptions = {}): PartialOrderInputs {
  const opaqueProperties = handlerProperties(sys.strategy, sys.env).length > 0 || (options.properties?.length ?? 0) > 0 || options.refinement !== undefined || options.consistency === true;
  return { threads: sys.threads, leavesVcpusAlone: sys.strategy.leavesVcpusAlone === true, opaqueProperties };
}

/** The system as a model for the explorer. */
export function systemModel(sys: System, options: SystemModelOptions = {}): Model<SystemState, number> {
  let cachedFor: SystemState | undefined;
  let cached: (StepResult | undefined)[] = [];
  const successors = (s: SystemState): (StepResult | undefined)[] => {
    if (s !== cachedFor) {
      cached = sys.threads.map((_, t) => {
        const r = sys.step(s, t);
        if (!r || !options.refinement) return r;
        // Past a violation the step is still checked, for spec coverage; the first violation stays.
        const problem = options.refinement.check(s, r.state);
        return problem === undefined || s.specViolation !== undefined ? r : { ...r, state: { ...r.state, specViolation: problem } };
      });
      cachedFor = s;
    }
    return cached;
  };
  const properties = [
    ...coreProperties(sys.env, sys.threads, { consistency: options.consistency ?? false, refinement: options.refinement !== undefined }),
    ...handlerProperties(sys.strategy, sys.env),
    ...(options.properties ?? []),
  ];
  const groups = options.symmetry === true ? symmetryGroupsOf(sys) : [];
  const workers = options.symmetry === true ? workerGroupsOf(sys) : [];
  const ample = options.partialOrder === true ? kvmRunEntryAmple(partialOrderInputs(sys, options)) : undefined;
  const codec = options.compact === false ? undefined : new StateCodec(sys.initial.kernel.config, sys.initial.kernel.vm.vcpus.length, sys.threads.length);
  const kinds = [...new Set(sys.threads.flatMap((t) => t.steps.map((st) => `${t.kind === 'vcpu' ? 'vcpu' : t.name}.${st.label}`)))];
  return {
    initialStates: () => [sys.initial],
    actions(s, out) {
      successors(s).forEach((r, t) => {
        if (r) out.push(t);
      });
    },
    next(s, t) {
      const r = successors(s)[t];
      if (!r) throw new Error(`thread ${t} has no enabled step`);
      return r.state;
    },
    formatAction(s, t) {
      const spec = sys.threads[t] as ThreadSpec;
      const r = successors(s)[t];
      return `${spec.name}.${r?.label ?? '?'}${r?.description ? `: ${r.description}` : ''}`;
    },
    actionKind(s, t) {
      const spec = sys.threads[t] as ThreadSpec;
      return `${spec.kind === 'vcpu' ? 'vcpu' : spec.name}.${successors(s)[t]?.label ?? '?'}`;
    },
    actionKinds: kinds,
    ...(groups.length > 0 || workers.length > 0 ? { representative: (s: SystemState) => workerRepresentative(workers, sys.threads, vcpuRepresentative(groups, s)) } : {}),
    // Every ample action is a KVM_RUN entry, which moves one more vCPU off VCPU_ENTER: no cycle of them (partial-order.ts).
    ...(ample ? { ample, ampleCycleFree: true } : {}),
    ...(codec
      ? {
          encode: (s: SystemState, out: WordWriter) => codec.encode(s, out),
          decode: (words: Uint32Array) => codec.decode(words),
          stableEncode: encodeSystem,
          encodingBytes: () => codec.bytes,
        }
      : { encode: encodeSystem }),
    properties: () => properties,
    // A panic ends the run: it is reported as its own violation, not as a deadlock.
    isEndState: (s) => s.panic !== undefined || sys.threads.every((t, i) => !mustFinish(t) || s.threads[i]?.pc === DONE),
    fairness: (_s, t) => t,
  };
}
