/**
 * The properties a handler declares (`properties` on the strategy), checked for shape
 * once when the model is built (a bad one is KVMUF213, like a bad thread) and wrapped so
 * that a condition that throws is a handler fault naming the property, not a crash.
 */
import type { Property } from '../checker/index.ts';
import type { HandlerStrategy } from '../vmm/strategy.ts';
import type { Environment } from './environment.ts';
import { HandlerFault } from './handler-fault.ts';
import type { SystemState } from './state.ts';

const SHAPE = "properties is an array of always(name, (s) => ...), eventually(...), leadsTo(...) or sometimes(...) from 'kvmuf', or (env) => such an array";
const KINDS = new Set(['always', 'sometimes', 'eventually']);

function isProperty(x: unknown): x is Property<SystemState> {
  if (typeof x !== 'object' || x === null) return false;
  const p = x as Record<string, unknown>;
  return typeof p.kind === 'string' && KINDS.has(p.kind) && typeof p.name === 'string' && p.name.length > 0 && typeof p.condition === 'function' && (p.trigger === undefined || typeof p.trigger === 'function');
}

function guarded(strategy: string, name: string, f: (s: SystemState) => boolean): (s: SystemState) => boolean {
  return (s) => {
    try {
      return f(s) === true;
    } catch (e) {
      throw new HandlerFault('KVMUF213', `handler '${strategy}': property '${name}' threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, 'a property reads the state and returns a boolean; it must not throw');
    }
  };
}

export function handlerProperties(strategy: HandlerStrategy, env: Environment): Property<SystemState>[] {
  const declared = strategy.properties;
  if (declared === undefined) return [];
  let list: unknown;
  try {
    list = typeof declared === 'function' ? declared(env) : declared;
  } catch (e) {
    throw new HandlerFault('KVMUF213', `handler '${strategy.name}': properties(env) threw ${e instanceof Error ? e.message : String(e)}`, SHAPE);
  }
  if (!Array.isArray(list)) throw new HandlerFault('KVMUF213', `handler '${strategy.name}': properties is not an array`, SHAPE);
  return list.map((p: unknown, i) => {
    if (!isProperty(p)) throw new HandlerFault('KVMUF213', `handler '${strategy.name}': properties[${i}] is not a property`, SHAPE);
    const name = p.name;
    const trigger = p.trigger;
    return { ...p, condition: guarded(strategy.name, name, p.condition), ...(trigger ? { trigger: guarded(strategy.name, name, trigger) } : {}) };
  });
}
