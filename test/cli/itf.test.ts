/**
 * ITF traces that typed readers accept: checked by reading them back with a validator
 * that holds them to the ITF spec and to one type per variable in every state; the
 * validator itself is checked on traces that break each rule.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check-command.ts';
import { toItf } from '../../src/report/itf.ts';
import { itfProblems } from '../helpers/itf-validator.ts';
import { kvmuf } from './run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kvmuf-itf-'));

const state = (index: number, vars: Record<string, unknown>) => ({ '#meta': { index }, ...vars });
const trace = (states: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({ '#meta': { format: 'ITF' }, vars: Object.keys(states[0] ?? {}).filter((k) => k !== '#meta'), states, ...extra });

describe('the ITF validator', () => {
  it('accepts every value form of the spec, typed alike in every state', () => {
    const v = (n: number) => ({
      b: n > 0,
      s: `s${n}`,
      i: n,
      big: { '#bigint': '9007199254740993' },
      tup: { '#tup': [n, 'x'] },
      set: { '#set': n > 0 ? [1, 2] : [] },
      map: { '#map': [[n, { r: true }]] },
      rec: { a: n, b: [true] },
      list: n > 0 ? [{ '#bigint': '-3' }] : [],
    });
    expect(itfProblems(trace([state(0, v(0)), state(1, v(1))], { loop: 1 }))).toEqual([]);
  });

  it.each([
    ['a string in one state, a number in another', trace([state(0, { x: 'absent' }), state(1, { x: 1 })]), /variable x: str in one place, int in another/],
    ['a number past 2^53', trace([state(0, { x: 2 ** 53 })]), /not an integer in/],
    ['a fraction', trace([state(0, { x: 0.5 })]), /not an integer in/],
    ['no #meta.index', trace([{ x: 1 }]), /states\[0\] has no #meta.index 0/],
    ['a wrong #meta.index', trace([state(0, { x: 1 }), state(0, { x: 2 })]), /states\[1\] has no #meta.index 1/],
    ['a state without a variable', trace([state(0, { x: 1, y: 2 }), state(1, { x: 1 })]), /states\[1\] lacks the variable y/],
    ['a variable vars does not name', { '#meta': {}, vars: ['x'], states: [state(0, { x: 1, y: 2 })] }, /has y, which vars does not name/],
    ['no top-level #meta', { vars: ['x'], states: [state(0, { x: 1 })] }, /no top-level #meta/],
    ['a bad #bigint', trace([state(0, { x: { '#bigint': '0x10' } })]), /#bigint must hold a decimal string/],
    ['a list of mixed elements', trace([state(0, { x: [1, 'a'] })]), /int in one place, str in another/],
    ['records with other fields', trace([state(0, { x: { a: 1 } }), state(1, { x: { b: 1 } })]), /variable x/],
    ['a loop past the end', trace([state(0, { x: 1 })], { loop: 1 }), /loop 1 is not the index of a state/],
    ['null', trace([state(0, { x: null })]), /null is not an ITF value/],
  ])('rejects %s', (_what, bad, message) => {
    const problems = itfProblems(bad);
    expect(problems.length).toBe(1);
    expect(problems[0]).toMatch(message);
  });
});

describe('kvmuf check --itf', () => {
  it.each([
    ['a liveness lasso', ['--design', 'kvm-userfault', '--vcpus', '1', '--pages', '1', '--handler', 'forgets-to-clear']],
    ['an invariant violation on guest_memfd', ['--design', 'kvm-userfault', '--backing', 'guest_memfd', '--handler', 'test/handlers/clear-first.ts']],
  ])('writes %s as valid ITF: numbers as numbers, flags a number, one type per variable', (name, args) => {
    const file = join(tmp, `${name.replaceAll(' ', '-')}.itf.json`);
    const r = kvmuf(['check', ...args, '--itf', file]);
    expect(r.status).toBe(1);
    const itf = JSON.parse(readFileSync(file, 'utf8')) as { vars: string[]; states: Record<string, unknown>[]; loop?: number };
    expect(itfProblems(itf)).toEqual([]);
    expect(itf.states[0]?.['page0.expected']).toBe(1);
    expect(itf.states[0]?.['page0.present']).toBe(false);
    expect(itf.states[0]?.['page0.content']).toBe(0);
    for (const s of itf.states) expect(typeof s['memslot.flags']).toBe('number');
    // The content is a number once present (absent in the text output becomes present: false).
    expect(itf.states.some((s) => s['page0.present'] === true && typeof s['page0.content'] === 'number' && s['page0.content'] !== 0)).toBe(true);
    if (name.includes('lasso')) expect(itf.loop).toBeGreaterThanOrEqual(0);
  });
});

describe('toItf', { timeout: 60_000 }, () => {
  it.each([
    ['kvm-userfault', 'eexist-is-fatal', {}],
    ['kvm-userfault', 'no-uffd-reader', { arch: 'arm64', its: '1' }],
    ['kvm-userfault', 'clear-before-populate', { backing: 'shmem' }],
    ['demand-paging', 'present-before-install', {}],
    ['async-pf-user', 'async-pf-wrong-token', { backing: 'guest_memfd' }],
  ])('every counterexample of %s with %s is valid, typed ITF', async (design, handler, more) => {
    const outcome = await runCheck({ design, handler, vcpus: 2, pages: 2, ...more });
    const run = outcome.runs[0];
    if (!run) throw new Error('no run');
    const traces = run.counterexamples.filter((c) => c !== undefined);
    expect(traces.length).toBeGreaterThan(0);
    for (const cx of traces) expect(itfProblems(toItf(run.system, cx, 'test'))).toEqual([]);
  });
});
