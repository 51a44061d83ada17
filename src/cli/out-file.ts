/**
 * Writing the file an `--out`/`--itf` flag names: exactly that file (created, or
 * overwritten if it exists), its folder created if missing. A folder in its place, or a
 * write the system refuses, is bad input with a code and a hint, not a stack trace.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../system/config-error.ts';

/** Refuse a folder in the file's place (called early too, before a long run). */
export function checkOutFile(flag: string, file: string): void {
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new ConfigError('KVMUF401', `--${flag} ${file} is a directory, not a file`, `name the file to write, e.g. --${flag} ${join(file, 'out')}`);
  }
}

export function writeOutFile(flag: string, file: string, text: string): void {
  checkOutFile(flag, file);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  } catch (e) {
    const why = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    throw new ConfigError('KVMUF402', `--${flag} ${file}: cannot write it (${why})`, 'name a file in a folder you can write to');
  }
}
