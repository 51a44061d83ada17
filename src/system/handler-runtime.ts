/**
 * The boundary between kvmuf and a handler's steps. A step that throws is a handler
 * panic (a finding: a VMM that panics kills the VM); misuse of the step API is a usage
 * error naming the thread and step; and for handlers from users' files, the state a step
 * is given is frozen (a step that writes to it is caught) and every step runs twice from
 * the same state, with clocks and randomness watched, so that a nondeterministic step is
 * reported instead of silently skewing the search.
 */
import { SimulationUsageError } from '../kvm/variant.ts';
import { HandlerFault } from './handler-fault.ts';
import { watchingNondeterminism } from './nondeterminism-trap.ts';
import { deepFreeze, firstDifference } from './plain-data.ts';
import { StepDisabled, type StepContext } from './step-context.ts';
import { HandlerPanic, StepApiMisuse } from './step-errors.ts';
import type { Step } from './thread.ts';

/** Told when a handler step starts and ends (the CLI's watchdog for steps that never return). */
export interface StepWatch {
  enter(thread: number, pc: number): void;
  leave(): void;
}

export interface HandlerRuntimeOptions {
  /** Run each handler step twice and compare, and watch clocks and randomness. */
  readonly checkDeterminism?: boolean;
  /** Freeze the state a handler step is given, so that writing to it throws. */
  readonly freezeStates?: boolean;
  readonly watch?: StepWatch;
}

export type Attempt =
  | { readonly kind: 'disabled' }
  | { readonly kind: 'ran'; readonly c: StepContext }
  | { readonly kind: 'panic'; readonly c: StepContext; readonly message: string };

export interface StepSite {
  readonly thread: string;
  readonly step: string;
}

const FROZEN_WRITE = /read[- ]only property|object is not extensible|Cannot (add|delete|assign to|define) property|Cannot redefine property|frozen/;

function isThenable(x: unknown): boolean {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e instanceof HandlerPanic ? e.message : `${e.name}: ${e.message}`;
  return `threw ${typeof e === 'string' ? JSON.stringify(e) : String(e)}`;
}

function attempt(step: Step, c: StepContext, site: StepSite, frozen: boolean): Attempt {
  try {
    const returned: unknown = step.run(c);
    if (isThenable(returned)) {
      throw new HandlerFault('KVMUF210', `${site.thread}, step '${site.step}': run() returned a Promise`, 'steps are synchronous: remove async/await; a step is one atomic operation', site);
    }
    return { kind: 'ran', c };
  } catch (e) {
    if (e instanceof StepDisabled) return { kind: 'disabled' };
    if (e instanceof HandlerFault) throw e;
    if (e instanceof StepApiMisuse) throw new HandlerFault('KVMUF210', `${site.thread}, step '${site.step}': ${e.message}`, e.hint, site);
    if (e instanceof SimulationUsageError) {
      throw new HandlerFault('KVMUF210', `${site.thread}, step '${site.step}': ${e.message}`, 'pass the kernel operation arguments it accepts (see the step API in the README)', site);
    }
    if (frozen && e instanceof TypeError && FROZEN_WRITE.test(e.message)) {
      throw new HandlerFault(
        'KVMUF212',
        `${site.thread}, step '${site.step}' wrote to the state it was given (${e.message})`,
        'change state only through the step API: c.setReg, c.setVmm and the kernel operations',
        site,
      );
    }
    return { kind: 'panic', c, message: messageOf(e) };
  }
}

function outcomeOf(a: Attempt): unknown {
  if (a.kind === 'disabled') return { kind: 'disabled' };
  const { c } = a;
  return { kind: a.kind, sys: c.sys, next: c.next, blocked: c.blocked, description: c.description, ...(a.kind === 'panic' ? { message: a.message } : {}) };
}

/** Run one handler step behind the boundary. `context()` makes a fresh step context on the same state. */
export function runHandlerStep(step: Step, context: () => StepContext, site: StepSite & { readonly index: number; readonly pc: number }, o: HandlerRuntimeOptions): Attempt {
  const frozen = o.freezeStates === true;
  o.watch?.enter(site.index, site.pc);
  try {
    if (!o.checkDeterminism) {
      const c = context();
      if (frozen) deepFreeze(c.sys);
      return attempt(step, c, site, frozen);
    }
    const c1 = context();
    if (frozen) deepFreeze(c1.sys);
    const first = watchingNondeterminism(() => attempt(step, c1, site, frozen));
    const second = watchingNondeterminism(() => attempt(step, context(), site, frozen));
    const read = first.read ?? second.read;
    if (read !== undefined) {
      throw new HandlerFault('KVMUF211', `${site.thread}, step '${site.step}' called ${read}: a step's result must depend only on the state`, 'keep clocks and randomness out of steps; to explore choices, write one step per choice', site);
    }
    const diff = firstDifference(outcomeOf(first.value), outcomeOf(second.value));
    if (diff !== undefined) {
      throw new HandlerFault(
        'KVMUF211',
        `${site.thread}, step '${site.step}' is nondeterministic: run twice from the same state, it gave different results (at ${diff})`,
        'keep all handler state in registers (c.setReg) and VMM words (c.setVmm), not in variables outside the step',
        site,
      );
    }
    return first.value;
  } finally {
    o.watch?.leave();
  }
}
