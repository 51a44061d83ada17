/**
 * A counterexample's path replayed against the simulation, for regression tests
 * (`kvmuf check --emit-test` writes tests that call it): which properties are violated
 * along the trace. An empty answer means the bug is gone on this trace: the handler no
 * longer reaches the violation (every state holds, or the trace no longer replays
 * because the handler now takes another way).
 */
import { fileURLToPath } from 'node:url';
import { parsePath, type Model } from '../checker/index.ts';
import { specRefinement } from '../../properties/refinement.ts';
import type { SystemConfig } from '../system/config.ts';
import { composeSystem, systemModel } from '../system/model.ts';
import type { SystemState } from '../system/state.ts';
import { bundledHandler } from '../vmm/index.ts';
import { loadHandler } from '../vmm/load-handler.ts';
import type { HandlerStrategy } from '../vmm/strategy.ts';

export interface ReplayVerdict {
  /** The properties violated along the trace (empty: it no longer reaches a violation). */
  readonly violated: readonly string[];
  /** Set when the trace no longer replays: at which step, and why. */
  readonly diverged?: string;
  /** The trace as replayed, one step per line (for the failure message of a test). */
  readonly trace: string;
}

/** The state's exact encoding as text: equal exactly for equal states (to see whether a cycle closes). */
export function wordsOf(model: Model<SystemState, number>, s: SystemState): string {
  const words: number[] = [];
  model.encode(s, { push: (w) => words.push(w >>> 0) });
  return words.join(',');
}

async function strategyOf(handler: HandlerStrategy | string | URL): Promise<HandlerStrategy> {
  if (typeof handler === 'object' && !(handler instanceof URL)) return handler;
  const text = handler instanceof URL ? fileURLToPath(handler) : handler;
  return bundledHandler(text) ?? loadHandler(text);
}

/**
 * Replay `path` (as printed after a counterexample: `0/0/1`, or a lasso `0/0|1/0`) in
 * the configuration with the handler: a strategy, a bundled handler's name, or a handler
 * file (a path or a file: URL, e.g. `new URL('./my-handler.ts', import.meta.url)`).
 */
export async function replayCounterexample(config: SystemConfig, handler: HandlerStrategy | string | URL, path: string): Promise<ReplayVerdict> {
  const sys = composeSystem(config, await strategyOf(handler));
  const model: Model<SystemState, number> = systemModel(sys, { refinement: specRefinement(sys) });
  const [head = '', cycleText] = path.split('|');
  const prefix = parsePath(head);
  const cycle = cycleText ? cycleText.split('/').map(Number) : [];
  const violated = new Set<string>();
  const lines: string[] = [];
  const acts: number[] = [];
  const holds = (s: SystemState) => {
    for (const p of model.properties()) if (p.kind === 'always' && !p.condition(s)) violated.add(p.name);
  };
  let s = model.initialStates()[prefix.initial];
  if (s === undefined) return { violated: [], diverged: `no initial state ${prefix.initial}`, trace: '' };
  holds(s);
  const walk = (actions: readonly number[], from: number): string | undefined => {
    for (const [i, a] of actions.entries()) {
      acts.length = 0;
      model.actions(s as SystemState, acts);
      const t = acts[a];
      if (t === undefined) return `step ${from + i + 1}: ${acts.length} threads can move, not ${a + 1} (the handler takes another way now)`;
      lines.push(`${String(from + i + 1).padStart(3)}. ${model.formatAction(s as SystemState, t)}`);
      s = model.next(s as SystemState, t);
      holds(s);
    }
    return undefined;
  };
  const trace = () => lines.join('\n');
  const diverged = walk(prefix.actions, 0);
  if (diverged) return { violated: [...violated], diverged, trace: trace() };
  const cycleStartState = s;
  if (cycle.length > 0) {
    const around: SystemState[] = [];
    for (const [i, a] of cycle.entries()) {
      const d = walk([a], prefix.actions.length + i);
      if (d) return { violated: [...violated], diverged: d, trace: trace() };
      around.push(s);
    }
    // The cycle must come back to where it started, and postpone an obligation forever.
    if (wordsOf(model, s) === wordsOf(model, cycleStartState)) {
      for (const p of model.properties()) if (p.kind === 'eventually' && around.every((x) => !p.condition(x))) violated.add(`${p.name} (never, on this cycle)`);
    }
  }
  acts.length = 0;
  model.actions(s, acts);
  if (acts.length === 0 && !(model.isEndState?.(s) ?? false)) violated.add('deadlock: no thread can move, and the vCPUs have not finished');
  return { violated: [...violated], trace: trace() };
}
