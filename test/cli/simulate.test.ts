/**
 * `kvmuf simulate`, `kvmuf merge`, `check --max-preemptions` and `check --estimate` as a
 * user runs them: the real binary, started in a folder outside the repository that holds
 * the handler file and the results files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandWordsFor } from '../../src/cli/check-command.ts';
import { CONVICTING_CONFIGS } from '../../src/vmm/convictions.ts';
import { CLEAR, exitStepsHandler, hasStackTrace, POPULATE, userDir } from './user-dir.ts';

const CONFIG = ['--vcpus', '2', '--pages', '2'];
const withoutHeader = (text: string) => text.split('\n').slice(1).join('\n');

/** The flags of a wrong bundled handler's convicting configuration (as kvmuf list prints it). */
function convicting(name: string): string[] {
  const cfg = CONVICTING_CONFIGS[name];
  if (!cfg) throw new Error(name);
  return commandWordsFor(cfg, name).slice(2);
}

describe('kvmuf simulate', { timeout: 120_000 }, () => {
  const u = userDir();
  u.write('clear-first.ts', exitStepsHandler('clear-first', `${CLEAR}\n${POPULATE}`));

  it("finds the bug of a wrong handler file, shrinks it, and the results file replays it", () => {
    const r = u.run(['simulate', ...CONFIG, '--handler', './clear-first.ts', '--runs', '50', '--out', 'results.json']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL kvm-userfault x86 anon 2v×2p \(handler clear-first\)$/m);
    expect(r.stdout).toContain('invariant violated: ');
    expect(r.stdout).toContain('liveness: not decided');
    const shrunk = Number(/shrunk to (\d+)/.exec(r.stdout)?.[1]);
    // The exhaustive search's counterexample is a shortest one: the shrunk run cannot be shorter.
    const c = u.run(['check', ...CONFIG, '--handler', './clear-first.ts', '--json']);
    const shortest = (JSON.parse(c.stdout) as { runs: { failures: { steps: unknown[] }[] }[] }).runs[0]?.failures[0]?.steps.length ?? 0;
    expect(shortest).toBeGreaterThan(0);
    expect(shrunk).toBeGreaterThanOrEqual(shortest);
    const replay = u.run(['replay', 'results.json']);
    expect(replay.status).toBe(1);
    expect(replay.stdout).toContain('the trace ends where these properties are violated');
    // The printed replay line re-runs it too.
    const line = /replay: {4}kvmuf (replay .*)$/m.exec(r.stdout)?.[1] ?? '';
    const args = line.split(' ').slice(1);
    expect(u.run(['replay', ...args]).status).toBe(1);
  });

  it('convicts a wrong bundled handler on the configuration kvmuf list gives it (a deadlock), shrunk to a replayable trace', () => {
    const r = u.run(['simulate', ...convicting('eexist-is-fatal'), '--runs', '300', '--out', 'eexist.json']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('deadlock: no thread can move; not finished: vcpu');
    const f = (JSON.parse(readFileSync(join(u.dir, 'eexist.json'), 'utf8')) as { runs: { failures: { steps: unknown[]; originalSteps: number }[] }[] }).runs[0]?.failures[0];
    // test/cli/convictions.test.ts pins its shortest trace (BFS) at 17 steps.
    expect(f?.steps.length).toBeGreaterThanOrEqual(17);
    expect(f?.steps.length).toBeLessThanOrEqual(f?.originalSteps ?? 0);
    expect(u.run(['replay', 'eexist.json']).stdout).toContain('the trace replays faithfully');
  });

  it('prints its seed, and the same seed gives the same output', () => {
    const a = u.run(['simulate', ...CONFIG, '--runs', '40']);
    expect(a.status).toBe(0);
    expect(a.stdout).toContain('PASS: no failure in 40 runs (sampling is not a proof');
    const seed = /seed (\d+)/.exec(a.stdout)?.[1] ?? '';
    expect(seed).not.toBe('');
    expect(u.run(['simulate', ...CONFIG, '--runs', '40']).stdout).toBe(a.stdout);
    expect(u.run(['simulate', ...CONFIG, '--runs', '40', '--seed', seed]).stdout).toBe(a.stdout);
    const random = u.run(['simulate', ...CONFIG, '--runs', '40', '--schedule', 'random', '--seed', '5']);
    expect(random.stdout).toContain('schedule: random walk');
    expect(u.run(['simulate', ...CONFIG, '--runs', '40', '--schedule', 'random', '--seed', '5']).stdout).toBe(random.stdout);
  });

  it('shards 0/2 and 1/2 merged give the unsharded verdict and coverage; --jobs 2 prints what one process prints', () => {
    const flags = ['simulate', '--vcpus', '3', '--pages', '2', '--runs', '60', '--schedule', 'random', '--seed', '9'];
    const whole = u.run([...flags, '--out', 'whole.json']);
    const s0 = u.run([...flags, '--shard', '0/2', '--out', 's0.json']);
    const s1 = u.run([...flags, '--shard', '1/2', '--out', 's1.json']);
    expect([whole.status, s0.status, s1.status]).toEqual([0, 0, 0]);
    expect(s0.stdout).toContain('runs: 30 of 60 (30 in this shard)');
    const merged = u.run(['merge', 's0.json', 's1.json', '--out', 'merged.json']);
    expect(merged.status).toBe(0);
    expect(withoutHeader(merged.stdout)).toBe(withoutHeader(whole.stdout));
    const cov = (f: string) => (JSON.parse(readFileSync(join(u.dir, f), 'utf8')) as { simulate: { coverage: unknown; endings: unknown } }).simulate;
    expect(cov('merged.json').coverage).toEqual(cov('whole.json').coverage);
    expect(cov('merged.json').endings).toEqual(cov('whole.json').endings);
    // One shard alone is not the whole verdict.
    const part = u.run(['merge', 's0.json']);
    expect(part.status).toBe(3);
    expect(part.stdout).toContain('INCOMPLETE: 1 of 2 shards merged');
    expect(u.run([...flags, '--jobs', '2']).stdout).toBe(whole.stdout);
  });

  it('bad flags and bad results files are coded errors, not stack traces', () => {
    const cases: [string[], string][] = [
      [['simulate', '--shard', '3/2'], 'KVMUF501'],
      [['simulate', '--shard', 'half'], 'KVMUF501'],
      [['simulate', '--schedule', 'fair'], 'KVMUF003'],
      [['simulate', '--depth', '0'], 'KVMUF103'],
      [['merge'], 'KVMUF505'],
    ];
    u.write('bad.json', '{"format": "kvmuf-simulate-1"}');
    u.write('notjson.json', 'not json');
    cases.push([['merge', 'bad.json'], 'KVMUF502'], [['merge', 'notjson.json'], 'KVMUF502'], [['merge', 'missing.json'], 'KVMUF301']);
    for (const [args, code] of cases) {
      const r = u.run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`error[${code}]`);
      expect(r.stderr).toContain('hint: ');
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
    const base = ['simulate', ...CONFIG, '--runs', '10', '--schedule', 'random'];
    u.run([...base, '--seed', '1', '--shard', '0/2', '--out', 'a.json']);
    u.run([...base, '--seed', '2', '--shard', '1/2', '--out', 'b.json']);
    u.run(['simulate', '--vcpus', '1', '--pages', '2', '--runs', '10', '--schedule', 'random', '--seed', '1', '--shard', '1/2', '--out', 'c.json']);
    const seed = u.run(['merge', 'a.json', 'b.json']);
    expect(seed.status).toBe(2);
    expect(seed.stderr).toContain('error[KVMUF503]: kvmuf merge: b.json is not from the same simulation as a.json: seed differs (1 vs 2)');
    expect(u.run(['merge', 'a.json', 'c.json']).stderr).toContain('configurationSha256 differs');
    const twice = u.run(['merge', 'a.json', 'a.json']);
    expect(twice.stderr).toContain('error[KVMUF504]');
  });

  it('takes a scenario file like check: its design is the one simulated', () => {
    u.write('scenario.json', JSON.stringify({ design: 'uffd', pages: 2, vcpus: ['r0 w1=101', 'r1'] }));
    const r = u.run(['simulate', '--scenario', 'scenario.json', '--runs', '20']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^configuration: uffd x86 anon 2v×2p \(handler uffd\)$/m);
  });

  it('--help comes from the flag declarations', () => {
    const r = u.run(['simulate', '--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--schedule pct|random', '--depth N', '--runs N', '--max-steps N', '--seed N', '--shard i/N', '--jobs N', '--out FILE', '--handler FILE|NAME']) expect(r.stdout).toContain(flag);
    expect(u.run(['merge', '--help']).stdout).toContain('usage: kvmuf merge [options] FILE...');
  });
});

describe('kvmuf check --max-preemptions and --estimate', { timeout: 120_000 }, () => {
  const u = userDir();

  it('finds the fewest-preemption counterexample first', () => {
    const r = u.run(['check', ...convicting('eexist-is-fatal'), '--max-preemptions', '3']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('deadlock: no thread can move');
    expect(r.stdout).toContain('counterexamples with at most 1 preemption, none with no preemption');
    expect(r.stdout).toContain('--max-preemptions 3');
    // Its path is a path of the unbounded system: the printed replay line re-runs it.
    const line = /replay: {4}kvmuf (replay .*)$/m.exec(r.stdout)?.[1] ?? '';
    const replay = u.run(line.split(' '));
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain('the trace replays faithfully');
    expect(replay.stdout).toContain('populate: UFFDIO_COPY(DONTWAKE) gfn 1 → EEXIST');
  });

  it('a bounded pass is incomplete and says it is not a proof', () => {
    const r = u.run(['check', '--vcpus', '3', '--pages', '2', '--max-preemptions', '1']);
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('a bounded pass is not a proof');
  });

  it('--estimate prints an estimate and advises kvmuf simulate when the run will not fit', () => {
    const small = u.run(['check', ...CONFIG, '--estimate']);
    expect(small.status).toBe(0);
    expect(small.stdout).toMatch(/states: exactly \d+ \(the whole space fit in the bounded search\)/);
    expect(small.stdout).toContain('fits: an exhaustive kvmuf check should finish');
    const big = u.run(['check', '--vcpus', '6', '--pages', '3', '--estimate', '--max-memory', '100']);
    expect(big.status).toBe(0);
    expect(big.stdout).toContain('will likely not fit');
    expect(big.stdout).toContain('sample it instead: kvmuf simulate --design kvm-userfault --arch x86 --backing anon --vcpus 6 --pages 3');
    expect(u.run(['check', '--vcpus', '6', '--pages', '3', '--estimate', '--max-memory', '100']).stdout).toBe(big.stdout);
  });
});
