/**
 * `kvmuf check --symmetry` over a user's pool of identical handler workers, as a user runs
 * it: a handler file in a folder outside the repository with two userfaultfd readers built
 * from the same step objects, promising workersSymmetric. The reduced run must reach the
 * same verdict as the full one with fewer states, a wrong variant must be convicted of the
 * same invariant either way, and the reduced counterexample must replay on the real
 * system. The handler's readers poll with a timeout, so they spin when idle: the estimate
 * before the run must not turn that into an endless walk (it printed "about Infinity
 * states" and advised sampling before).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inShell } from './run-cli.ts';
import { hasStackTrace, userDir } from './user-dir.ts';

const source = readFileSync(fileURLToPath(new URL('../handlers/two-readers.ts', import.meta.url)), 'utf8');
const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
/** The README's figure for a count, with its thousands separator. */
const inReadme = (n: number) => expect(readme).toContain(n.toLocaleString('en-US'));
const states = (out: string) => Number(/(\d+) distinct states$/m.exec(out)?.[1]);
const violated = (out: string) => [...out.matchAll(/^ {2}invariant violated: (.*)$/gm)].map((m) => m[1] ?? '').filter((p) => !/spec/.test(p));

describe('kvmuf check --symmetry with interchangeable handler workers', { timeout: 120_000 }, () => {
  const u = userDir('kvmuf-workers-');
  const file = u.write('two-readers.ts', source);

  it('two readers built from the same steps: the same verdict, fewer states, the line that names them, and no made-up estimate', () => {
    const args = ['check', '--design', 'uffd', '--vcpus', '2', '--pages', '2', '--handler', file];
    const full = u.run(args);
    const reduced = u.run([...args, '--symmetry']);
    expect(full.status).toBe(0);
    expect(reduced.status).toBe(0);
    expect(full.stderr).toBe('');
    expect(reduced.stdout).toMatch(/^SYMMETRY uffd x86 anon 2v×2p: handler threads \{reader0,reader1\} interchangeable \(the same steps\); states counted up to renaming them; invariants exhaustive, liveness and spec refinement not checked under symmetry$/m);
    // Two workers: an orbit has at most 2 members, so at most 2× fewer states; fewer at all says it reduced.
    expect(states(reduced.stdout)).toBeLessThan(states(full.stdout));
    expect(states(reduced.stdout)).toBeGreaterThanOrEqual(states(full.stdout) / 2);
    inReadme(states(reduced.stdout));
    inReadme(states(full.stdout));
    expect(hasStackTrace(reduced.stdout + reduced.stderr)).toBe(false);
  });

  it('with vCPUs of one program as well, both symmetries apply at once', () => {
    const args = ['check', '--design', 'uffd', '--vcpus', '3', '--pages', '2', '--program', 'r0 w1=9;r0 w1=9;r0 w1=9', '--handler', file];
    const full = u.run(args);
    const reduced = u.run([...args, '--symmetry']);
    expect(full.status).toBe(0);
    expect(reduced.status).toBe(0);
    // Before walks stopped at a revisited state, this configuration's estimate was "about Infinity states" on stderr.
    expect(full.stderr).toBe('');
    expect(reduced.stdout).toContain('vCPUs {0,1,2} interchangeable (identical guest programs); handler threads {reader0,reader1} interchangeable (the same steps)');
    // At most 3! · 2! = 12× fewer; more than 3! = 6× fewer shows the workers' share.
    expect(states(reduced.stdout)).toBeLessThan(states(full.stdout) / 6);
    expect(states(reduced.stdout)).toBeGreaterThanOrEqual(states(full.stdout) / 12);
    inReadme(states(reduced.stdout));
    inReadme(states(full.stdout));
    const line = /^SYMMETRY .*$/m.exec(reduced.stdout)?.[0] ?? '';
    expect(readme).toContain(line);
  });

  it('a pool that drops REMOVE events is convicted of the same invariant with and without symmetry, and the reduced trace replays', () => {
    const wrong = u.write('drops-remove.ts', source.replace('          for (let a = msg.start; a < msg.end; a += PAGE_SIZE) c.setVmm(c.gfnOf(a), 1);\n', '          // dropped: the page will be refilled from the source\n'));
    expect(readFileSync(wrong, 'utf8')).not.toContain('c.setVmm(c.gfnOf(a), 1)');
    const args = ['check', '--design', 'uffd', '--vcpus', '2', '--pages', '2', '--balloon', '1', '--handler', wrong];
    const full = u.run(args);
    const reduced = u.run([...args, '--symmetry']);
    expect(full.status).toBe(1);
    expect(reduced.status).toBe(1);
    expect(violated(reduced.stdout)).toEqual(['no content served stale after a REMOVE']);
    expect(violated(full.stdout)).toContain('no content served stale after a REMOVE');
    const replayLine = /^ {2}replay: {4}(kvmuf .*)$/m.exec(reduced.stdout)?.[1];
    expect(replayLine).toBeDefined();
    const replayed = inShell(replayLine as string, u.dir);
    expect(replayed.status).toBe(1);
    expect(replayed.stdout).toContain('no content served stale after a REMOVE');
  });
});
