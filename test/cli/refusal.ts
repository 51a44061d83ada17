/** What every refusal of bad input looks like: exit 2, `error[CODE]` saying what, a hint, no stack trace. */
import { expect } from 'vitest';
import type { CliResult } from './run-cli.ts';
import { hasStackTrace } from './user-dir.ts';

export function expectRefused(r: CliResult, code: string, what: RegExp): void {
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(`error[${code}]`);
  expect(r.stderr).toMatch(what);
  expect(r.stderr).toMatch(/^hint: /m);
  expect(hasStackTrace(r.stderr)).toBe(false);
}
