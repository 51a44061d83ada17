/**
 * The package's public entry points (package.json `exports`), as files of this very
 * kvmuf. A user's handler that imports `kvmuf` or `kvmuf/arbitraries` is linked to these,
 * so it shares the running checker's modules wherever the handler file lives.
 */
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** Specifier → path relative to this file's folder (src/vmm), without extension. */
const ENTRIES: Readonly<Record<string, string>> = {
  kvmuf: '../index',
  'kvmuf/arbitraries': '../../properties/arbitraries',
  'kvmuf/handlers': './index',
};

export const PACKAGE_SPECIFIERS: readonly string[] = Object.keys(ENTRIES);

/** The file URL the running kvmuf serves `specifier` from, or undefined if it is not one of its entries. */
export function packageEntryUrl(specifier: string): string | undefined {
  const rel = ENTRIES[specifier];
  return rel === undefined ? undefined : new URL(`${rel}${EXT}`, import.meta.url).href;
}
