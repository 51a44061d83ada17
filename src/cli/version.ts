/**
 * kvmuf's version, from its package.json: printed by `--version` and recorded in replay
 * files. Found by walking up from this module, so that it works from the sources and
 * from the build in dist/ alike.
 */
import { existsSync, readFileSync } from 'node:fs';

function versionIn(url: URL): string | undefined {
  if (!existsSync(url)) return undefined;
  const pkg: unknown = JSON.parse(readFileSync(url, 'utf8'));
  if (typeof pkg !== 'object' || pkg === null || !('name' in pkg) || pkg.name !== 'kvmuf') return undefined;
  return 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : undefined;
}

function readVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const found = versionIn(new URL('package.json', dir));
    if (found !== undefined) return found;
    if (dir.pathname === '/') return 'unknown';
  }
}

export const KVMUF_VERSION = readVersion();
