/**
 * A handler's `threads(env)` and `vmmWords(env)`, called once when the system is composed
 * and checked for shape: a throw or a bad value is a usage error (KVMUF213), never a crash.
 */
import type { HandlerStrategy, HandlerThread } from '../vmm/strategy.ts';
import type { Environment } from './environment.ts';
import { HandlerFault } from './handler-fault.ts';

const SHAPE = 'threads(env) returns an array of { name: string, regs?: number, steps: [{ label, run(c) }, ...] }';
const MAX_REGS = 64;
const MAX_VMM_WORDS = 4096;

function fault(message: string, hint = SHAPE): HandlerFault {
  return new HandlerFault('KVMUF213', message, hint);
}

function call<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fault(`${what} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, `${what} runs once, when the system is composed; it must not throw`);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

export function handlerThreadsOf(strategy: HandlerStrategy, env: Environment): readonly HandlerThread[] {
  if (!strategy.threads) return [];
  const list: unknown = call(`handler '${strategy.name}': threads(env)`, () => strategy.threads?.(env));
  if (!Array.isArray(list)) throw fault(`handler '${strategy.name}': threads(env) returned ${list === null ? 'null' : typeof list}, not an array`);
  const names = new Set<string>();
  list.forEach((t: unknown, i) => {
    const at = `handler '${strategy.name}': threads(env)[${i}]`;
    if (!isRecord(t) || typeof t.name !== 'string' || t.name.length === 0) throw fault(`${at} has no name`);
    if (names.has(t.name)) throw fault(`${at}: two threads are named '${t.name}'`, 'give each thread its own name (traces name threads)');
    names.add(t.name);
    if (t.regs !== undefined && (typeof t.regs !== 'number' || !Number.isInteger(t.regs) || t.regs < 1 || t.regs > MAX_REGS)) {
      throw fault(`${at} ('${t.name}'): regs must be a whole number from 1 to ${MAX_REGS}`);
    }
    if (!Array.isArray(t.steps) || t.steps.length === 0) throw fault(`${at} ('${t.name}') has no steps`);
    checkSteps(`${at} ('${t.name}')`, t.steps);
  });
  return list as HandlerThread[];
}

/** Steps are { label, run }, with labels unique in their list (goto('label') needs it). */
export function checkSteps(where: string, steps: readonly unknown[]): void {
  const labels = new Set<string>();
  steps.forEach((st, i) => {
    if (!isRecord(st) || typeof st.label !== 'string' || st.label.length === 0 || typeof st.run !== 'function') {
      throw fault(`${where}: step ${i} is not { label: string, run(c) }`);
    }
    if (labels.has(st.label)) throw fault(`${where}: two steps are labelled '${st.label}'`, "give each step its own label (c.goto('label') and traces use it)");
    labels.add(st.label);
  });
}

export function vmmWordsOf(strategy: HandlerStrategy, env: Environment, pages: number): number {
  if (!strategy.vmmWords) return pages;
  const n: unknown = call(`handler '${strategy.name}': vmmWords(env)`, () => strategy.vmmWords?.(env));
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_VMM_WORDS) {
    throw fault(`handler '${strategy.name}': vmmWords(env) returned ${String(n)}`, `return a whole number of shared words, 0 to ${MAX_VMM_WORDS}`);
  }
  return n;
}
