/**
 * Catch a handler step that reads a clock or randomness. The sources are wrapped once
 * (the wrappers behave exactly like the originals); while a handler step runs, each
 * wrapper records its name, and the runtime reports the step as nondeterministic.
 */
let recording = false;
let seen: string | undefined;
let installed = false;

function wrap<T extends object, K extends keyof T>(owner: T | undefined, key: K, name: string): void {
  if (!owner) return;
  const original = owner[key];
  if (typeof original !== 'function') return;
  const fn = original as unknown as (...args: unknown[]) => unknown;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    if (recording && seen === undefined) seen = name;
    return fn.apply(this, args);
  };
  Object.defineProperty(owner, key, { value: wrapped, writable: true, configurable: true });
}

function install(): void {
  if (installed) return;
  installed = true;
  wrap(Date, 'now', 'Date.now()');
  wrap(Math, 'random', 'Math.random()');
  wrap(globalThis.performance, 'now', 'performance.now()');
  wrap(globalThis.crypto, 'getRandomValues', 'crypto.getRandomValues()');
  wrap(globalThis.crypto, 'randomUUID', 'crypto.randomUUID()');
  wrap(process, 'hrtime', 'process.hrtime()');
}

/** Run `f` and return what it returned and the first clock or randomness source it read. */
export function watchingNondeterminism<T>(f: () => T): { readonly value: T; readonly read: string | undefined } {
  install();
  recording = true;
  seen = undefined;
  try {
    const value = f();
    return { value, read: seen };
  } finally {
    recording = false;
  }
}
