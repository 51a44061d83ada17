/**
 * Load a user's handler strategy from their own TypeScript or JavaScript file. The module
 * exports it as `default` or as `handler` (use `defineHandler` for types). Any problem is
 * a ConfigError with a stable code and a hint, never a stack trace.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DESIGNS } from '../system/config.ts';
import { ConfigError } from '../system/config-error.ts';
import { compileHandler, importCompiled } from './compile-handler.ts';
import type { HandlerStrategy } from './strategy.ts';

const HINT = "export a handler: `export default defineHandler({ name, description, designs: ['kvm-userfault'], vcpuExit: [...], threads })` (see README, 'Your own handler')";

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function checkSteps(file: string, where: string, steps: unknown): void {
  if (!Array.isArray(steps)) throw new ConfigError('KVMUF202', `${file}: ${where} is not an array of steps`, HINT);
  steps.forEach((st, i) => {
    if (!isRecord(st) || typeof st.label !== 'string' || typeof st.run !== 'function') {
      throw new ConfigError('KVMUF202', `${file}: ${where}[${i}] is not a step { label: string, run(c) }`, HINT);
    }
  });
}

/** Check that `x` has the shape of a HandlerStrategy. */
export function validateHandler(file: string, x: unknown): HandlerStrategy {
  if (!isRecord(x)) throw new ConfigError('KVMUF202', `${file}: no handler exported (expected \`export default\` or \`export const handler\`)`, HINT);
  if (typeof x.name !== 'string' || x.name.length === 0) throw new ConfigError('KVMUF202', `${file}: the handler has no name`, HINT);
  if (!Array.isArray(x.designs) || x.designs.length === 0) throw new ConfigError('KVMUF202', `${file}: handler '${x.name}' lists no designs`, HINT);
  for (const d of x.designs) {
    if (!DESIGNS.includes(d as (typeof DESIGNS)[number])) {
      throw new ConfigError('KVMUF202', `${file}: handler '${x.name}' names an unknown design '${String(d)}'`, `designs: ${DESIGNS.join(', ')}`);
    }
  }
  checkSteps(file, 'vcpuExit', x.vcpuExit);
  if (x.threads !== undefined && typeof x.threads !== 'function') {
    throw new ConfigError('KVMUF202', `${file}: threads must be a function (env) => HandlerThread[]`, HINT);
  }
  if (x.description !== undefined && typeof x.description !== 'string') throw new ConfigError('KVMUF202', `${file}: description must be a string`, HINT);
  return x as unknown as HandlerStrategy;
}

export async function loadHandler(path: string): Promise<HandlerStrategy> {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new ConfigError('KVMUF201', `cannot read handler file '${path}'`, 'give the path of a .ts or .js module, e.g. --handler ./my-handler.ts');
  }
  const compiled = await compileHandler(file, path);
  let mod: unknown;
  try {
    mod = await importCompiled(compiled);
  } catch (e) {
    const first = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0] ?? '';
    throw new ConfigError('KVMUF203', `${path} failed to load: its top-level code threw ${first}`, 'fix the module so that importing it does not throw (only `threads(env)` and the steps run later)');
  }
  const exports = isRecord(mod) ? mod : {};
  const candidate = exports.default ?? exports.handler;
  return validateHandler(path, candidate);
}
