/**
 * What a replay file records about a handler given as a file: its path relative to the
 * directory `check` ran in (where `kvmuf check --json > run.json` saves the file), its
 * absolute path, and the sha256 of its content, so a replay can find it next to a
 * copied replay file and tell an edited handler from nondeterminism.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { bundledHandler } from '../vmm/index.ts';

export interface HandlerFileRecord {
  /** Relative to the replay file's directory (POSIX separators). */
  readonly path: string;
  readonly absolute: string;
  readonly sha256: string;
}

export function sha256Of(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fileSha256(file: string): string {
  return sha256Of(readFileSync(file));
}

export function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile();
}

/** The record of a --handler value that names a file (undefined for a bundled handler's name). */
export function handlerFileRecord(flag: string | undefined, cwd = process.cwd()): HandlerFileRecord | undefined {
  if (flag === undefined || bundledHandler(flag)) return undefined;
  const absolute = resolve(cwd, flag);
  if (!isFile(absolute)) return undefined;
  return { path: relative(cwd, absolute).split(sep).join('/'), absolute, sha256: fileSha256(absolute) };
}
