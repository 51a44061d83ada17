/** The README's `kvmuf simulate` example is the real output, and its job-array examples use real flags. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SIMULATE_FLAGS } from '../../src/cli/simulate-flags.ts';
import { kvmuf } from './run-cli.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README: simulate', { timeout: 60_000 }, () => {
  it('shows what kvmuf simulate really prints', () => {
    const r = kvmuf(['simulate', '--vcpus', '2', '--pages', '2', '--handler', 'clear-before-populate', '--runs', '200']);
    expect(r.status).toBe(1);
    expect(r.stdout.startsWith('kvmuf simulate (version')).toBe(true);
    expect(README).toContain(`\`\`\`\n${r.stdout}\`\`\``);
  });

  it('the job-array examples use only flags simulate declares', () => {
    const lines = README.split('\n').filter((l) => /npx kvmuf simulate /.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const names = new Set(SIMULATE_FLAGS.map((f) => f.name));
    for (const line of lines) for (const m of line.matchAll(/--([a-z-]+)/g)) expect(names.has(m[1] ?? ''), m[0]).toBe(true);
  });
});
